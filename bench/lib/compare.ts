// Running one scenario against chatd and the raw Bun baseline with the same load, and putting the two
// side by side: targets, per-target warnings, thresholds, the table and the JSON result.
import { UsageError } from "./args";
import { type Client, LoadPool, type loadgenCpu, round } from "./pool";
import { busyWarning, machineBusy, machineInfo } from "./proc";
import { type Row, tableRows, writeResult } from "./report";
import { checkThresholds, type Metrics, type Thresholds } from "./runner";
import { log, type Outcome, type Resources } from "./scenario";
import { startSplit } from "./split";
import {
  buildChatd,
  parseTopology,
  profileDir,
  startBaseline,
  startChatd,
  type Target,
  type TargetKind,
  type Topology,
} from "./target";

/** The options of every scenario that choose and start its targets (`runTargets` reads them). */
export const targetOptions = {
  target: { default: "both", help: "chatd, baseline or both" },
  topology: {
    default: process.env.BENCH_TOPOLOGY ?? "single",
    help: "chatd as one process (single) or 1 api + N ws processes on Cassandra, NATS and Redis (split); env BENCH_TOPOLOGY",
  },
  wsProcesses: { default: 2, min: 2, max: 4, help: "ws processes of the split topology" },
  profile: { default: "", help: "a directory: run chatd from source under `bun --cpu-prof`, profile written there" },
};

export type TargetOptions = { target: string; topology: string; wsProcesses: number; profile: string };

/**
 * Extra time a run's bound allows for its chatd topology: a split deployment migrates a fresh
 * keyspace, starts several processes and drops the keyspace, stream and keys at the end.
 */
export const topologyAllowanceMs = (o: { topology: string }) => (o.topology === "split" ? 180_000 : 0);

/** One target's part of a run: its metrics, the JSON detail beside them, its warnings. */
export type TargetRun = { metrics: Metrics; detail: Record<string, unknown>; warnings: string[] };

/** What `runTargets` ran: the targets' runs (baseline first), the machine's load before, chatd's build time. */
export type Compared = {
  runs: Partial<Record<TargetKind, TargetRun>>;
  busyBefore: number;
  buildSeconds: number;
  topology: Topology;
  /** The roles of chatd's processes (`all`, or `api`, `ws1`, `ws2`, …); empty when chatd did not run. */
  chatdRoles: string[];
  /** The load generator's runtime, e.g. `bun 1.4.5` or `node v20.20.2 + ws`. */
  loadGenerator: string;
};

/**
 * Runs a scenario against the targets `--target` names (chatd, baseline or both; baseline first):
 * samples the machine for a second, builds chatd, starts the load pool and calls `prepare` on it once,
 * then starts each target with `files` open files (chatd as `--topology` says, under `--profile` when
 * given) and hands it to `run`, one target at a time. Everything started is deferred to `resources`.
 * Throws on another `--target` or `--topology` before starting anything.
 */
export async function runTargets(
  o: TargetOptions,
  resources: Resources,
  setup: {
    files: number;
    /** `client`: the load workers' runtime (default bun). */
    pool: { workers: number; files: number; maxMs: number; client?: Client };
    prepare?: (pool: LoadPool) => Promise<void>;
  },
  run: (target: Target, pool: LoadPool) => Promise<TargetRun>,
): Promise<Compared> {
  const kinds: TargetKind[] = o.target === "both" ? ["baseline", "chatd"] : [o.target as TargetKind];
  if (!kinds.every((k) => k === "chatd" || k === "baseline")) throw new UsageError("--target: chatd, baseline or both");
  const topology = parseTopology(o.topology);
  const busyBefore = await machineBusy();
  const build = buildChatd();
  resources.defer(build.cleanup);
  log(`built chatd in ${build.seconds.toFixed(1)} s`);
  const pool = await LoadPool.start(setup.pool.workers, setup.pool.files, setup.pool.maxMs, setup.pool.client);
  log(`load generator: ${pool.runtime}`);
  resources.defer(() => pool.stop());
  await setup.prepare?.(pool);
  const runs: Compared["runs"] = {};
  const chatdRoles: string[] = [];
  for (const kind of kinds) {
    const { files } = setup;
    const profile = profileDir(o.profile);
    const target =
      kind === "baseline"
        ? await startBaseline({ files })
        : topology === "split"
          ? await startSplit(build.binary, { files, wsProcesses: o.wsProcesses, profileDir: profile })
          : await startChatd(build.binary, { files, profileDir: profile });
    resources.defer(() => target.stop());
    if (kind === "chatd") chatdRoles.push(...target.processes.map((p) => p.role));
    const where = target.processes.map((p) => `${p.role} ${p.url} pid ${p.pid}`).join(", ");
    log(`${kind} (${target.topology}): ${where}; open files ${target.openFiles}`);
    runs[kind] = await run(target, pool);
  }
  return { runs, busyBefore, buildSeconds: build.seconds, topology, chatdRoles, loadGenerator: pool.runtime };
}

/** " (chatd split: 1 api + 2 ws)" for a split run's title, "" otherwise. */
export const topologyTitle = (compared: Compared) => {
  const ws = compared.chatdRoles.filter((role) => role.startsWith("ws")).length;
  return compared.topology === "split" ? ` (chatd split: 1 api + ${ws} ws on Cassandra, NATS, Redis)` : "";
};

/**
 * A target's run from what its scenario measured: records the load generator's busiest worker as the
 * last metric, and puts `server` and the load generator's CPU first in the detail. Warnings, each
 * prefixed with the target's kind, in this order: load generator saturated, machine busy (when
 * `machineBusy` was measured), the scenario's own (`false` entries skipped), server exit code not 0.
 */
export function targetRun(
  target: Target,
  metrics: Metrics,
  r: {
    loadgen: ReturnType<typeof loadgenCpu>;
    machineBusy: number | undefined;
    exitCode: number | null;
    warnings?: (string | false)[];
    server: Record<string, unknown>;
    detail?: Record<string, unknown>;
  },
): TargetRun {
  metrics.gauge("loadgen_max_core_share", r.loadgen.max_core_share);
  metrics.gauge("loadgen_max_lag_p99_ms", r.loadgen.max_lag_p99_ms);
  const warnings = [
    r.loadgen.saturated &&
      `load generator saturated (a worker used ${Math.round(r.loadgen.max_core_share * 100)} % of a core): results are a lower bound`,
    r.machineBusy !== undefined &&
      r.machineBusy > 0.95 &&
      `the machine's CPUs were ${Math.round(r.machineBusy * 100)} % busy: server and load generator competed`,
    ...(r.warnings ?? []),
    r.exitCode !== 0 && `server exited with code ${r.exitCode}`,
  ];
  return {
    metrics,
    warnings: warnings.filter((w): w is string => typeof w === "string").map((w) => `${target.kind}: ${w}`),
    detail: { server: r.server, loadgen: r.loadgen, ...r.detail },
  };
}

/**
 * The end of a scenario: checks `thresholds` on chatd's metrics (the baseline's when only it ran), builds
 * the table against the baseline, gathers the warnings (machine busy before the run, then the baseline's,
 * then chatd's), writes the JSON result (`extra` goes after `machine`) and returns the outcome.
 */
export function finishScenario(s: {
  scenario: string;
  title: string;
  options: object;
  rows: Row[];
  thresholds: Thresholds;
  compared: Compared;
  extra?: Record<string, unknown>;
}): Outcome {
  const { runs, busyBefore } = s.compared;
  const main = (runs.chatd ?? runs.baseline)!;
  const baseline = runs.chatd && runs.baseline ? runs.baseline : null;
  const thresholds = checkThresholds(main.metrics, s.thresholds);
  const table = tableRows(s.rows, main.metrics, baseline?.metrics ?? null);
  const warnings = [
    ...[busyWarning(busyBefore)].filter((w): w is string => w !== null),
    ...(runs.baseline?.warnings ?? []),
    ...(runs.chatd?.warnings ?? []),
  ];
  const ok = thresholds.every((t) => t.ok);
  const { scenario, title } = s;
  const file = writeResult(scenario, s.compared.topology, {
    scenario,
    title,
    topology: s.compared.topology,
    started_at: new Date().toISOString(),
    options: s.options,
    machine: { ...machineInfo(), busy_before_run: round(busyBefore, 3) },
    load_generator: s.compared.loadGenerator,
    ...s.extra,
    thresholds: { definition: s.thresholds, results: thresholds, ok },
    targets: Object.fromEntries(
      Object.entries(runs).map(([k, r]) => [k, { metrics: r.metrics.toJSON(), ...r.detail, warnings: r.warnings }]),
    ),
    ratios: baseline ? Object.fromEntries(s.rows.map((r, i) => [r.label, table[i]![3]])) : null,
    warnings,
  });
  return { scenario, ok, file, title, table, thresholds, warnings };
}
