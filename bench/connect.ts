// Scenario connect: a connection ramp. N clients open a WebSocket, authenticate (token in the query)
// and subscribe to a room, as fast as the server lets them (or following --ramp stages); then they stay
// idle while the server's memory settles. Reports connections/s, time to subscribed, RSS per idle
// connection and how many idle connections fit in a memory budget. `bun run bench:connect`.
import { parseArgs } from "./lib/args";
import type { Report } from "./lib/commands";
import { openConnections, planRooms } from "./lib/plan";
import { LoadPool, loadgenCpu, round } from "./lib/pool";
import { busyWarning, cpuMeter, machineBusy, machineInfo, settledRss } from "./lib/proc";
import { type Row, tableRows, writeResult } from "./lib/report";
import { checkThresholds, Metrics, parseStages, type Stage, type Thresholds } from "./lib/runner";
import { log, type Outcome, printOutcome, type Resources, runMain } from "./lib/scenario";
import { buildChatd, profileDir, startBaseline, startChatd, type Target, type TargetKind } from "./lib/target";

export const options = {
  connections: { default: 5000, min: 1, max: 20_000, help: "clients to connect" },
  rooms: { default: 10, min: 1, max: 500, help: "rooms the clients subscribe to (round-robin)" },
  usersPerRoom: { default: 10, min: 1, max: 1000, help: "chatd users whose connections share a room" },
  ramp: { default: "", help: "ramp as k6 stages, e.g. 10s:5000 (default: as fast as possible)" },
  maxInFlight: { default: 64, min: 1, max: 1000, help: "handshakes in flight per worker" },
  hold: { default: 5, min: 1, max: 120, help: "seconds the connections stay idle before memory is read" },
  workers: { default: 3, min: 1, max: 16, help: "load-generator processes sharing the clients" },
  memoryBudgetMib: { default: 1024, min: 64, max: 1_048_576, help: "budget for the idle-connection estimate" },
  target: { default: "both", help: "chatd, baseline or both" },
  profile: { default: "", help: "a directory: run chatd from source under `bun --cpu-prof`, profile written there" },
};

export type ConnectOptions = ReturnType<typeof parseArgs<typeof options>>;

export const ROWS: Row[] = [
  { label: "connect rate (open, auth, subscribe)", metric: "connect_rate", stat: "value", format: "rate" },
  { label: "time to subscribed p50", metric: "ws_time_to_subscribed_ms", stat: "p(50)", format: "ms" },
  { label: "time to subscribed p95", metric: "ws_time_to_subscribed_ms", stat: "p(95)", format: "ms" },
  { label: "time to subscribed p99", metric: "ws_time_to_subscribed_ms", stat: "p(99)", format: "ms" },
  { label: "time to subscribed max", metric: "ws_time_to_subscribed_ms", stat: "max", format: "ms" },
  { label: "connect errors", metric: "connect_errors", stat: "count", format: "int" },
  { label: "server CPU per connection", metric: "server_cpu_us_per_connection", stat: "value", format: "us" },
  { label: "server RSS before", metric: "server_rss_before", stat: "value", format: "bytes" },
  { label: "server RSS idle connected", metric: "server_rss_idle", stat: "value", format: "bytes" },
  { label: "RSS per idle connection", metric: "bytes_per_idle_connection", stat: "value", format: "bytes" },
  { label: "idle connections in the budget", metric: "connections_in_budget", stat: "value", format: "int" },
  { label: "load gen busiest worker (core)", metric: "loadgen_max_core_share", stat: "value", format: "share" },
];

const THRESHOLDS: Thresholds = { connect_errors: ["count==0"], closed_while_idle: ["count==0"] };

export const timeBound = (o: ConnectOptions) => (2 * (90 + o.hold + o.connections / 200) + 60) * 1000;

async function runTarget(target: Target, pool: LoadPool, o: ConnectOptions, stages: Stage[]) {
  const plan = await planRooms(target, o);
  log(`${target.kind}: ${plan.receivers.length} clients in ${o.rooms} rooms`);
  const before = await settledRss(target.pid);
  await pool.all({ op: "measure" });
  const serverCpu = cpuMeter(target.pid);
  const opened = await openConnections(pool, target, plan.receivers, {
    on: pool.workers.map((_, i) => i),
    role: "receiver",
    stages,
    maxInFlight: o.maxInFlight,
  });
  const server = serverCpu();
  const reports = await pool.all<Report>({ op: "report" });
  log(`${target.kind}: ${opened.opened} subscribed in ${opened.seconds.toFixed(2)} s; idle for ${o.hold} s`);
  await Bun.sleep(o.hold * 1000);
  const idle = await settledRss(target.pid);
  const closedWhileIdle = (await pool.all<Report>({ op: "report" })).reduce((a, r) => a + r.closedUnexpectedly, 0);
  await pool.all({ op: "close" });
  const exitCode = await target.stop();

  const metrics = new Metrics();
  const perConnection = (idle.bytes - before.bytes) / Math.max(1, opened.opened);
  const budget = o.memoryBudgetMib * 2 ** 20;
  metrics.trend("ws_time_to_subscribed_ms", opened.timeToReady);
  metrics.gauge("connect_rate", opened.opened / opened.seconds, "1/s");
  metrics.counter("connect_errors", opened.failed);
  metrics.counter("closed_while_idle", closedWhileIdle);
  metrics.gauge("server_cpu_us_per_connection", (server.cpuSeconds * 1e6) / Math.max(1, opened.opened));
  metrics.gauge("server_rss_before", before.bytes, "bytes");
  metrics.gauge("server_rss_idle", idle.bytes, "bytes");
  metrics.gauge("bytes_per_idle_connection", perConnection, "bytes");
  metrics.gauge("connections_in_budget", perConnection > 0 ? Math.floor((budget - before.bytes) / perConnection) : NaN);
  const cpu = loadgenCpu(reports.map((r) => ({ ...r.cpu, role: "client" })));
  metrics.gauge("loadgen_max_core_share", cpu.max_core_share);
  const warnings: string[] = [];
  if (cpu.saturated)
    warnings.push(
      `${target.kind}: load generator saturated (a worker used ${Math.round(cpu.max_core_share * 100)} % of a core): results are a lower bound`,
    );
  if (server.machineBusy > 0.95)
    warnings.push(`${target.kind}: the machine's CPUs were ${Math.round(server.machineBusy * 100)} % busy`);
  if (!before.stable || !idle.stable) warnings.push(`${target.kind}: server RSS did not settle; memory is rough`);
  if (exitCode !== 0) warnings.push(`${target.kind}: server exited with code ${exitCode}`);
  return {
    metrics,
    warnings,
    detail: {
      server: {
        pid: target.pid,
        open_files_limit: target.openFiles,
        exit_code: exitCode,
        cpu_while_connecting: { cores: round(server.cores, 3), cpu_seconds: round(server.cpuSeconds, 3) },
        machine_busy_while_connecting: round(server.machineBusy, 3),
      },
      loadgen: cpu,
      setup: { users: plan.users, seconds: round(plan.setupSeconds, 2) },
      connect: { opened: opened.opened, failed: opened.failed, seconds: round(opened.seconds, 3) },
      connect_errors: opened.errors,
      memory_budget_bytes: budget,
      note: "connections_in_budget extrapolates the idle RSS per connection measured here to the budget",
    },
  };
}

export async function connectScenario(o: ConnectOptions, resources: Resources): Promise<Outcome> {
  const kinds: TargetKind[] = o.target === "both" ? ["baseline", "chatd"] : [o.target as TargetKind];
  if (!kinds.every((k) => k === "chatd" || k === "baseline")) throw new Error("--target: chatd, baseline or both");
  const stages = o.ramp ? parseStages(o.ramp) : [{ duration: "0s", target: o.connections }];
  if (stages.at(-1)!.target !== o.connections) throw new Error("--ramp: the last stage's target must be --connections");
  const files = o.connections + 1024;
  const busyBefore = await machineBusy();
  const build = buildChatd();
  resources.defer(build.cleanup);
  const pool = await LoadPool.start(o.workers, Math.ceil(o.connections / o.workers) + 512, timeBound(o));
  resources.defer(() => pool.stop());
  const runs: Partial<Record<TargetKind, Awaited<ReturnType<typeof runTarget>>>> = {};
  for (const kind of kinds) {
    const target =
      kind === "chatd"
        ? await startChatd(build.binary, { files, profileDir: profileDir(o.profile) })
        : await startBaseline({ files });
    resources.defer(() => target.stop());
    log(`${kind} on ${target.url} (pid ${target.pid}, open files ${target.openFiles})`);
    runs[kind] = await runTarget(target, pool, o, stages);
  }
  const main = (runs.chatd ?? runs.baseline)!;
  const baseline = runs.chatd && runs.baseline ? runs.baseline : null;
  const thresholds = checkThresholds(main.metrics, THRESHOLDS);
  const table = tableRows(ROWS, main.metrics, baseline?.metrics ?? null);
  const warnings = [
    ...[busyWarning(busyBefore)].filter((w): w is string => w !== null),
    ...(runs.baseline?.warnings ?? []),
    ...(runs.chatd?.warnings ?? []),
  ];
  const ok = thresholds.every((t) => t.ok);
  const title = `connect: ${o.connections} clients open, authenticate and subscribe, then idle ${o.hold} s`;
  const file = writeResult("connect", {
    scenario: "connect",
    title,
    started_at: new Date().toISOString(),
    options: o,
    machine: { ...machineInfo(), busy_before_run: round(busyBefore, 3) },
    thresholds: { definition: THRESHOLDS, results: thresholds, ok },
    targets: Object.fromEntries(
      Object.entries(runs).map(([k, r]) => [k, { metrics: r.metrics.toJSON(), ...r.detail, warnings: r.warnings }]),
    ),
    ratios: baseline ? Object.fromEntries(ROWS.map((r, i) => [r.label, table[i]![3]])) : null,
    warnings,
  });
  return { scenario: "connect", ok, file, title, table, thresholds, warnings };
}

if (import.meta.main) {
  const o = parseArgs("connect", options);
  await runMain(timeBound(o), async (resources) => {
    const outcome = await connectScenario(o, resources);
    printOutcome(outcome);
    return [outcome];
  });
}
