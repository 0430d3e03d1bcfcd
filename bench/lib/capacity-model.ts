// The capacity model of docs/capacity.md: its measured inputs (each with the command, date and load
// that measured it: update them here when a bench is re-run) and the arithmetic that turns a load
// (connections, messages/s, online receivers per message) into processes, cores, memory and nodes.

/** One measured figure and where it came from. */
export type Input = { value: number; unit: string; measured: string };

const FIT =
  "bun bench/capacity.ts --fit over ws-fanout-2026-12-02T02-54-30-922Z.json (2,000 conns, 100 rooms, 20" +
  "0/s, Bun; machine 41 % busy), ws-fanout-2026-12-02T02-55-48-538Z.json (10,000, 100, 200/s, Node ×6; 81 %), ws-" +
  "fanout-2026-12-02T03-05-17-642Z.json (1,000, 10, 50/s, Bun; 99 %), each `bun run bench:ws --connections N --ro" +
  "oms R --rate M --duration 10`, 2026-12-02 02:53–03:06 UTC, load average 7–25";
const NATS =
  "bun bench/nats-rate.ts --seconds 5 (twice: nats-rate-2026-12-02T03-06-51-744Z.json, …T03-07-03-195Z.json), " +
  "2026-12-02 03:06–03:07 UTC, load average 18–19, machine 98–100 % busy";

export const INPUTS = {
  // One chatd process (role all: gateway, api, indexer; SQLite): fitted by `bun bench/capacity.ts --fit`
  // over the three ws-fanout runs below (least squares, cores = idle + rate × send + deliveries/s × delivery).
  baseRssBytes: { value: 123_946_325, unit: "bytes", measured: FIT },
  perConnectionBytes: { value: 6047, unit: "bytes", measured: FIT },
  idleCores: { value: 0.153, unit: "cores", measured: FIT },
  cpuPerSendUs: { value: 717, unit: "µs", measured: FIT },
  cpuPerDeliveryUs: { value: 12.4, unit: "µs", measured: FIT },
  // A ws gateway on Cassandra: chatd's CPU per send (stored with the compare-and-set and the message row).
  gatewayCpuPerSendCassandraUs: {
    value: 955,
    unit: "µs",
    measured:
      "BENCH_STORE=cassandra bun bench/ws-fanout.ts --connections 500 --rooms 50 --rate 600 --duration 10, " +
      "2026-12-02 00:12–00:19 UTC, load average 3–9 (bench/README.md: 955 µs at 600/s, 1,453 µs at 300/s)",
  },
  /** A gateway's CPU per room event arriving from NATS (client parse + hub), not measured on its own. */
  gatewayCpuPerBusMessageUs: {
    value: 25,
    unit: "µs",
    measured:
      "bun bench/nats-rate.ts: the Bun client's CPU per message published and received in one process, 9–15 µs " +
      "(so 25 adds the hub and server.publish; not measured alone), 2026-12-02 03:06 UTC",
  },
  /** Documents one indexer process indexes per second into OpenSearch (2.19.1, one node, 512 MB heap). */
  indexerDocsPerSecond: {
    value: 4264,
    unit: "docs/s",
    measured:
      "bun bench/search.ts --nats nats://127.0.0.1:4222 (README, Search), 2026-12-01, machine shared with other work",
  },
  // Cassandra (the shared single node here, 5.0.9, RF 1, on the same 2 cores).
  cassandraCpuPerAppendUs: {
    value: 1150,
    unit: "µs",
    measured:
      "bun bench/cassandra-raw.ts --seconds 10 --rate 1000 (append: CAS on the log head + message row), " +
      "2026-12-02 00:12–00:19 UTC, load average 3–9",
  },
  cassandraAppendsPerRoom: {
    value: 430,
    unit: "appends/s",
    measured: "bun run bench:positions (one room, one writer process), 2026-12-01 20:55 and 21:06 UTC, load 1.9–2.7",
  },
  // NATS (nats-server 2.x on this machine, JetStream file storage, R1).
  /** nats-server CPU per core message published and delivered to one subscriber (600 bytes). */
  natsCpuPerCoreMessageUs: { value: 5, unit: "µs", measured: NATS },
  /** nats-server CPU per JetStream append through chatd's JetStreamEventStream (R1, file storage). */
  natsCpuPerAppendUs: { value: 30, unit: "µs", measured: NATS },
  // Redis: one GCRA script per send; presence re-entered per connection every PRESENCE_TTL_SECONDS / 3.
  redisCpuPerCallUs: {
    value: 8.2,
    unit: "µs",
    measured:
      "redis-benchmark -n 300000 -c 50 -P 16 -r 100000 eval of a GCRA-shaped script (GET, SET PX), redis-server " +
      "CPU from /proc: 2.47 s for 300,000 calls (45,620 calls/s), 2026-12-02 03:07 UTC, load average 16",
  },
} satisfies Record<string, Input>;

export type Inputs = { [K in keyof typeof INPUTS]: number };
export const values = (): Inputs => Object.fromEntries(Object.entries(INPUTS).map(([k, v]) => [k, v.value])) as Inputs;

/** The planning rules that are choices, not measurements. */
export const RULES = {
  /** Plan a Bun process (one JS thread) at this share of a core, the rest is headroom for bursts and GC. */
  processCoreBudget: 0.6,
  /** Plan a server (Cassandra, NATS, Redis) at this share of its cores. */
  nodeCoreBudget: 0.6,
  /** Cores of one Cassandra node. */
  cassandraNodeCores: 16,
  cassandraReplication: 3,
  /** JetStream R3: each append is written by three servers. */
  natsReplication: 3,
  presenceRefreshSeconds: 10,
  /** Redis calls per connection per presence refresh (the room entry and the user entry). */
  presenceCallsPerConnection: 2,
};

/** One chatd process's CPU (cores) and RSS (bytes) for a load: the model checked against ws-fanout. */
export function singleProcess(m: Inputs, load: { connections: number; rate: number; deliveriesPerSecond: number }) {
  return {
    cores: m.idleCores + (load.rate * m.cpuPerSendUs + load.deliveriesPerSecond * m.cpuPerDeliveryUs) / 1e6,
    rssBytes: m.baseRssBytes + load.connections * m.perConnectionBytes,
  };
}

export type Load = {
  connections: number;
  /** Messages sent per second, all rooms together. */
  rate: number;
  /** Online receivers of one message (room members connected), on average. */
  fanout: number;
  /** How many gateways hold a room's receivers, on average (at most fanout). */
  gatewaysPerRoom: number;
};

const cores = (us: number, perSecond: number) => (us * perSecond) / 1e6;

/** A split deployment for a load: ws gateways by CPU and memory, api, Cassandra, NATS, Redis. */
export function plan(m: Inputs, load: Load, rules = RULES) {
  const deliveries = load.rate * load.fanout;
  const busMessages = load.rate * load.gatewaysPerRoom;
  const gatewayCores =
    cores(m.gatewayCpuPerSendCassandraUs, load.rate) +
    cores(m.cpuPerDeliveryUs, deliveries) +
    cores(m.gatewayCpuPerBusMessageUs, busMessages);
  // Each process also has its fixed cost (idleCores), so it has less than the budget for the load.
  const byCpu = Math.ceil(gatewayCores / (rules.processCoreBudget - m.idleCores));
  const connectionsPerProcess = Math.ceil(load.connections / byCpu);
  const gatewayRss = m.baseRssBytes + connectionsPerProcess * m.perConnectionBytes;
  const cassandraCores = cores(m.cassandraCpuPerAppendUs, load.rate) * rules.cassandraReplication;
  const cassandraNodes = Math.max(
    rules.cassandraReplication,
    Math.ceil(cassandraCores / (rules.cassandraNodeCores * rules.nodeCoreBudget)),
  );
  const natsCores =
    cores(m.natsCpuPerCoreMessageUs, load.rate + busMessages) +
    cores(m.natsCpuPerAppendUs, load.rate) * rules.natsReplication;
  const redisCalls = load.rate + (load.connections * rules.presenceCallsPerConnection) / rules.presenceRefreshSeconds;
  const redisCores = cores(m.redisCpuPerCallUs, redisCalls);
  return {
    deliveriesPerSecond: deliveries,
    busMessagesPerSecond: busMessages,
    gateway: {
      cores: gatewayCores + byCpu * m.idleCores,
      processes: byCpu,
      connectionsPerProcess,
      rssBytesPerProcess: gatewayRss,
      rssBytes: gatewayRss * byCpu,
      share: {
        sends: cores(m.gatewayCpuPerSendCassandraUs, load.rate) / (gatewayCores + byCpu * m.idleCores),
        deliveries: cores(m.cpuPerDeliveryUs, deliveries) / (gatewayCores + byCpu * m.idleCores),
        bus: cores(m.gatewayCpuPerBusMessageUs, busMessages) / (gatewayCores + byCpu * m.idleCores),
        fixed: (byCpu * m.idleCores) / (gatewayCores + byCpu * m.idleCores),
      },
    },
    cassandra: {
      cores: cassandraCores,
      nodes: cassandraNodes,
      minRoomsAtFullRate: load.rate / m.cassandraAppendsPerRoom,
    },
    indexer: { processes: Math.ceil(load.rate / m.indexerDocsPerSecond) },
    nats: { cores: natsCores, appendsPerSecond: load.rate },
    redis: { callsPerSecond: redisCalls, cores: redisCores, shards: Math.ceil(redisCores / rules.nodeCoreBudget) },
  };
}
