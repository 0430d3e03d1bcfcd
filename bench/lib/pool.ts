// The load generator seen from the coordinator: several worker processes (load-worker.ts), commands
// over IPC, clock calibration, and the CPU check that says when the generator itself was the limit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "./args";
import type { Command, Reply, WorkerCpu } from "./commands";
import { withOpenFiles } from "./target";

/** Which runtime the load workers run on: Bun (its WebSocket), or Node with the `ws` package. */
export type Client = "bun" | "node";

/** `--client` (bun or node); a bad value is a usage error. */
export function parseClient(value: string): Client {
  if (value === "bun" || value === "node") return value;
  throw new UsageError(`--client: bun or node, got "${value}"`);
}

/** The `--client` option of every WebSocket scenario. */
export const clientOption = {
  client: {
    default: process.env.BENCH_CLIENT ?? "bun",
    help: "load generator runtime: bun (built-in WebSocket) or node (Node + the ws package; `node` on PATH); env BENCH_CLIENT",
  },
};

/**
 * load-worker.ts bundled for Node (`ws` included) into a temp dir, once per run; `remove` deletes it.
 * Throws when `node` is not on the PATH.
 */
async function nodeWorker(): Promise<{ command: string[]; remove(): void }> {
  const node = Bun.which("node");
  if (!node) throw new UsageError("--client node: no `node` on the PATH");
  const dir = mkdtempSync(join(tmpdir(), "chatd-bench-node-worker-"));
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "load-worker.ts")],
    target: "node",
    format: "esm",
    outdir: dir,
    naming: "[name].mjs",
    // Optional native speed-ups that ws loads only when installed.
    external: ["bufferutil", "utf-8-validate"],
  });
  if (!built.success) throw new Error(`bundling the Node load worker failed: ${built.logs.join("\n")}`);
  // BENCH_NODE_FLAGS: extra flags for node (e.g. V8's GC flags), to see what a client's runtime settings change.
  const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  return {
    command: [node, ...flags, join(dir, "load-worker.mjs")],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A worker busier than this share of a core may have delayed sends or receipts. */
export const SATURATED = 0.9;

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

/**
 * One worker process driven over IPC (JSON): `call` sends a command and resolves with its reply.
 * `label` names the worker in errors. load-worker.ts and the soak's soak-worker.ts both run in these.
 */
export class WorkerProcess<C> {
  readonly #pending = new Map<number, Pending>();
  #ids = 0;
  readonly proc: Bun.Subprocess;
  readonly ready: Promise<unknown>;

  constructor(files: number, maxMs: number, command: string[], label = "load worker") {
    const { prefix } = withOpenFiles(files);
    let ready!: Pending;
    this.ready = new Promise((resolve, reject) => {
      ready = { resolve, reject };
    });
    this.#pending.set(0, ready);
    this.proc = Bun.spawn([...prefix, ...command], {
      stdio: ["ignore", "inherit", "inherit"],
      // JSON is what a Node child understands (and Bun's children too).
      serialization: "json",
      env: { ...process.env, BENCH_WORKER_MAX_MS: String(maxMs) },
      ipc: (reply: Reply) => {
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        if (reply.ok) pending.resolve(reply.result);
        else pending.reject(new Error(`${label} ${this.proc.pid}: ${reply.error}`));
      },
    });
    this.proc.exited.then((code) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`${label} exited (${code})`));
      this.#pending.clear();
    });
  }

  call<T>(cmd: C): Promise<T> {
    const id = ++this.#ids;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd });
    });
  }
}

export class LoadPool {
  private constructor(
    readonly workers: WorkerProcess<Command>[],
    readonly client: Client,
    readonly runtime: string,
    private readonly cleanup: () => void,
  ) {}

  /**
   * Starts `count` workers on `client`'s runtime, each allowed `files` open files and at most `maxMs`
   * of life.
   */
  static async start(count: number, files: number, maxMs: number, client: Client = "bun") {
    const built =
      client === "node"
        ? await nodeWorker()
        : { command: [process.execPath, join(import.meta.dir, "load-worker.ts")], remove() {} };
    const workers = Array.from({ length: count }, () => new WorkerProcess<Command>(files, maxMs, built.command));
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (error) {
      for (const w of workers) w.proc.kill("SIGKILL");
      built.remove();
      throw error;
    }
    const version = Bun.spawnSync([built.command[0]!, "--version"]).stdout.toString().trim();
    const runtime = client === "node" ? `node ${version} + ws` : `bun ${Bun.version}`;
    return new LoadPool(workers, client, runtime, built.remove);
  }

  get pids() {
    return this.workers.map((w) => w.proc.pid);
  }

  call<T>(index: number, cmd: Command): Promise<T> {
    return this.workers[index]!.call<T>(cmd);
  }

  /** The same command to every worker, or one per worker from `make`. */
  all<T>(cmd: Command | ((index: number) => Command)): Promise<T[]> {
    return Promise.all(this.workers.map((w, i) => w.call<T>(typeof cmd === "function" ? cmd(i) : cmd)));
  }

  /**
   * NTP-style: the worker's clock minus the midpoint of the round trip, from the fastest of several
   * exchanges. The offset is applied only when it exceeds that round trip's uncertainty; processes on
   * one machine share its clock, so it usually is not.
   */
  async calibrate(rounds = 15) {
    const result: { pid: number; offset_ms: number; rtt_ms: number; applied: boolean }[] = [];
    for (const worker of this.workers) {
      let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
      for (let i = 0; i < rounds; i++) {
        const t1 = performance.timeOrigin + performance.now();
        const { t } = await worker.call<{ t: number }>({ op: "sync" });
        const t2 = performance.timeOrigin + performance.now();
        if (t2 - t1 < best.rtt) best = { rtt: t2 - t1, offset: t - (t1 + t2) / 2 };
      }
      const applied = Math.abs(best.offset) > best.rtt / 2;
      await worker.call({ op: "offset", offsetMs: applied ? best.offset : 0 });
      result.push({ pid: worker.proc.pid, offset_ms: best.offset, rtt_ms: best.rtt, applied });
    }
    return result;
  }

  async stop() {
    await Promise.allSettled(this.workers.map((w) => (w.proc.exitCode === null ? w.call({ op: "exit" }) : null)));
    for (const w of this.workers) {
      const timer = setTimeout(() => w.proc.kill("SIGKILL"), 3000);
      await w.proc.exited;
      clearTimeout(timer);
    }
    this.cleanup();
  }
}

/** The load generator's CPU, worker by worker, and whether any worker was saturated. */
export function loadgenCpu(cpus: (WorkerCpu & { role: string })[]) {
  const saturated = cpus.some((c) => c.share > SATURATED);
  return {
    workers: cpus.map((c) => ({
      pid: c.pid,
      role: c.role,
      core_share: round(c.share, 3),
      cpu_seconds: c.seconds,
      event_loop_lag_ms: c.lagMs && {
        p50: round(c.lagMs.p50, 3),
        p99: round(c.lagMs.p99, 3),
        max: round(c.lagMs.max, 3),
      },
    })),
    max_core_share: round(Math.max(...cpus.map((c) => c.share)), 3),
    max_lag_p99_ms: round(Math.max(...cpus.map((c) => c.lagMs?.p99 ?? 0)), 3),
    total_cores: round(cpus.reduce((a, c) => a + c.seconds, 0) / Math.max(...cpus.map((c) => c.wallSeconds)), 3),
    saturated,
  };
}

export const round = (value: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
