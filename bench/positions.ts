// Scenario positions: what giving every message a room position costs. (a) Latency added: one
// sequential writer, p50/p95/p99 of a plain write, a linearizable write, chatd's appendMessage, and
// appendMessage while another process appends to the same room, each as a ratio to the first two.
// (b) What one hot room sustains: 1..W writer processes appending to one room as fast as they can,
// next to the same appends spread over R rooms (no contention). Every run reads the logs back and
// proves positions are exactly 1..N with each acknowledged append where it was told. (c) Both on
// Cassandra and on SQLite (one file, several processes). `bun run bench:positions` (see --help).
import { type parseArgs, parseCommandLine, UsageError } from "./lib/args";
import { mapLimit } from "./lib/fixtures";
import { round } from "./lib/pool";
import { type Backend, cassandraBackend, sqliteBackend } from "./lib/positions/backends";
import { checkLog, type LogCheck, sumChecks } from "./lib/positions/check";
import type { Appended, LatencyResult, RunResult, WritePath } from "./lib/positions/protocol";
import { LATENCY_HEADER, latencyRows, PATH_LABELS, RUN_HEADER, type RunFigures, runRow } from "./lib/positions/tables";
import { startWriters, type Writer } from "./lib/positions/writers";
import { busyWarning, cpuMeter, machineBusy, machineInfo } from "./lib/proc";
import { writeJson } from "./lib/report";
import { checkThresholds, Metrics, type Thresholds } from "./lib/runner";
import { log, type Outcome, printOutcome, type Resources, runMain } from "./lib/scenario";
import { Histogram, summarize } from "./lib/stats";

export const options = {
  store: { default: "both", help: "cassandra, sqlite or both" },
  samples: { default: 1000, min: 50, max: 20_000, help: "timed sequential writes per latency path" },
  warmupSamples: { default: 100, min: 0, max: 5000, help: "unmeasured writes before each latency path" },
  writers: { default: 3, min: 1, max: 4, help: "most writer processes of the throughput runs (runs 1..N)" },
  duration: { default: 10, min: 1, max: 60, help: "measured seconds of each throughput run" },
  warmup: { default: 1, min: 0, max: 10, help: "seconds of the same appends before a run is measured" },
  rooms: { default: 100, min: 4, max: 1000, help: "rooms of the spread runs (each writer its own share)" },
  messageChars: { default: 100, min: 1, max: 4000, help: "characters of content per message" },
  p95: { default: 500, min: 1, max: 60_000, help: "threshold: p95 of an uncontended appendMessage, ms" },
};

export type PositionsOptions = ReturnType<typeof parseArgs<typeof options>>;
type Kind = Backend["kind"];

const storesOf = (o: PositionsOptions): Kind[] => {
  if (o.store === "both") return ["cassandra", "sqlite"];
  if (o.store === "cassandra" || o.store === "sqlite") return [o.store];
  throw new UsageError(`--store: cassandra, sqlite or both, got "${o.store}"`);
};

/** Setup, four latency paths (30 ms a write at worst), 3 × writers runs with their checks, per store. */
const perStoreSeconds = (o: PositionsOptions) =>
  150 + 4 * (o.samples + o.warmupSamples) * 0.03 + 3 * o.writers * (o.warmup + o.duration + 30);
export const timeBound = (o: PositionsOptions) => (storesOf(o).length * perStoreSeconds(o) + 60) * 1000;

const THRESHOLDS = (o: PositionsOptions): Thresholds => ({
  latency_append_ms: [`p(95)<${o.p95}`],
  append_errors: ["count==0"],
  position_gaps: ["count==0"],
  position_duplicates: ["count==0"],
  position_mismatched: ["count==0"],
  position_unacknowledged: ["count==0"],
  id_order: ["count==0"],
  head_mismatch: ["count==0"],
});

const loadAverage = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).map(Number);

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

async function latencyPaths(backend: Backend, writers: Writer[], o: PositionsOptions, metrics: Metrics) {
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
async function throughput(
  backend: Backend,
  writers: Writer[],
  o: PositionsOptions,
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

function recordChecks(metrics: Metrics, check: LogCheck, errors: number) {
  metrics.counter("append_errors", errors);
  metrics.counter("position_gaps", check.gaps);
  metrics.counter("position_duplicates", check.duplicates);
  metrics.counter("position_mismatched", check.mismatched);
  metrics.counter("position_unacknowledged", check.unacknowledged);
  metrics.counter("id_order", check.idOrder);
  metrics.counter("head_mismatch", check.headMismatch);
  metrics.counter("log_entries_checked", check.entries);
}

async function measureStore(kind: Kind, o: PositionsOptions, resources: Resources) {
  const loadBefore = await loadAverage();
  log(`${kind}: setting up (load average ${loadBefore.join(" ")})`);
  const backend = kind === "cassandra" ? await cassandraBackend() : await sqliteBackend();
  resources.defer(() => backend.close());
  const pool = await startWriters(Math.max(2, o.writers), backend.spec, timeBound(o));
  resources.defer(() => pool.stop());
  const metrics = new Metrics();
  const latency = await latencyPaths(backend, pool.writers, o, metrics);
  const runs: RunFigures[] = [];
  let errors = latency.errors;
  const errorSamples = [...latency.errorSamples];
  const plan = [
    ...[1, o.rooms].map((roomCount) => ({ roomCount, path: "append" as const })),
    { roomCount: 1, path: "lwt" as const },
  ];
  for (const { roomCount, path } of plan) {
    for (let k = 1; k <= o.writers; k++) {
      const what =
        path === "lwt" ? "the raw linearizable write on 1 key" : `${roomCount} room${roomCount === 1 ? "" : "s"}`;
      log(`${kind}: ${k} writer process${k === 1 ? "" : "es"} on ${what}`);
      const run = await throughput(backend, pool.writers, o, { k, roomCount, path });
      runs.push(run.figures);
      errors += run.errors;
      errorSamples.push(...run.errorSamples);
    }
  }
  const check = sumChecks([...latency.checks, ...runs.flatMap((r) => (r.check ? [r.check] : []))]);
  recordChecks(metrics, check, errors);
  runs.forEach((r, i) => {
    metrics.counter(`appends_run${i + 1}`, Math.round(r.rate), 1, "1/s");
  });
  await pool.stop();
  await backend.close();
  const thresholds = checkThresholds(metrics, THRESHOLDS(o)).map((t) => ({ ...t, metric: `${kind}.${t.metric}` }));
  return {
    kind,
    info: backend.info,
    loadAverage: { before: loadBefore, after: await loadAverage() },
    metrics,
    latencyTable: latencyRows(kind, metrics),
    runTable: runs.map(runRow),
    runs,
    check,
    thresholds,
    contender: latency.contender,
    errorSamples: errorSamples.slice(0, 10),
  };
}

async function positions(o: PositionsOptions, resources: Resources): Promise<Outcome[]> {
  const busyBefore = await machineBusy();
  const stores = [];
  for (const kind of storesOf(o)) stores.push(await measureStore(kind, o, resources));
  const warnings = [busyWarning(busyBefore)].filter((w): w is string => w !== null);
  const file = writeJson("positions", {
    scenario: "positions",
    started_at: new Date().toISOString(),
    options: o,
    machine: { ...machineInfo(), busy_before_run: round(busyBefore, 3) },
    stores: Object.fromEntries(
      stores.map((s) => [
        s.kind,
        {
          info: s.info,
          load_average: s.loadAverage,
          metrics: s.metrics.toJSON(),
          latency_table: s.latencyTable,
          runs: s.runs.map((r, i) => ({
            ...r,
            latency: summarize(r.latency),
            statementLatency: Object.fromEntries(Object.entries(r.statementLatency).map(([k, h]) => [k, summarize(h)])),
            row: s.runTable[i],
          })),
          check: s.check,
          contender: s.contender,
          thresholds: s.thresholds,
          error_samples: s.errorSamples,
        },
      ]),
    ),
    warnings,
  });
  return stores.flatMap((s) => [
    {
      scenario: "positions",
      ok: true,
      file,
      title: `positions on ${s.kind}: one sequential writer, ${o.samples} writes per path (load ${s.loadAverage.before.join(" ")})`,
      header: LATENCY_HEADER,
      table: s.latencyTable,
      thresholds: [],
      warnings: [],
    },
    {
      scenario: "positions",
      ok: s.thresholds.every((t) => t.ok),
      file,
      title: `positions on ${s.kind}: appends as fast as each writer process can, ${o.duration} s per run`,
      header: RUN_HEADER[s.kind],
      table: s.runTable,
      thresholds: s.thresholds,
      warnings,
    },
  ]);
}

if (import.meta.main) {
  const o = parseCommandLine("positions", options);
  try {
    storesOf(o);
  } catch (error) {
    process.stderr.write(`bench/positions: ${(error as Error).message}\n`);
    process.exit(2);
  }
  await runMain(timeBound(o), async (resources) => {
    const outcomes = await positions(o, resources);
    for (const outcome of outcomes) printOutcome(outcome);
    return outcomes;
  });
}
