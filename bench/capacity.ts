// The capacity model of docs/capacity.md, made repeatable: prints the model's inputs, its plan for a
// load (default 1,000,000 connections, 100,000 messages/s), and its prediction for one process next to
// every ws-fanout result in bench/results (newest per shape; single process, SQLite, Bun generator).
// `--fit a.json,b.json,c.json` refits the one-process inputs from ws-fanout results (least squares).
//
//   bun bench/capacity.ts [--connections 1000000] [--rate 100000] [--fanout 10] [--gateways-per-room N]
//   bun bench/capacity.ts --fit bench/results/ws-fanout-A.json,bench/results/ws-fanout-B.json,...
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "./lib/args";
import { INPUTS, type Inputs, plan, singleProcess, values } from "./lib/capacity-model";

const o = parseArgs("capacity", {
  connections: { default: 1_000_000, min: 1, max: 1e9, help: "connections to plan for" },
  rate: { default: 100_000, min: 1, max: 1e9, help: "messages per second to plan for, all rooms together" },
  fanout: { default: 10, min: 1, max: 1e6, help: "online receivers of one message, on average" },
  gatewaysPerRoom: { default: 0, min: 0, max: 1e6, help: "gateways holding a room's receivers (0: = fanout)" },
  fit: { default: "", help: "comma-separated ws-fanout result files: refit the one-process inputs from them" },
  results: { default: join(import.meta.dir, "results"), help: "directory of bench results" },
});

type Run = {
  file: string;
  startedAt: string;
  connections: number;
  rooms: number;
  rate: number;
  deliveries: number;
  cores: number;
  /** The CPU meter's window (sending and drain): CPU seconds, wall seconds, and the counts in it. */
  cpuSeconds: number;
  wallSeconds: number;
  sent: number;
  delivered: number;
  client: string;
  rssBefore: number;
  rssConnected: number;
  machineBusy: number;
};

/** A ws-fanout result's chatd figures, or null when it is not a single SQLite process. */
function readRun(file: string): Run | null {
  const r = JSON.parse(readFileSync(file, "utf8"));
  const chatd = r.targets?.chatd;
  if (r.scenario !== "ws-fanout" || r.topology !== "single" || r.store !== "sqlite" || !chatd) return null;
  const cpu = chatd.server.cpu_while_sending;
  const metric = (name: string) => chatd.metrics[name]?.value ?? chatd.metrics[name]?.rate;
  return {
    file,
    startedAt: r.started_at,
    connections: r.options.connections + r.options.rooms,
    rooms: r.options.rooms,
    rate: chatd.metrics.messages_sent.rate,
    deliveries: chatd.metrics.deliveries.rate,
    cores: metric("server_cpu_cores"),
    rssBefore: metric("server_rss_before"),
    rssConnected: metric("server_rss_connected"),
    machineBusy: chatd.server.machine_busy_while_sending,
    cpuSeconds: cpu.cpu_seconds,
    wallSeconds: cpu.cpu_seconds / cpu.cores,
    sent: chatd.metrics.messages_sent.count,
    delivered: chatd.metrics.deliveries.count,
    client: String(r.load_generator).split(" ")[0]!,
  };
}

/**
 * Least squares over the runs' CPU windows: CPU seconds = idle · wall seconds + sends · send +
 * deliveries · delivery (3×3 normal equations; needs three runs of independent shapes).
 */
function fit(runs: Run[]) {
  const rows = runs.map((r) => [r.wallSeconds, r.sent, r.delivered]);
  const ata = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((a, x) => a + x[i]! * x[j]!, 0)));
  const atb = [0, 1, 2].map((i) => rows.reduce((a, x, k) => a + x[i]! * runs[k]!.cpuSeconds, 0));
  // Gaussian elimination (3 unknowns; needs three runs of independent shapes).
  const m = ata.map((row, i) => [...row, atb[i]!]);
  for (let c = 0; c < 3; c++) {
    const p = m.reduce((best, row, i) => (i >= c && Math.abs(row[c]!) > Math.abs(m[best]![c]!) ? i : best), c);
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < 4; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const [idle, send, delivery] = [0, 1, 2].map((i) => m[i]![3]! / m[i]![i]!);
  // Memory: the mean RSS before connecting, and the pooled growth per connection (large runs weigh most).
  const base = runs.reduce((a, r) => a + r.rssBefore, 0) / runs.length;
  const perConnection =
    runs.reduce((a, r) => a + r.rssConnected - r.rssBefore, 0) / runs.reduce((a, r) => a + r.connections, 0);
  return { idleCores: idle!, cpuPerSendUs: send! * 1e6, cpuPerDeliveryUs: delivery! * 1e6, base, perConnection };
}

const mib = (b: number) => `${(b / 1_048_576).toFixed(1)} MiB`;
const pct = (predicted: number, measured: number) => `${((predicted / measured - 1) * 100).toFixed(0)} %`;

if (o.fit) {
  const runs = o.fit.split(",").map((f) => readRun(f.trim()));
  if (runs.some((r) => r === null))
    throw new Error("--fit: every file must be a single-process SQLite ws-fanout run (Bun)");
  const f = fit(runs as Run[]);
  console.log(
    `idleCores ${f.idleCores.toFixed(3)}, cpuPerSendUs ${f.cpuPerSendUs.toFixed(0)}, cpuPerDeliveryUs ` +
      `${f.cpuPerDeliveryUs.toFixed(2)}, baseRssBytes ${f.base.toFixed(0)}, perConnectionBytes ${f.perConnection.toFixed(0)}`,
  );
  process.exit(0);
}

const m: Inputs = values();
console.log("inputs (bench/lib/capacity-model.ts):");
for (const [name, input] of Object.entries(INPUTS)) console.log(`  ${name} = ${input.value} ${input.unit}`);

const load = {
  connections: o.connections,
  rate: o.rate,
  fanout: o.fanout,
  gatewaysPerRoom: o.gatewaysPerRoom || o.fanout,
};
const p = plan(m, load);
console.log(
  `\nplan: ${load.connections.toLocaleString("en-US")} connections, ${load.rate.toLocaleString("en-US")} msg/s, ` +
    `${load.fanout} receivers per message on ${load.gatewaysPerRoom} gateways: ` +
    `${p.deliveriesPerSecond.toLocaleString("en-US")} deliveries/s`,
);
const g = p.gateway;
console.log(
  `  ws gateways: ${g.cores.toFixed(1)} cores (sends ${(g.share.sends * 100).toFixed(0)} %, deliveries ` +
    `${(g.share.deliveries * 100).toFixed(0)} %, bus ${(g.share.bus * 100).toFixed(0)} %, fixed per process ${(g.share.fixed * 100).toFixed(0)} %) → ${g.processes} processes of ` +
    `${g.connectionsPerProcess.toLocaleString("en-US")} connections, ${mib(g.rssBytesPerProcess)} each, ${mib(g.rssBytes)} in all`,
);
console.log(
  `  Cassandra: ${p.cassandra.cores.toFixed(0)} cores at RF 3 → ${p.cassandra.nodes} nodes; ` +
    `a room takes at most ${m.cassandraAppendsPerRoom}/s, so the rate needs ≥ ${Math.ceil(p.cassandra.minRoomsAtFullRate)} busy rooms`,
);
console.log(`  indexers: ${p.indexer.processes} processes (at ${m.indexerDocsPerSecond} documents/s each)`);
console.log(
  `  NATS: ${p.nats.cores.toFixed(1)} cores (R3 appends), ${p.nats.appendsPerSecond.toLocaleString("en-US")} appends/s`,
);
console.log(
  `  Redis: ${p.redis.callsPerSecond.toLocaleString("en-US")} script calls/s, ${p.redis.cores.toFixed(2)} cores → ` +
    `${p.redis.shards} shard(s)`,
);

// The check: the newest run of each shape, predicted from the inputs.
const newest = new Map<string, Run>();
for (const name of readdirSync(o.results)
  .filter((n) => /^ws-fanout-\d.*\.json$/.test(n))
  .sort()) {
  const run = readRun(join(o.results, name));
  if (run?.client === "bun") newest.set(`${run.connections}/${run.rooms}/${run.rate}`, run);
}
console.log(
  "\none process, predicted vs measured (newest ws-fanout run of each shape in bench/results, Bun generator):",
);
for (const r of [...newest.values()].sort((a, b) => a.deliveries - b.deliveries || a.connections - b.connections)) {
  // Predicted over the run's own CPU window (sending and drain), so a long drain is not an error.
  const q = singleProcess(m, {
    connections: r.connections,
    rate: r.sent / r.wallSeconds,
    deliveriesPerSecond: r.delivered / r.wallSeconds,
  });
  console.log(
    `  ${r.connections - r.rooms} conns, ${r.rooms} rooms, ${r.rate}/s (${r.deliveries.toLocaleString("en-US")} deliveries/s; ` +
      `${basename(r.file)}${INPUTS.cpuPerSendUs.measured.includes(basename(r.file)) ? ", in the fit" : ""}, machine ${Math.round(r.machineBusy * 100)} % busy): CPU ${q.cores.toFixed(3)} vs ` +
      `${r.cores.toFixed(3)} cores (${pct(q.cores, r.cores)}), RSS connected ${mib(q.rssBytes)} vs ${mib(r.rssConnected)} ` +
      `(${pct(q.rssBytes, r.rssConnected)})`,
  );
}
