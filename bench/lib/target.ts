// The servers under test: chatd's compiled binary (built into a temp dir from the current source on
// every run) and the raw Bun baseline. Each starts on 127.0.0.1 with port 0; the port is read from
// /proc (chatd logs at warn level here, so its "chatd listening" info line is not printed).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { listeningPort, openFilesLimit } from "./proc";

export type TargetKind = "chatd" | "baseline";

export type Target = {
  kind: TargetKind;
  url: string;
  pid: number;
  /** The open-files limit the server process runs with. */
  openFiles: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<number | null>;
};

export const ROOT = join(import.meta.dir, "..", "..");

/**
 * Which storage chatd runs on: `BENCH_STORE=cassandra` puts it on the Cassandra at
 * `BENCH_CASSANDRA` (default 127.0.0.1:9042, e.g. from `scripts/services/cassandra start`) in a
 * keyspace of its own, dropped when the server stops; otherwise the embedded SQLite.
 */
export const benchStore = (): "sqlite" | "cassandra" =>
  process.env.BENCH_STORE === "cassandra" ? "cassandra" : "sqlite";
const cassandraContactPoint = () => process.env.BENCH_CASSANDRA ?? "127.0.0.1:9042";

async function dropKeyspace(keyspace: string) {
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

async function started(kind: TargetKind, proc: Bun.Subprocess, openFiles: number, cleanup: () => void | Promise<void>) {
  const deadline = Date.now() + 20_000;
  let port: number | null = null;
  while (port === null) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited with code ${proc.exitCode} before listening`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`${kind} did not listen within 20 s`);
    }
    await Bun.sleep(25);
    port = listeningPort(proc.pid);
  }
  const url = `http://127.0.0.1:${port}`;
  // Listening is not ready: wait for a first answer.
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).status < 500) break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${kind} does not answer on ${url}`);
      await Bun.sleep(25);
    }
  }
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await proc.exited;
      clearTimeout(timer);
    }
    await cleanup();
    return proc.exitCode;
  };
  return { kind, url, pid: proc.pid, openFiles, stop } satisfies Target;
}

/** `--profile DIR` as an absolute path (created), or undefined when not asked for. */
export const profileDir = (dir: string) => {
  if (!dir) return undefined;
  const path = resolve(dir);
  mkdirSync(path, { recursive: true });
  return path;
};

/**
 * Starts the chatd binary on an empty temp data dir with `chatdEnv` settings. With `profileDir`, runs
 * chatd from source under `bun --cpu-prof` instead (readable names), writing the profile there on exit.
 */
export async function startChatd(
  binary: string,
  opts: { files: number; env?: Record<string, string>; profileDir?: string },
) {
  const dataDir = mkdtempSync(join(tmpdir(), "chatd-bench-data-"));
  const { prefix, limit } = withOpenFiles(opts.files);
  const keyspace = `chatd_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const storeEnv: Record<string, string> =
    benchStore() === "cassandra"
      ? { CASSANDRA_CONTACT_POINTS: cassandraContactPoint(), CASSANDRA_KEYSPACE: keyspace }
      : {};
  const command = opts.profileDir
    ? [
        process.execPath,
        "--cpu-prof",
        "--cpu-prof-md",
        "--cpu-prof-interval=250",
        `--cpu-prof-dir=${opts.profileDir}`,
        join(ROOT, "src", "main.ts"),
      ]
    : [binary];
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

/** Starts the raw Bun.serve baseline (bench/baseline/server.ts). */
export async function startBaseline(opts: { files: number }) {
  const { prefix, limit } = withOpenFiles(opts.files);
  const proc = Bun.spawn([...prefix, process.execPath, join(ROOT, "bench", "baseline", "server.ts"), "--port", "0"], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
  return started("baseline", proc, limit, () => {});
}
