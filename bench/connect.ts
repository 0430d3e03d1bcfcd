// Scenario connect: a connection ramp. N clients open a WebSocket, authenticate (token in the query)
// and subscribe to a room, as fast as the server lets them (or following --ramp stages); then they stay
// idle while the server's memory settles. Reports connections/s, time to subscribed, RSS per idle
// connection and how many idle connections fit in a memory budget. `bun run bench:connect`.
import { type parseArgs, parseCommandLine } from "./lib/args";
import type { Report } from "./lib/commands";
import {
  finishScenario,
  runTargets,
  type TargetRun,
  targetOptions,
  targetRun,
  topologyAllowanceMs,
  topologyTitle,
} from "./lib/compare";
import { openConnections, planRooms, rampStages } from "./lib/plan";
import { clientOption, type LoadPool, loadgenCpu, parseClient, round } from "./lib/pool";
import { cpuMeter, settledRss } from "./lib/proc";
import { processRows, type Row, recordPerProcess } from "./lib/report";
import { Metrics, type Stage, type Thresholds } from "./lib/runner";
import { log, main, type Outcome, type Resources } from "./lib/scenario";
import { pidsOf, type Target } from "./lib/target";

export const options = {
  connections: { default: 5000, min: 1, max: 20_000, help: "clients to connect" },
  rooms: { default: 10, min: 1, max: 500, help: "rooms the clients subscribe to (round-robin)" },
  usersPerRoom: { default: 10, min: 1, max: 1000, help: "chatd users whose connections share a room" },
  ramp: { default: "", help: "ramp as k6 stages, e.g. 10s:5000 (default: as fast as possible)" },
  maxInFlight: { default: 64, min: 1, max: 1000, help: "handshakes in flight per worker" },
  hold: { default: 5, min: 1, max: 120, help: "seconds the connections stay idle before memory is read" },
  workers: { default: 3, min: 1, max: 16, help: "load-generator processes sharing the clients" },
  memoryBudgetMib: { default: 1024, min: 64, max: 1_048_576, help: "budget for the idle-connection estimate" },
  ...targetOptions,
  ...clientOption,
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

/** What a split deployment reports per process too (after the summed figures). */
const PROCESS_ROWS: Row[] = [
  { label: "server CPU while connecting", metric: "server_cpu_cores", stat: "value", format: "share" },
  { label: "server RSS idle connected", metric: "server_rss_idle", stat: "value", format: "bytes" },
];

const THRESHOLDS: Thresholds = { connect_errors: ["count==0"], closed_while_idle: ["count==0"] };

export const timeBound = (o: ConnectOptions) =>
  (2 * (90 + o.hold + o.connections / 200) + 60) * 1000 + topologyAllowanceMs(o);

async function runTarget(target: Target, pool: LoadPool, o: ConnectOptions, stages: Stage[]): Promise<TargetRun> {
  const plan = await planRooms(target, o);
  log(`${target.kind}: ${plan.receivers.length} clients in ${o.rooms} rooms`);
  const pids = pidsOf(target);
  const before = await settledRss(pids);
  await pool.all({ op: "measure" });
  const serverCpu = cpuMeter(pids);
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
  const idle = await settledRss(pids);
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
  recordPerProcess(metrics, target.processes, "server_cpu_cores", server.perProcess);
  recordPerProcess(metrics, target.processes, "server_rss_idle", idle.perProcess, "bytes");
  metrics.gauge("bytes_per_idle_connection", perConnection, "bytes");
  metrics.gauge("connections_in_budget", perConnection > 0 ? Math.floor((budget - before.bytes) / perConnection) : NaN);
  const cpu = loadgenCpu(reports.map((r) => ({ ...r.cpu, role: "client" })));
  return targetRun(target, metrics, {
    loadgen: cpu,
    machineBusy: server.machineBusy,
    exitCode,
    warnings: [(!before.stable || !idle.stable) && "server RSS did not settle; memory is rough"],
    server: {
      topology: target.topology,
      processes: target.processes.map((p, i) => ({
        ...p,
        cpu_cores_while_connecting: round(server.perProcess[i]!, 3),
        rss_before: before.perProcess[i],
        rss_idle: idle.perProcess[i],
      })),
      open_files_limit: target.openFiles,
      exit_code: exitCode,
      cpu_while_connecting: { cores: round(server.cores, 3), cpu_seconds: round(server.cpuSeconds, 3) },
      machine_busy_while_connecting: round(server.machineBusy, 3),
    },
    detail: {
      setup: { users: plan.users, seconds: round(plan.setupSeconds, 2) },
      connect: { opened: opened.opened, failed: opened.failed, seconds: round(opened.seconds, 3) },
      connect_errors: opened.errors,
      memory_budget_bytes: budget,
      note: "connections_in_budget extrapolates the idle RSS per connection measured here to the budget",
    },
  });
}

export async function connectScenario(o: ConnectOptions, resources: Resources): Promise<Outcome> {
  const stages = rampStages(o.ramp, o.connections);
  const compared = await runTargets(
    o,
    resources,
    {
      files: o.connections + 1024,
      pool: {
        workers: o.workers,
        files: Math.ceil(o.connections / o.workers) + 512,
        maxMs: timeBound(o),
        client: parseClient(o.client),
      },
    },
    (target, pool) => runTarget(target, pool, o, stages),
  );
  return finishScenario({
    scenario: "connect",
    title: `connect${topologyTitle(compared)}: ${o.connections} clients open, authenticate and subscribe, then idle ${o.hold} s; load generator ${compared.loadGenerator}`,
    options: o,
    rows: [...ROWS, ...processRows(compared.runs.chatd?.metrics, PROCESS_ROWS)],
    thresholds: THRESHOLDS,
    compared,
  });
}

if (import.meta.main) await main(parseCommandLine("connect", options), timeBound, connectScenario);
