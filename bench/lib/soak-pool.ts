// The soak's load workers seen from the coordinator: soak-worker.ts processes driven over Bun's IPC
// channel (like pool.ts does for load-worker.ts), with the same NTP-style clock check.
import { join } from "node:path";
import { WorkerProcess } from "./pool";
import type { SoakCommand } from "./soak-commands";

export class SoakPool {
  private constructor(readonly workers: WorkerProcess<SoakCommand>[]) {}

  /** Starts `count` workers, each allowed `files` open files and at most `maxMs` of life. */
  static async start(count: number, files: number, maxMs: number) {
    const workers = Array.from(
      { length: count },
      () =>
        new WorkerProcess<SoakCommand>(
          files,
          maxMs,
          [process.execPath, join(import.meta.dir, "soak-worker.ts")],
          "soak worker",
        ),
    );
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
