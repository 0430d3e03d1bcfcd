// The runs of the positions benchmark (bench/positions.ts): the four latency paths, one throughput run
// with k writer processes, and the check of every room's log against what the writers were told.
import { mapLimit } from "../fixtures";
import { cpuMeter } from "../proc";
import type { Metrics } from "../runner";
import { log } from "../scenario";
import { Histogram } from "../stats";
import type { Backend } from "./backends";
import { checkLog, sumChecks } from "./check";
import type { Appended, LatencyResult, RunResult, WritePath } from "./protocol";
import { PATH_LABELS, type RunFigures } from "./tables";
import type { Writer } from "./writers";

/** What the runs need of the benchmark's options. */
export type RunOptions = {
  samples: number;
  warmupSamples: number;
  warmup: number;
  duration: number;
  messageChars: number;
};

/** Checks rooms against what the writers were told: `acked[i]` are room i's (position, id) pairs. */
async function checkRooms(backend: Backend, roomIds: string[], acked: [number, string][][]) {
  const checks = await mapLimit(roomIds, 8, async (roomId, i) =>
    checkLog(await backend.readLog(roomId), await backend.headPosition(roomId), acked[i] ?? []),
  );
  return sumChecks(checks);
}

const ackedOf = (appended: Appended[]): [number, string][] => appended.map(([, position, id]) => [position, id]);

/** Polls until the room's head reaches `position` (the contender is appending), at most 30 s. */
async function headReaches(backend: Backend, roomId: string, position: number) {
  const deadline = Date.now() + 30_000;
  while ((await backend.headPosition(roomId)) < position) {
    if (Date.now() > deadline) throw new Error("the contending writer did not start appending within 30 s");
    await Bun.sleep(20);
  }
}

export async function latencyPaths(backend: Backend, writers: Writer[], o: RunOptions, metrics: Metrics) {
  const [first, second] = writers as [Writer, Writer];
  const call = (writer: Writer, path: WritePath, roomId: string) =>
    writer.call<LatencyResult>({
      op: "latency",
      path,
      roomId,
      warmup: o.warmupSamples,
      samples: o.samples,
      chars: o.messageChars,
    });
  const results: Record<string, LatencyResult> = {};
  for (const path of ["plain", "lwt"] as const) {
    log(`${backend.kind}: ${PATH_LABELS[backend.kind][path]}`);
    results[path] = await call(first, path, await backend.newRawKey());
  }
  log(`${backend.kind}: ${PATH_LABELS[backend.kind].append}`);
  const quiet = await backend.newRoom("positions-latency");
  results.append = await call(first, "append", quiet);
  const checks = [await checkRooms(backend, [quiet], [ackedOf(results.append.appended)])];

  log(`${backend.kind}: ${PATH_LABELS[backend.kind].contended}`);
  const hot = await backend.newRoom("positions-contended");
  const contender = second.call<RunResult>({
    op: "run",
    path: "append",
    roomIds: [hot],
    positionBase: 0,
    startAt: Date.now(),
    warmupMs: 0,
    durationMs: 600_000,
    chars: o.messageChars,
  });
  await headReaches(backend, hot, 10);
  results.contended = await call(first, "append", hot);
  await second.call({ op: "stop" });
  const other = await contender;
  checks.push(await checkRooms(backend, [hot], [[...ackedOf(results.contended.appended), ...ackedOf(other.appended)]]));
  for (const [path, r] of Object.entries(results)) metrics.trend(`latency_${path}_ms`, r.latency);
  const errors = Object.values(results).reduce((a, r) => a + r.errors, 0) + other.errors;
  return {
    results,
    checks,
    errors,
    contender: { appends: other.appended.length, errors: other.errors },
    errorSamples: [...Object.values(results).flatMap((r) => r.errorSamples), ...other.errorSamples],
  };
}

/**
 * `k` writers appending for warm-up + duration: all to the one room when `roomCount` is 1 (contention),
 * else each to its own share of the rooms (writer w to rooms w, w + k, …: no contention). Path `lwt`:
 * the raw linearizable write instead, all writers on one key at positions of their own (contention on
 * the partition or the file only, no chatd); nothing to check then.
 */
export async function throughput(
  backend: Backend,
  writers: Writer[],
  o: RunOptions,
  run: { k: number; roomCount: number; path: "append" | "lwt" },
) {
  const { k, roomCount, path } = run;
  const roomIds =
    path === "lwt"
      ? [await backend.newRawKey()]
      : await mapLimit(
          Array.from({ length: roomCount }, (_, i) => i),
          8,
          (i) => backend.newRoom(`positions-${roomCount}-${k}-${i}`),
        );
  const shares = Array.from({ length: k }, (_, w) =>
    roomCount === 1 ? roomIds : roomIds.filter((_, i) => i % k === w),
  );
  const startAt = Date.now() + 300;
  let meter: ReturnType<typeof cpuMeter> | undefined;
  const startMeter = setTimeout(
    () => {
      meter = cpuMeter(backend.serverPids);
    },
    startAt + o.warmup * 1000 - Date.now(),
  );
  const results = await Promise.all(
    writers.slice(0, k).map((writer, w) =>
      writer.call<RunResult>({
        op: "run",
        path,
        roomIds: shares[w]!,
        positionBase: w * 1_000_000_000,
        startAt,
        warmupMs: o.warmup * 1000,
        durationMs: o.duration * 1000,
        chars: o.messageChars,
      }),
    ),
  );
  clearTimeout(startMeter);
  const server = meter?.();
  const acked = roomIds.map(() => [] as [number, string][]);
  results.forEach((r, w) => {
    const indexes = shares[w]!.map((roomId) => roomIds.indexOf(roomId));
    for (const [room, position, id] of r.appended) acked[indexes[room]!]!.push([position, id]);
  });
  const check = path === "lwt" ? null : await checkRooms(backend, roomIds, acked);
  const latency = new Histogram();
  for (const r of results) latency.merge(r.latency);
  const statements: Record<string, number> = {};
  const statementLatency: Record<string, Histogram> = {};
  for (const r of results) {
    for (const [kind, n] of Object.entries(r.statements)) statements[kind] = (statements[kind] ?? 0) + n;
    for (const [kind, h] of Object.entries(r.statementLatency))
      statementLatency[kind] = (statementLatency[kind] ?? new Histogram()).merge(h);
  }
  const writersLabel = `${k} writer${k === 1 ? "" : "s"}`;
  const figures: RunFigures = {
    label:
      path === "lwt"
        ? `raw (ii) on 1 key, ${writersLabel}`
        : `${roomCount === 1 ? "1 room" : `${roomCount} rooms`}, ${writersLabel}`,
    rate: results.reduce((a, r) => a + r.measured / r.measuredSeconds, 0),
    latency,
    appended: results.reduce((a, r) => a + r.appended.length, 0),
    statements,
    statementLatency,
    busiestWriter: Math.max(...results.map((r) => r.cpu.share)),
    serverCores: backend.serverPids.length > 0 && server ? server.cores : null,
    machineBusy: server?.machineBusy ?? null,
    check,
  };
  const errors = results.reduce((a, r) => a + r.errors, 0);
  return { figures, errors, errorSamples: results.flatMap((r) => r.errorSamples) };
}
