// What a fan-out scenario's receivers should have got, and waiting for it after the last send.
import type { Report } from "./commands";
import type { LoadPool } from "./pool";

export const DRAIN_MS = 10_000;

/** Every message the server accepted, times the receivers connected in its room. */
export function expectedDeliveries(reports: Report[], senderWorker: number) {
  const accepted = reports[senderWorker]!.accepted;
  let expected = 0;
  for (const [i, report] of reports.entries()) {
    if (i === senderWorker) continue;
    for (const [room, { connections }] of Object.entries(report.rooms))
      expected += connections * (accepted[Number(room)] ?? 0);
  }
  return expected;
}

/** After the last send: waits until every accepted message reached every receiver of its room, or DRAIN_MS. */
export async function drainDeliveries(pool: LoadPool, senderWorker: number, total: number) {
  const started = performance.now();
  for (;;) {
    const reports = await pool.all<Report>({ op: "report" });
    const sender = reports[senderWorker]!;
    const received = reports.reduce((a, r) => a + r.received, 0);
    const settled = sender.acked + sender.sendErrors >= Math.min(total, sender.sent);
    if (settled && received >= expectedDeliveries(reports, senderWorker))
      return { complete: true, seconds: (performance.now() - started) / 1000 };
    if (performance.now() - started > DRAIN_MS) return { complete: false, seconds: DRAIN_MS / 1000 };
    await Bun.sleep(50);
  }
}

/** Sends `rate` × `seconds` messages from the sender worker, spread over `seconds`, then drains them. */
export async function sendAndDrain(
  pool: LoadPool,
  senderWorker: number,
  o: { rate: number; seconds: number; chars: number },
) {
  const total = Math.round(o.rate * o.seconds);
  await pool.call(senderWorker, { op: "send", total, durationMs: o.seconds * 1000, chars: o.chars });
  return drainDeliveries(pool, senderWorker, total);
}

/** The same traffic, unmeasured, so both targets are measured with JIT-compiled hot paths. */
export async function warmUp(
  pool: LoadPool,
  senderWorker: number,
  o: { rate: number; seconds: number; chars: number },
) {
  if (o.seconds <= 0) return;
  await pool.all({ op: "measure" });
  await sendAndDrain(pool, senderWorker, o);
}
