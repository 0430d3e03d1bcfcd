// Scenario ws-fanout: N WebSocket receivers in R rooms, one sender per room sending M messages/s in
// total for D seconds over `message.send`; latency from the send timestamp inside the content to
// arrival, every delivery checked for loss and order. Run against chatd and the raw Bun baseline.
// `bun run bench:ws [--connections 10000] [--duration 10] ...` (see --help).
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
import { DRAIN_MS, expectedDeliveries, sendAndDrain, warmUp } from "./lib/deliveries";
import { type Opened, openConnections, planRooms, rampStages } from "./lib/plan";
import { clientOption, type LoadPool, loadgenCpu, parseClient, round } from "./lib/pool";
import { cpuMeter, groupRss, settledRss } from "./lib/proc";
import { processRows, type Row, recordPerProcess } from "./lib/report";
import { Metrics, type Stage, type Thresholds } from "./lib/runner";
import { log, main, type Outcome, type Resources } from "./lib/scenario";
import { Histogram } from "./lib/stats";
import { pidsOf, type Target } from "./lib/target";

export const options = {
  connections: { default: 1000, min: 1, max: 20_000, help: "receiving WebSocket connections" },
  rooms: { default: 10, min: 1, max: 500, help: "rooms (one sender connection each)" },
  rate: { default: 50, min: 1, max: 5000, help: "messages per second, all rooms together" },
  duration: { default: 20, min: 1, max: 300, help: "seconds of sending" },
  warmup: { default: 2, min: 0, max: 60, help: "seconds of the same traffic before measuring" },
  workers: { default: 3, min: 1, max: 16, help: "receiving load-generator processes (plus one sender)" },
  usersPerRoom: { default: 10, min: 1, max: 1000, help: "chatd users whose connections receive in a room" },
  messageChars: { default: 100, min: 40, max: 4000, help: "characters of content per message" },
  ramp: { default: "", help: "connection ramp as k6 stages, e.g. 10s:1000 (default: as fast as possible)" },
  maxInFlight: { default: 32, min: 1, max: 1000, help: "WebSocket handshakes in flight per worker" },
  p95: { default: 50, min: 1, max: 60_000, help: "threshold: p95 end-to-end latency, ms" },
  ...targetOptions,
  ...clientOption,
};

export type WsOptions = ReturnType<typeof parseArgs<typeof options>>;

export const ROWS: Row[] = [
  { label: "latency p50", metric: "ws_latency_ms", stat: "p(50)", format: "ms" },
  { label: "latency p95", metric: "ws_latency_ms", stat: "p(95)", format: "ms" },
  { label: "latency p99", metric: "ws_latency_ms", stat: "p(99)", format: "ms" },
  { label: "latency max", metric: "ws_latency_ms", stat: "max", format: "ms" },
  { label: "deliveries/s", metric: "deliveries", stat: "rate", format: "rate" },
  { label: "messages lost", metric: "lost", stat: "count", format: "int" },
  { label: "out of order", metric: "out_of_order", stat: "count", format: "int" },
  { label: "server RSS before connecting", metric: "server_rss_before", stat: "value", format: "bytes" },
  { label: "server RSS connected", metric: "server_rss_connected", stat: "value", format: "bytes" },
  { label: "server RSS after sending", metric: "server_rss_end", stat: "value", format: "bytes" },
  { label: "memory per connection", metric: "bytes_per_connection", stat: "value", format: "bytes" },
  { label: "connect rate", metric: "connect_rate", stat: "value", format: "rate" },
  { label: "time to subscribed p95", metric: "ws_time_to_subscribed_ms", stat: "p(95)", format: "ms" },
  { label: "server CPU (cores) while sending", metric: "server_cpu_cores", stat: "value", format: "share" },
  { label: "server CPU per message", metric: "server_cpu_us_per_message", stat: "value", format: "us" },
  { label: "load gen busiest worker (core)", metric: "loadgen_max_core_share", stat: "value", format: "share" },
  { label: "load gen event-loop lag p99", metric: "loadgen_max_lag_p99_ms", stat: "value", format: "ms" },
];

/** What a split deployment reports per process too (after the summed figures). */
const PROCESS_ROWS: Row[] = [
  { label: "server CPU while sending", metric: "server_cpu_cores", stat: "value", format: "share" },
  { label: "server RSS after sending", metric: "server_rss_end", stat: "value", format: "bytes" },
];

const thresholdsFor = (o: WsOptions): Thresholds => ({
  ws_latency_ms: [`p(95)<${o.p95}`],
  lost: ["count==0"],
  out_of_order: ["count==0"],
  send_errors: ["count==0"],
  connect_errors: ["count==0"],
});

/** Upper bound of a run's time, from its options (both targets, setup, ramp, drain, margins). */
export const timeBound = (o: WsOptions) =>
  (2 * (90 + o.warmup + o.duration + o.connections / 200) + 60) * 1000 + topologyAllowanceMs(o);

async function runTarget(target: Target, pool: LoadPool, o: WsOptions, stages: Stage[]): Promise<TargetRun> {
  const receivingWorkers = Array.from({ length: o.workers }, (_, i) => i);
  const senderWorker = o.workers;
  const plan = await planRooms(target, o);
  log(`${target.kind}: ${plan.receivers.length} receivers, ${plan.senders.length} senders, ${plan.users} users`);
  const pids = pidsOf(target);
  const before = await settledRss(pids);
  const senders = await openConnections(pool, target, plan.senders, {
    on: [senderWorker],
    role: "sender",
    stages: [{ duration: "0s", target: plan.senders.length }],
    maxInFlight: o.maxInFlight,
  });
  const connectCpu = cpuMeter(pids);
  const receivers = await openConnections(pool, target, plan.receivers, {
    on: receivingWorkers,
    role: "receiver",
    stages,
    maxInFlight: o.maxInFlight,
  });
  const connectServer = connectCpu();
  log(
    `${target.kind}: ${receivers.opened} connected in ${receivers.seconds.toFixed(1)} s (${receivers.failed} failed)`,
  );
  const connected = await settledRss(pids);

  await warmUp(pool, senderWorker, { rate: o.rate, seconds: o.warmup, chars: o.messageChars });
  await pool.all({ op: "measure" });
  const serverCpu = cpuMeter(pids);
  const drain = await sendAndDrain(pool, senderWorker, { rate: o.rate, seconds: o.duration, chars: o.messageChars });
  const server = serverCpu();
  const rssEnd = groupRss(pids);
  const reports = await pool.all<Report>({ op: "report" });
  await pool.all({ op: "close" });
  const exitCode = await target.stop();

  const metrics = collect(reports, senderWorker, o, { senders, receivers });
  const count = Math.max(1, receivers.opened + senders.opened);
  metrics.gauge("server_rss_before", before.bytes, "bytes");
  metrics.gauge("server_rss_connected", connected.bytes, "bytes");
  metrics.gauge("server_rss_end", rssEnd.bytes, "bytes");
  metrics.gauge("bytes_per_connection", (connected.bytes - before.bytes) / count, "bytes");
  metrics.gauge("server_cpu_cores", server.cores);
  recordPerProcess(metrics, target.processes, "server_cpu_cores", server.perProcess);
  recordPerProcess(metrics, target.processes, "server_rss_end", rssEnd.perProcess, "bytes");
  metrics.gauge(
    "server_cpu_us_per_message",
    (server.cpuSeconds * 1e6) / Math.max(1, metrics.stat("messages_sent", "count")),
  );
  const cpu = loadgenCpu(reports.map((r, i) => ({ ...r.cpu, role: i === senderWorker ? "sender" : "receiver" })));
  return targetRun(target, metrics, {
    loadgen: cpu,
    machineBusy: server.machineBusy,
    exitCode,
    warnings: [
      !drain.complete && `deliveries still missing after the ${DRAIN_MS / 1000} s drain`,
      (!before.stable || !connected.stable) && "server RSS did not settle; memory figures are rough",
    ],
    server: {
      topology: target.topology,
      processes: target.processes.map((p, i) => ({
        ...p,
        cpu_cores_while_sending: round(server.perProcess[i]!, 3),
        cpu_cores_while_connecting: round(connectServer.perProcess[i]!, 3),
        rss_before: before.perProcess[i],
        rss_connected: connected.perProcess[i],
        rss_end: rssEnd.perProcess[i],
      })),
      open_files_limit: target.openFiles,
      exit_code: exitCode,
      cpu_while_sending: { cores: round(server.cores, 3), cpu_seconds: round(server.cpuSeconds, 3) },
      cpu_while_connecting: { cores: round(connectServer.cores, 3) },
      machine_busy_while_sending: round(server.machineBusy, 3),
    },
    detail: {
      setup: { users: plan.users, seconds: round(plan.setupSeconds, 2) },
      rss_settle_seconds: { before: round(before.waitedSeconds, 2), connected: round(connected.waitedSeconds, 2) },
      connect: {
        receivers: { opened: receivers.opened, failed: receivers.failed, seconds: round(receivers.seconds, 2) },
        senders: { opened: senders.opened, failed: senders.failed },
        errors: [...senders.errors, ...receivers.errors],
      },
      drain: { complete: drain.complete, seconds: round(drain.seconds, 2) },
      error_samples: reports.flatMap((r) => r.errorSamples),
      closed_unexpectedly: reports.reduce((a, r) => a + r.closedUnexpectedly, 0),
    },
  });
}

function collect(reports: Report[], senderWorker: number, o: WsOptions, open: { senders: Opened; receivers: Opened }) {
  const metrics = new Metrics();
  const latency = new Histogram();
  for (const r of reports) latency.merge(r.latency);
  const received = reports.reduce((a, r) => a + r.received, 0);
  const expected = expectedDeliveries(reports, senderWorker);
  const sender = reports[senderWorker]!;
  const bytes = reports.reduce((a, r) => a + r.deliveryBytes, 0);
  metrics.trend("ws_latency_ms", latency);
  metrics.trend("ws_time_to_subscribed_ms", open.receivers.timeToReady);
  metrics.counter("messages_sent", sender.sent, o.duration);
  metrics.counter("messages_accepted", sender.acked, o.duration);
  // Refused by the server, or never acknowledged within the drain.
  metrics.counter("send_errors", sender.sent - sender.acked, o.duration);
  metrics.counter("deliveries", received, o.duration);
  metrics.counter("deliveries_expected", expected, o.duration);
  metrics.counter("lost", Math.max(0, expected - received));
  metrics.counter(
    "out_of_order",
    reports.reduce((a, r) => a + r.outOfOrder, 0),
  );
  metrics.counter("connect_errors", open.receivers.failed + open.senders.failed);
  metrics.gauge("connect_rate", open.receivers.opened / open.receivers.seconds, "1/s");
  metrics.gauge("delivery_frame_bytes", received ? bytes / received : Number.NaN, "bytes");
  return metrics;
}

export async function wsFanout(o: WsOptions, resources: Resources): Promise<Outcome> {
  const stages = rampStages(o.ramp, o.connections);
  let clocks: Awaited<ReturnType<LoadPool["calibrate"]>> = [];
  const compared = await runTargets(
    o,
    resources,
    {
      files: o.connections + o.rooms + 1024,
      pool: {
        workers: o.workers + 1,
        files: Math.ceil(o.connections / o.workers) + o.rooms + 512,
        maxMs: timeBound(o),
        client: parseClient(o.client),
      },
      prepare: async (pool) => {
        clocks = await pool.calibrate();
      },
    },
    (target, pool) => runTarget(target, pool, o, stages),
  );
  return finishScenario({
    scenario: "ws-fanout",
    title: `ws-fanout${topologyTitle(compared)}: ${o.connections} connections, ${o.rooms} rooms, ${o.rate} msg/s for ${o.duration} s; load generator ${compared.loadGenerator}`,
    options: o,
    rows: [...ROWS, ...processRows(compared.runs.chatd?.metrics, PROCESS_ROWS)],
    thresholds: thresholdsFor(o),
    compared,
    extra: { build_seconds: round(compared.buildSeconds, 2), clock_calibration: clocks },
  });
}

if (import.meta.main) await main(parseCommandLine("ws-fanout", options), timeBound, wsFanout);
