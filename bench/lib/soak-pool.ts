// The soak's load workers seen from the coordinator: soak-worker.ts processes driven over Bun's IPC
// channel (like pool.ts does for load-worker.ts), with the same NTP-style clock check.
import { join } from "node:path";
import type { SoakCommand, SoakReply } from "./soak-commands";
import { withOpenFiles } from "./target";

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

class SoakWorker {
  readonly #pending = new Map<number, Pending>();
  #ids = 0;
  readonly proc: Bun.Subprocess;
  readonly ready: Promise<unknown>;

  constructor(files: number, maxMs: number) {
    const { prefix } = withOpenFiles(files);
    this.ready = new Promise((resolve, reject) => this.#pending.set(0, { resolve, reject }));
    this.proc = Bun.spawn([...prefix, process.execPath, join(import.meta.dir, "soak-worker.ts")], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, BENCH_WORKER_MAX_MS: String(maxMs) },
      ipc: (reply: SoakReply) => {
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        if (reply.ok) pending.resolve(reply.result);
        else pending.reject(new Error(`soak worker ${this.proc.pid}: ${reply.error}`));
      },
    });
    this.proc.exited.then((code) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`soak worker exited (${code})`));
      this.#pending.clear();
    });
  }

  call<T>(cmd: SoakCommand): Promise<T> {
    const id = ++this.#ids;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd });
    });
  }
}

export class SoakPool {
  private constructor(readonly workers: SoakWorker[]) {}

  /** Starts `count` workers, each allowed `files` open files and at most `maxMs` of life. */
  static async start(count: number, files: number, maxMs: number) {
    const workers = Array.from({ length: count }, () => new SoakWorker(files, maxMs));
    await Promise.all(workers.map((w) => w.ready));
    return new SoakPool(workers);
  }

  call<T>(index: number, cmd: SoakCommand): Promise<T> {
    return this.workers[index]!.call<T>(cmd);
  }

  all<T>(cmd: SoakCommand | ((index: number) => SoakCommand)): Promise<T[]> {
    return Promise.all(this.workers.map((w, i) => w.call<T>(typeof cmd === "function" ? cmd(i) : cmd)));
  }

  /** Each worker's clock offset from the fastest of several round trips, applied when above its uncertainty. */
  async calibrate(rounds = 15) {
    for (const worker of this.workers) {
      let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
      for (let i = 0; i < rounds; i++) {
        const t1 = performance.timeOrigin + performance.now();
        const { t } = await worker.call<{ t: number }>({ op: "sync" });
        const t2 = performance.timeOrigin + performance.now();
        if (t2 - t1 < best.rtt) best = { rtt: t2 - t1, offset: t - (t1 + t2) / 2 };
      }
      await worker.call({ op: "offset", offsetMs: Math.abs(best.offset) > best.rtt / 2 ? best.offset : 0 });
    }
  }

  async stop() {
    await Promise.allSettled(this.workers.map((w) => (w.proc.exitCode === null ? w.call({ op: "exit" }) : null)));
    for (const w of this.workers) {
      const timer = setTimeout(() => w.proc.kill("SIGKILL"), 3000);
      await w.proc.exited;
      clearTimeout(timer);
    }
  }
}
