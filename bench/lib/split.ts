// chatd as a split deployment for the scenarios (`--topology split`): the compiled binary as 1 api and
// N ws processes (`serve --role api|ws`) on Cassandra, NATS with JetStream and Redis, with a keyspace,
// subject prefix, stream and key prefix of the run's own, all removed when the target stops.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import Redis from "ioredis";
import {
  benchKeyspace,
  cassandraContactPoint,
  chatdCommand,
  chatdEnv,
  dropKeyspace,
  listening,
  once,
  type ServerProcess,
  stopProcess,
  type Target,
  withOpenFiles,
} from "./target";

export const natsUrl = () => process.env.BENCH_NATS ?? "nats://127.0.0.1:4222";
export const redisUrl = () => process.env.BENCH_REDIS ?? "redis://127.0.0.1:6379";

/** The names this run's deployment owns on the shared services. */
export function splitNames() {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  return {
    keyspace: benchKeyspace(),
    subjectPrefix: `bench${id}`,
    stream: `BENCH_${id}`,
    keyPrefix: `chatd-bench:${id}:`,
  };
}

export type SplitNames = ReturnType<typeof splitNames>;

async function deleteStream(stream: string) {
  const nc = await connect({ servers: natsUrl(), timeout: 5000 });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

async function deleteKeys(prefix: string) {
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Removes everything a split run created on the shared services; each step runs even if another fails. */
export async function removeSplitNames(names: SplitNames) {
  const results = await Promise.allSettled([
    dropKeyspace(names.keyspace),
    deleteStream(names.stream),
    deleteKeys(names.keyPrefix),
  ]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length > 0) throw new Error(`clean-up: ${failed.map((f) => String(f.reason)).join("; ")}`);
}

type Started = { role: string; proc: Bun.Subprocess; dataDir: string };

/**
 * Starts 1 api and `wsProcesses` ws processes sharing one keyspace, subject prefix, stream and key
 * prefix (and one JWT secret, so a token from the api works on every gateway). The api process
 * migrates the keyspace before the ws processes start; each counts as started once `/readyz` says
 * its backends answer. Under `profileDir` every process runs from source under `bun --cpu-prof`.
 */
export async function startSplit(
  binary: string,
  opts: { files: number; wsProcesses: number; profileDir?: string },
): Promise<Target> {
  const names = splitNames();
  const env = chatdEnv({
    CASSANDRA_CONTACT_POINTS: cassandraContactPoint(),
    CASSANDRA_KEYSPACE: names.keyspace,
    NATS_URL: natsUrl(),
    NATS_SUBJECT_PREFIX: names.subjectPrefix,
    NATS_STREAM: names.stream,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: names.keyPrefix,
  });
  const { prefix, limit } = withOpenFiles(opts.files);
  const started: Started[] = [];
  const spawn = (role: string) => {
    const dataDir = mkdtempSync(join(tmpdir(), `chatd-bench-${role}-`));
    const proc = Bun.spawn(
      [
        ...prefix,
        ...chatdCommand(binary, opts.profileDir),
        "serve",
        "--role",
        role.replace(/\d+$/, ""),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        dataDir,
      ],
      { cwd: dataDir, env, stdin: "ignore", stdout: "inherit", stderr: "inherit" },
    );
    started.push({ role, proc, dataDir });
    return proc;
  };
  const stop = once(async () => {
    // Gateways first (their sockets close), then the api; then what the run created.
    const codes = await Promise.all(started.filter((s) => s.role !== "api").map((s) => stopProcess(s.proc)));
    for (const s of started) if (s.role === "api") codes.unshift(await stopProcess(s.proc));
    for (const s of started) rmSync(s.dataDir, { recursive: true, force: true });
    await removeSplitNames(names);
    return codes.find((code) => code !== 0) ?? 0;
  });
  try {
    const processes: ServerProcess[] = [];
    // A fresh keyspace's migrations take a while on a busy Cassandra.
    const api = spawn("api");
    processes.push({ role: "api", pid: api.pid, url: await listening("chatd api", api, "/readyz", 120_000) });
    const roles = Array.from({ length: opts.wsProcesses }, (_, i) => `ws${i + 1}`);
    const procs = roles.map(spawn);
    const urls = await Promise.all(procs.map((p, i) => listening(`chatd ${roles[i]}`, p, "/readyz", 60_000)));
    processes.push(...procs.map((p, i) => ({ role: roles[i]!, pid: p.pid, url: urls[i]! })));
    return {
      kind: "chatd",
      topology: "split",
      url: processes[0]!.url,
      gateways: urls,
      processes,
      openFiles: limit,
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
