// Scenario positions: what giving every message a room position costs. (a) Latency added: one
// sequential writer, p50/p95/p99 of a plain write, a linearizable write, chatd's appendMessage, and
// appendMessage while another process appends to the same room, each as a ratio to the first two.
// (b) What one hot room sustains: 1..W writer processes appending to one room as fast as they can,
// next to the same appends spread over R rooms (no contention). Every run reads the logs back and
// proves positions are exactly 1..N with each acknowledged append where it was told. (c) Both on
// Cassandra and on SQLite (one file, several processes). `bun run bench:positions` (see --help).
import { type parseArgs, parseCommandLine, UsageError } from "./lib/args";
import { round } from "./lib/pool";
import { type Backend, cassandraBackend, sqliteBackend } from "./lib/positions/backends";
import { type LogCheck, sumChecks } from "./lib/positions/check";
import { latencyPaths, throughput } from "./lib/positions/runs";
import { LATENCY_HEADER, latencyRows, RUN_HEADER, type RunFigures, runRow } from "./lib/positions/tables";
import { startWriters } from "./lib/positions/writers";
import { busyWarning, machineBusy, machineInfo } from "./lib/proc";
import { writeJson } from "./lib/report";
import { checkThresholds, Metrics, type Thresholds } from "./lib/runner";
import { log, type Outcome, printOutcome, type Resources, runMain } from "./lib/scenario";
import { summarize } from "./lib/stats";

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
