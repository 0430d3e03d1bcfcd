// A real second process holding Redis presence entries, for the contract's crash test: it enters what
// it is told (one JSON line per command on stdin, one JSON reply line on stdout) and keeps its entries
// refreshed until it is killed with SIGKILL — a crash, with no chance to clean up.
import { RedisPresence } from "../../src/limits/redis/presence";
import { createLogger } from "../../src/log";
import type { PresenceChange, UserPresenceChange } from "../../src/ports/presence";
import type { CrashableProcess } from "../contract/presence.contract";

type Options = { url: string; keyPrefix: string; ttlMs: number };

export async function spawnPresenceProcess(options: Options): Promise<CrashableProcess> {
  const child = Bun.spawn([process.execPath, import.meta.path, JSON.stringify(options)], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const lines = readLines(child.stdout);
  const reply = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`presence process exited (${await child.exited})`);
    return JSON.parse(value) as
      | { ok: true; change?: PresenceChange | UserPresenceChange }
      | { ok: false; error: string };
  };
  const ready = await reply();
  if (!ready.ok) throw new Error(ready.error);
  return {
    async enter(roomId, userId, connectionId) {
      child.stdin.write(`${JSON.stringify({ roomId, userId, connectionId })}\n`);
      child.stdin.flush();
      const answer = await reply();
      if (!answer.ok) throw new Error(answer.error);
      return answer.change as PresenceChange;
    },
    async connect(userId, connectionId, status) {
      child.stdin.write(`${JSON.stringify({ op: "connect", userId, connectionId, status })}\n`);
      child.stdin.flush();
      const answer = await reply();
      if (!answer.ok) throw new Error(answer.error);
      return answer.change as UserPresenceChange;
    },
    async crash() {
      child.kill("SIGKILL");
      await child.exited;
    },
  };
}

async function* readLines(stream: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
    }
  }
}

async function child(options: Options) {
  const presence = new RedisPresence({ ...options, timeoutMs: 2000, log: createLogger("silent") });
  const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
  await presence.ping();
  say({ ok: true });
  for await (const line of console) {
    const { op, roomId, userId, connectionId, status } = JSON.parse(line);
    try {
      if (op === "connect") say({ ok: true, change: await presence.connect(userId, connectionId, status, Date.now()) });
      else say({ ok: true, change: await presence.enter(roomId, userId, connectionId) });
    } catch (error) {
      say({ ok: false, error: String(error) });
    }
  }
}

if (import.meta.main) await child(JSON.parse(process.argv[2] as string));
