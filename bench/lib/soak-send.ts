// The soak sender's pacing: message n is due at n / rate, round-robin over the sender connections (one
// per room), each carrying the bench payload with its send time (protocol.ts).
import { type ConnSpec, content, sendFrame } from "./protocol";

export function sendPaced(
  senders: { spec: ConnSpec; ws: WebSocket }[],
  cmd: { total: number; durationMs: number; chars: number },
  clock: () => number,
  sent: () => void,
) {
  const perMs = cmd.total / cmd.durationMs;
  const started = performance.now();
  let n = 0;
  return new Promise<{ sent: number }>((resolve) => {
    const tick = () => {
      const due = Math.min(cmd.total, Math.floor((performance.now() - started) * perMs) + 1);
      for (; n < due; n++) {
        const { spec, ws } = senders[n % senders.length]!;
        ws.send(sendFrame(spec, n, content(spec.room, n, clock(), cmd.chars)));
        sent();
      }
      if (n >= cmd.total) resolve({ sent: n });
      else setTimeout(tick, 1);
    };
    if (senders.length === 0) resolve({ sent: 0 });
    else tick();
  });
}
