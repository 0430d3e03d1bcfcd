// The positions benchmark's writer processes seen from the coordinator: spawned with an IPC channel,
// each opens its own store, and answers commands (protocol.ts). Each has a hard bound on its life.
import { join } from "node:path";
import type { StoreSpec, WriterCommand, WriterReply } from "./protocol";

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

export class Writer {
  readonly #pending = new Map<number, Pending>();
  #ids = 0;
  readonly proc: Bun.Subprocess;
  readonly ready: Promise<unknown>;

  constructor(maxMs: number) {
    let ready!: Pending;
    this.ready = new Promise((resolve, reject) => {
      ready = { resolve, reject };
    });
    this.#pending.set(0, ready);
    this.proc = Bun.spawn([process.execPath, join(import.meta.dir, "writer.ts")], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, BENCH_WRITER_MAX_MS: String(maxMs) },
      ipc: (reply: WriterReply) => {
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        if (reply.ok) pending.resolve(reply.result);
        else pending.reject(new Error(`writer ${this.proc.pid}: ${reply.error}`));
      },
    });
    this.proc.exited.then((code) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`writer exited (${code})`));
      this.#pending.clear();
    });
  }

  call<T>(cmd: WriterCommand): Promise<T> {
    const id = ++this.#ids;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd });
    });
  }
}

/** `count` writer processes, each with the store of `spec` open; `stop()` ends them all. */
export async function startWriters(count: number, spec: StoreSpec, maxMs: number) {
  const writers = Array.from({ length: count }, () => new Writer(maxMs));
  const stop = async () => {
    await Promise.allSettled(writers.map((w) => (w.proc.exitCode === null ? w.call({ op: "exit" }) : null)));
    for (const w of writers) {
      const timer = setTimeout(() => w.proc.kill("SIGKILL"), 5000);
      await w.proc.exited;
      clearTimeout(timer);
    }
  };
  try {
    await Promise.all(writers.map((w) => w.ready));
    await Promise.all(writers.map((w) => w.call({ op: "open", store: spec })));
  } catch (error) {
    await stop();
    throw error;
  }
  return { writers, stop };
}
