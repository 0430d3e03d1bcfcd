// The servers under test: chatd's compiled binary (built into a temp dir from the current source on
// every run) and the raw Bun baseline. Each starts on 127.0.0.1 with port 0; the port is read from
// /proc (chatd logs at warn level here, so its "chatd listening" info line is not printed). chatd as
// a split deployment (1 api + N ws processes) is in split.ts.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "./args";
import { listeningPort, openFilesLimit } from "./proc";

export type TargetKind = "chatd" | "baseline";

/** One process of a target: its role (`all` for a single chatd, `api`, `ws1`, `ws2`, …, `baseline`). */
export type ServerProcess = { role: string; pid: number; url: string };

export type Target = {
  kind: TargetKind;
  /** `single`: one process serves everything; `split`: 1 api + N ws chatd processes. */
  topology: Topology;
  /** Where REST requests (setup: signups, rooms) go. */
  url: string;
  /** The WebSocket gateways, one per ws process (the one process of a single target). */
  gateways: string[];
  /** Every server process: CPU and RSS are summed over them, and reported one by one. */
  processes: ServerProcess[];
  /** The open-files limit the server processes run with. */
  openFiles: number;
  /**
   * SIGTERM, then SIGKILL after a grace period; resolves when every process is gone and what the
   * target created (data dirs, keyspace, stream, keys) is removed, with the first non-zero exit code.
   */
  stop(): Promise<number | null>;
};

export type Topology = "single" | "split";

/** `--topology` (single or split); a bad value is a usage error. */
export function parseTopology(value: string): Topology {
  if (value === "single" || value === "split") return value;
  throw new UsageError(`--topology: single or split, got "${value}"`);
}

export const pidsOf = (target: Target) => target.processes.map((p) => p.pid);

export const ROOT = join(import.meta.dir, "..", "..");

/**
 * Which storage chatd runs on: `BENCH_STORE=cassandra` puts it on the Cassandra at
 * `BENCH_CASSANDRA` (default 127.0.0.1:9042, e.g. from `scripts/services/cassandra start`) in a
 * keyspace of its own, dropped when the server stops; otherwise the embedded SQLite.
 */
export const benchStore = (): "sqlite" | "cassandra" =>
  process.env.BENCH_STORE === "cassandra" ? "cassandra" : "sqlite";
export const cassandraContactPoint = () => process.env.BENCH_CASSANDRA ?? "127.0.0.1:9042";

/** A keyspace name of this run's own. */
export const benchKeyspace = () => `chatd_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

export async function dropKeyspace(keyspace: string) {
  const { Client } = await import("cassandra-driver");
  const client = new Client({ contactPoints: [cassandraContactPoint()], localDataCenter: "datacenter1" });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}

/** The settings chatd runs with in every scenario: embedded defaults, plus what a load test needs. */
export const chatdEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  LOG_LEVEL: "warn",
  PASSWORD_HASH_MEMORY_KIB: "8192",
  PASSWORD_HASH_TIME_COST: "1",
  RATE_LIMIT_MESSAGES_PER_MINUTE: "1000000",
  ACCESS_TOKEN_TTL_SECONDS: "3600",
  // A fixed key avoids the "generated secret" warning; tokens never leave this run.
  JWT_SECRET: `bench-${crypto.randomUUID()}-${crypto.randomUUID()}`,
  ...extra,
});

/** Builds dist-like chatd from the current source into a fresh temp dir; `cleanup` removes it. */
export function buildChatd(): { binary: string; cleanup(): void; seconds: number } {
  const dir = mkdtempSync(join(tmpdir(), "chatd-bench-bin-"));
  const binary = join(dir, "chatd");
  const started = performance.now();
  const build = Bun.spawnSync(
    [process.execPath, "build", "--compile", "--minify", "src/main.ts", "--outfile", binary],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`chatd build failed:\n${build.stderr.toString()}`);
  }
  return {
    binary,
    seconds: (performance.now() - started) / 1000,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The command prefix that gives a server at least `files` open files: nothing when the inherited soft
 * limit suffices, else `prlimit` up to the hard limit. Throws when even the hard limit is too low.
 */
export function withOpenFiles(files: number): { prefix: string[]; limit: number } {
  const { soft, hard } = openFilesLimit();
  if (soft >= files) return { prefix: [], limit: soft };
  if (hard < files) {
    throw new Error(`need ${files} open files but the hard limit is ${hard}: raise it (ulimit -Hn) and retry`);
  }
  const which = Bun.which("prlimit");
  if (!which) throw new Error(`need ${files} open files (soft limit ${soft}): run \`ulimit -n ${hard}\` first`);
  return { prefix: [which, `--nofile=${hard}:${hard}`, "--"], limit: hard };
}

/** Waits until the process listens and answers `path` below 500; its URL. Kills it on failure. */
export async function listening(name: string, proc: Bun.Subprocess, path = "/healthz", timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let port: number | null = null;
  while (port === null) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode} before listening`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`${name} did not listen within ${timeoutMs / 1000} s`);
    }
    await Bun.sleep(25);
    port = listeningPort(proc.pid);
  }
  const url = `http://127.0.0.1:${port}`;
  // Listening is not ready: wait for a first answer.
  for (;;) {
    try {
      if ((await fetch(`${url}${path}`)).status < 500) return url;
    } catch {
      // not answering yet
    }
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode} before it was ready`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`${name} does not answer ${path} on ${url}`);
    }
    await Bun.sleep(25);
  }
}

/** SIGTERM, then SIGKILL after 15 s; resolves with the exit code once the process is gone. */
export async function stopProcess(proc: Bun.Subprocess): Promise<number | null> {
  if (proc.exitCode === null) {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    await proc.exited;
    clearTimeout(timer);
  }
  return proc.exitCode;
}

/** Runs `release` once, however often it is called (a target is stopped by its scenario and by cleanup). */
export const once = <T>(release: () => Promise<T>) => {
  let done: Promise<T> | undefined;
  return () => {
    done ??= release();
    return done;
  };
};

async function started(kind: TargetKind, proc: Bun.Subprocess, openFiles: number, cleanup: () => void | Promise<void>) {
  const url = await listening(kind, proc);
  const stop = once(async () => {
    const code = await stopProcess(proc);
    await cleanup();
    return code;
  });
  return {
    kind,
    topology: "single",
    url,
    gateways: [url],
    processes: [{ role: kind === "chatd" ? "all" : "baseline", pid: proc.pid, url }],
    openFiles,
    stop,
  } satisfies Target;
}

/** `--profile DIR` as an absolute path (created), or undefined when not asked for. */
export const profileDir = (dir: string) => {
  if (!dir) return undefined;
  const path = resolve(dir);
  mkdirSync(path, { recursive: true });
  return path;
};

/** The command that runs chatd: the binary, or with `profileDir` the source under `bun --cpu-prof`. */
export const chatdCommand = (binary: string, profileDir?: string) =>
  profileDir
    ? [
        process.execPath,
        "--cpu-prof",
        "--cpu-prof-md",
        "--cpu-prof-interval=250",
        `--cpu-prof-dir=${profileDir}`,
        join(ROOT, "src", "main.ts"),
      ]
    : [binary];

/**
 * Starts the chatd binary on an empty temp data dir with `chatdEnv` settings. With `profileDir`, runs
 * chatd from source under `bun --cpu-prof` instead (readable names), writing the profile there on exit.
 */
export async function startChatd(
  binary: string,
  opts: { files: number; env?: Record<string, string>; profileDir?: string },
): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), "chatd-bench-data-"));
  const { prefix, limit } = withOpenFiles(opts.files);
  const keyspace = benchKeyspace();
  const storeEnv: Record<string, string> =
    benchStore() === "cassandra"
      ? { CASSANDRA_CONTACT_POINTS: cassandraContactPoint(), CASSANDRA_KEYSPACE: keyspace }
      : {};
  const command = chatdCommand(binary, opts.profileDir);
  const proc = Bun.spawn(
    [...prefix, ...command, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir],
    {
      cwd: dataDir,
      env: chatdEnv({ ...storeEnv, ...opts.env }),
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
    },
  );
  return started("chatd", proc, limit, async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (storeEnv.CASSANDRA_KEYSPACE) await dropKeyspace(keyspace);
  });
}

/** The key the baseline checks its access tokens with (bench/baseline/same-work.ts signs them). */
export const BASELINE_JWT_SECRET = `baseline-${crypto.randomUUID()}`;

/** Starts the raw Bun.serve baseline (bench/baseline/server.ts). */
export async function startBaseline(opts: { files: number }): Promise<Target> {
  const { prefix, limit } = withOpenFiles(opts.files);
  const proc = Bun.spawn([...prefix, process.execPath, join(ROOT, "bench", "baseline", "server.ts"), "--port", "0"], {
    cwd: ROOT,
    env: { ...process.env, BASELINE_JWT_SECRET },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
  return started("baseline", proc, limit, () => {});
}
