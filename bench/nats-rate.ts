// What NATS on this machine sustains for chatd's two uses of it, as inputs to docs/capacity.md:
// core publish → subscriber (a room event crossing to another ws process) and awaited JetStream
// appends through chatd's own JetStreamEventStream (the durable event feed), each closed loop for
// --seconds, with nats-server's CPU per message when it runs on this machine. Loopback only; the
// stream and subjects are the run's own and the stream is deleted at the end.
//
//   bun bench/nats-rate.ts [--nats nats://127.0.0.1:4222] [--seconds 5] [--bytes 600] [--in-flight 64]
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { JetStreamEventStream } from "../src/bus/nats";
import { STREAM_SUBJECTS } from "../src/domain/events";
import { createLogger } from "../src/log";
import { parseArgs } from "./lib/args";
import { cpuSeconds, machineTicks } from "./lib/proc";
import { writeJson } from "./lib/report";
import { Histogram, summarize } from "./lib/stats";

const o = parseArgs("nats-rate", {
  nats: { default: "nats://127.0.0.1:4222", help: "NATS URL (loopback)" },
  seconds: { default: 5, min: 1, max: 30, help: "seconds per mode" },
  bytes: { default: 600, min: 16, max: 65_536, help: "payload bytes (a chatd message.created frame is ~580)" },
  inFlight: { default: 64, min: 1, max: 4096, help: "JetStream appends awaited at once" },
});
if (!/^nats:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(o.nats)) throw new Error(`${o.nats}: loopback only`);

const natsPid = (() => {
  const found = Bun.spawnSync(["pgrep", "-x", "nats-server"]).stdout.toString().trim().split("\n")[0];
  return found ? Number(found) : null;
})();
const id = Date.now().toString(36);
const payload = new Uint8Array(o.bytes).fill(120);

/** Runs `work` for the window and measures this process's and nats-server's CPU over it. */
async function window(work: (until: number) => Promise<number>) {
  const self = process.cpuUsage();
  const server = natsPid ? cpuSeconds(natsPid) : 0;
  const machine = machineTicks();
  const started = performance.now();
  const done = await work(started + o.seconds * 1000);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(self);
  const m = machineTicks();
  const serverCpu = natsPid ? cpuSeconds(natsPid) - server : Number.NaN;
  const per = (cpu: number) => Math.round((cpu * 1e6) / Math.max(1, done));
  return {
    messages: done,
    per_second: Math.round(done / seconds),
    client_cpu_us_per_message: per((used.user + used.system) / 1e6),
    nats_cores: Math.round((serverCpu / seconds) * 1000) / 1000,
    nats_cpu_us_per_message: per(serverCpu),
    machine_busy: Math.round(((m.busy - machine.busy) / Math.max(1, m.total - machine.total)) * 1000) / 1000,
  };
}

/** Core NATS: one publisher, one subscriber on the same connection pair; counts what arrives. */
async function core() {
  const pub = await connect({ servers: o.nats, name: "chatd-bench-pub" });
  const sub = await connect({ servers: o.nats, name: "chatd-bench-sub" });
  const subject = `bench${id}.chat.room.1`;
  let received = 0;
  const subscription = sub.subscribe(subject, {
    callback: () => {
      received++;
    },
  });
  await sub.flush();
  try {
    return await window(async (until) => {
      while (performance.now() < until) {
        for (let i = 0; i < 5000; i++) pub.publish(subject, payload);
        await pub.flush();
      }
      await sub.flush();
      return received;
    });
  } finally {
    subscription.unsubscribe();
    await pub.close();
    await sub.close();
  }
}

/** JetStream: `--in-flight` loops, each awaiting chatd's append (with a msgId) before the next. */
async function appends() {
  const stream = `BENCH_RATE_${id.toUpperCase()}`;
  const js = await JetStreamEventStream.open(
    { urls: [o.nats], name: "chatd-bench-rate" },
    {
      stream,
      subjects: STREAM_SUBJECTS,
      prefix: `bench${id}`,
      maxAgeMs: 600_000,
      maxBytes: 256 * 1_048_576,
      replicas: 1,
      log: createLogger("warn"),
    },
  );
  const latency = new Histogram();
  try {
    const result = await window(async (until) => {
      let done = 0;
      const loop = async (n: number) => {
        while (performance.now() < until) {
          const t0 = performance.now();
          await js.append(`chat.events.room${n}`, payload, { msgId: crypto.randomUUID() });
          latency.record(performance.now() - t0);
          done++;
        }
      };
      await Promise.all(Array.from({ length: o.inFlight }, (_, n) => loop(n)));
      return done;
    });
    return { ...result, in_flight: o.inFlight, latency_ms: summarize(latency) };
  } finally {
    await js.close();
    const nc = await connect({ servers: o.nats });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
    await nc.close();
  }
}

const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).map(Number);
const results = { core: await core(), jetstream: await appends() };
const file = writeJson("nats-rate", { options: o, at: new Date().toISOString(), load_average_before: load, results });
const line = (name: string, r: typeof results.core) =>
  `${name}: ${r.per_second.toLocaleString("en-US")}/s, client ${r.client_cpu_us_per_message} µs/msg, ` +
  `nats-server ${r.nats_cores} cores, ${r.nats_cpu_us_per_message} µs/msg, machine ${Math.round(r.machine_busy * 100)} % busy`;
console.log(line("core publish → subscriber", results.core));
console.log(
  `${line(`JetStream append (${o.inFlight} in flight)`, results.jetstream)}, ` +
    `p50 ${results.jetstream.latency_ms.p50.toFixed(2)} / p99 ${results.jetstream.latency_ms.p99.toFixed(2)} ms`,
);
console.log(`load average before: ${load.join(" ")}\nresult: ${file}`);
