// Scenario idle: many idle WebSocket connections in one server process, then a room fan-out to a few of
// them. N clients (100,000) open, authenticate and subscribe from sockets bound to several source
// addresses (127.0.0.2 ..), so the ephemeral ports of one address do not cap the count; they stay idle
// while the server's memory settles; then one sender sends M messages/s (10) to the room of F of them
// (1,000) while the rest stay idle. Reports RSS per idle connection and the fan-out's latency, for
// chatd and the raw baseline in the same run. `bun run bench:idle`.
import { type parseArgs, parseCommandLine, UsageError } from "./lib/args";
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
import { type Opened, openConnections, planRooms } from "./lib/plan";
import { clientOption, type LoadPool, loadgenCpu, parseClient, round } from "./lib/pool";
import { cpuMeter, settledRss } from "./lib/proc";
import type { Row } from "./lib/report";
import { Metrics, type Thresholds } from "./lib/runner";
import { log, main, type Outcome, type Resources } from "./lib/scenario";
import { Histogram } from "./lib/stats";
import { pidsOf, type Target } from "./lib/target";

export const options = {
  connections: { default: 100_000, min: 2, max: 200_000, help: "idle clients in all (the fan-out's included)" },
  fanout: { default: 1000, min: 1, max: 10_000, help: "of those, clients in the room that gets messages" },
  rooms: { default: 10, min: 1, max: 500, help: "rooms the other clients subscribe to (round-robin)" },
  usersPerRoom: { default: 10, min: 1, max: 1000, help: "chatd users whose connections share a room" },
  sourceAddresses: {
    default: 5,
    min: 1,
    max: 32,
    help: "source addresses 127.0.0.2 .. the clients bind to (about 28,000 ports each)",
  },
  maxInFlight: { default: 64, min: 1, max: 1000, help: "handshakes in flight per worker" },
  hold: { default: 10, min: 1, max: 120, help: "seconds the connections stay idle before memory is read" },
  rate: { default: 10, min: 1, max: 1000, help: "messages per second to the fan-out room" },
  warmup: { default: 2, min: 0, max: 30, help: "seconds of unmeasured sending first" },
  duration: { default: 10, min: 1, max: 120, help: "seconds of measured sending" },
  messageChars: { default: 100, min: 40, max: 4000, help: "characters per message" },
  p95: { default: 50, min: 1, max: 10_000, help: "threshold on the fan-out's p95, ms" },
  workers: { default: 4, min: 1, max: 16, help: "load-generator processes holding the clients" },
  ...targetOptions,
  // Bun's WebSocket cannot bind a source address: Node + ws by default here.
  client: { ...clientOption.client, default: process.env.BENCH_CLIENT ?? "node" },
};

export type IdleOptions = ReturnType<typeof parseArgs<typeof options>>;

export const ROWS: Row[] = [
  { label: "idle connections held", metric: "connections_held", stat: "value", format: "int" },
  { label: "connect rate (open, auth, subscribe)", metric: "connect_rate", stat: "value", format: "rate" },
  { label: "time to subscribed p99", metric: "ws_time_to_subscribed_ms", stat: "p(99)", format: "ms" },
  { label: "connect errors", metric: "connect_errors", stat: "count", format: "int" },
  { label: "server CPU per connection", metric: "server_cpu_us_per_connection", stat: "value", format: "us" },
  { label: "server RSS before", metric: "server_rss_before", stat: "value", format: "bytes" },
  { label: "server RSS idle connected", metric: "server_rss_idle", stat: "value", format: "bytes" },
  { label: "RSS per idle connection", metric: "bytes_per_idle_connection", stat: "value", format: "bytes" },
  { label: "fan-out latency p50", metric: "ws_latency_ms", stat: "p(50)", format: "ms" },
  { label: "fan-out latency p95", metric: "ws_latency_ms", stat: "p(95)", format: "ms" },
  { label: "fan-out latency p99", metric: "ws_latency_ms", stat: "p(99)", format: "ms" },
  { label: "fan-out latency max", metric: "ws_latency_ms", stat: "max", format: "ms" },
  { label: "deliveries", metric: "deliveries", stat: "count", format: "int" },
  { label: "messages lost", metric: "lost", stat: "count", format: "int" },
  { label: "closed while idle", metric: "closed_while_idle", stat: "count", format: "int" },
  { label: "load gen busiest worker (core)", metric: "loadgen_max_core_share", stat: "value", format: "share" },
];

const thresholds = (o: IdleOptions): Thresholds => ({
  ws_latency_ms: [`p(95)<${o.p95}`],
  lost: ["count==0"],
  connect_errors: ["count==0"],
  closed_while_idle: ["count==0"],
});

/** Ephemeral ports per source address (net.ipv4.ip_local_port_range is 32768–60999 by default). */
const PORTS_PER_ADDRESS = 28_000;

export const timeBound = (o: IdleOptions) =>
  (2 * (120 + o.hold + o.connections / 400 + o.warmup + o.duration + 10) + 60) * 1000 + topologyAllowanceMs(o);

/** 127.0.0.2 .. 127.0.0.(n+1): loopback only, any address of 127/8 reaches the server on 127.0.0.1. */
export const sourceAddresses = (n: number) => Array.from({ length: n }, (_, i) => `127.0.0.${i + 2}`);

async function runTarget(target: Target, pool: LoadPool, o: IdleOptions): Promise<TargetRun> {
  const receiving = Array.from({ length: o.workers }, (_, i) => i);
  const senderWorker = o.workers;
  const localAddresses = sourceAddresses(o.sourceAddresses);
  // Room 0 is the fan-out room; the idle rooms come after it.
  const hot = await planRooms(target, { connections: o.fanout, rooms: 1, usersPerRoom: o.usersPerRoom });
  const idle = await planRooms(target, {
    connections: o.connections - o.fanout,
    rooms: o.rooms,
    usersPerRoom: o.usersPerRoom,
    firstRoom: 1,
  });
  log(
    `${target.kind}: ${o.connections} clients (${o.fanout} in the fan-out room) from ${localAddresses.length} addresses`,
  );
  const pids = pidsOf(target);
  const before = await settledRss(pids);
  const senders = await openConnections(pool, target, hot.senders, {
    on: [senderWorker],
    role: "sender",
    stages: [{ duration: "0s", target: 1 }],
    maxInFlight: 1,
    localAddresses,
  });
  const serverCpu = cpuMeter(pids);
  // The fan-out room's clients are spread over every worker, among the idle ones.
  const receivers = await openConnections(pool, target, [...hot.receivers, ...idle.receivers], {
    on: receiving,
    role: "receiver",
    stages: [{ duration: "0s", target: o.connections }],
    maxInFlight: o.maxInFlight,
    localAddresses,
  });
  const connect = serverCpu();
  log(`${target.kind}: ${receivers.opened} subscribed in ${receivers.seconds.toFixed(1)} s; idle for ${o.hold} s`);
  await Bun.sleep(o.hold * 1000);
  const held = await settledRss(pids);

  await warmUp(pool, senderWorker, { rate: o.rate, seconds: o.warmup, chars: o.messageChars });
  await pool.all({ op: "measure" });
  const drained = await sendAndDrain(pool, senderWorker, { rate: o.rate, seconds: o.duration, chars: o.messageChars });
  const reports = await pool.all<Report>({ op: "report" });
  await pool.all({ op: "close" });
  const exitCode = await target.stop();

  const metrics = collect(reports, senderWorker, o, { senders, receivers });
  const perConnection = (held.bytes - before.bytes) / Math.max(1, receivers.opened + senders.opened);
  metrics.gauge("connections_held", receivers.opened + senders.opened);
  metrics.gauge("server_cpu_us_per_connection", (connect.cpuSeconds * 1e6) / Math.max(1, receivers.opened));
  metrics.gauge("server_rss_before", before.bytes, "bytes");
  metrics.gauge("server_rss_idle", held.bytes, "bytes");
  metrics.gauge("bytes_per_idle_connection", perConnection, "bytes");
  const cpu = loadgenCpu(reports.map((r, i) => ({ ...r.cpu, role: i === senderWorker ? "sender" : "receiver" })));
  return targetRun(target, metrics, {
    loadgen: cpu,
    machineBusy: connect.machineBusy,
    exitCode,
    warnings: [
      !drained.complete && `deliveries still missing after the ${DRAIN_MS / 1000} s drain`,
      (!before.stable || !held.stable) && "server RSS did not settle; memory is rough",
    ],
    server: {
      topology: target.topology,
      processes: target.processes.map((p, i) => ({
        ...p,
        rss_before: before.perProcess[i],
        rss_idle: held.perProcess[i],
      })),
      open_files_limit: target.openFiles,
      exit_code: exitCode,
      cpu_while_connecting: { cores: round(connect.cores, 3), cpu_seconds: round(connect.cpuSeconds, 3) },
      machine_busy_while_connecting: round(connect.machineBusy, 3),
    },
    detail: {
      source_addresses: localAddresses,
      setup: { users: hot.users + idle.users, seconds: round(hot.setupSeconds + idle.setupSeconds, 2) },
      connect: { opened: receivers.opened, failed: receivers.failed, seconds: round(receivers.seconds, 2) },
      connect_errors: [...senders.errors, ...receivers.errors],
      drain: { complete: drained.complete, seconds: round(drained.seconds, 2) },
      error_samples: reports.flatMap((r) => r.errorSamples),
    },
  });
}

function collect(
  reports: Report[],
  senderWorker: number,
  o: IdleOptions,
  open: { senders: Opened; receivers: Opened },
) {
  const metrics = new Metrics();
  const latency = new Histogram();
  for (const r of reports) latency.merge(r.latency);
  const received = reports.reduce((a, r) => a + r.received, 0);
  const want = expectedDeliveries(reports, senderWorker);
  metrics.trend("ws_latency_ms", latency);
  metrics.trend("ws_time_to_subscribed_ms", open.receivers.timeToReady);
  metrics.counter("messages_sent", reports[senderWorker]!.sent, o.duration);
  metrics.counter("deliveries", received, o.duration);
  metrics.counter("lost", Math.max(0, want - received));
  metrics.counter("connect_errors", open.receivers.failed + open.senders.failed);
  metrics.counter(
    "closed_while_idle",
    reports.reduce((a, r) => a + r.closedUnexpectedly, 0),
  );
  metrics.gauge("connect_rate", open.receivers.opened / open.receivers.seconds, "1/s");
  return metrics;
}

export async function idleScenario(o: IdleOptions, resources: Resources): Promise<Outcome> {
  if (o.fanout >= o.connections) throw new UsageError("--fanout must be below --connections");
  if (o.topology !== "single") throw new UsageError("idle measures one process: --topology single only");
  const client = parseClient(o.client);
  if (client !== "node") throw new UsageError("idle binds source addresses, which needs --client node");
  const perAddress = Math.ceil(o.connections / o.sourceAddresses);
  if (perAddress > PORTS_PER_ADDRESS)
    throw new UsageError(
      `--source-addresses ${o.sourceAddresses}: ${perAddress} clients per address, over ${PORTS_PER_ADDRESS} ephemeral ports`,
    );
  const compared = await runTargets(
    o,
    resources,
    {
      files: o.connections + 1024,
      pool: {
        workers: o.workers + 1,
        files: Math.ceil(o.connections / o.workers) + 512,
        maxMs: timeBound(o),
        client,
      },
    },
    (target, pool) => runTarget(target, pool, o),
  );
  return finishScenario({
    scenario: "idle",
    title: `idle${topologyTitle(compared)}: ${o.connections} idle clients from ${o.sourceAddresses} source addresses, then ${o.rate} msg/s to ${o.fanout} of them for ${o.duration} s; load generator ${compared.loadGenerator}`,
    options: o,
    rows: ROWS,
    thresholds: thresholds(o),
    compared,
  });
}

if (import.meta.main) await main(parseCommandLine("idle", options), timeBound, idleScenario);
