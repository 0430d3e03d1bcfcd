// Scenario soak: N chatd connections in R rooms with messages flowing at a steady rate for D minutes;
// every minute 5 % of the connections close and reconnect, subscribing with `since` = the last room
// position they saw. Checks per connection that nothing is lost, duplicated or out of order, and that
// the server's RSS, sampled each minute, stays flat. `bun run bench:soak [--connections 1000 --minutes 2]`.
import { parseCommandLine } from "./lib/args";
import { type Compared, targetRun, topologyAllowanceMs } from "./lib/compare";
import { planRooms } from "./lib/plan";
import { loadgenCpu, round } from "./lib/pool";
import { cpuMeter, groupRss, machineBusy, settledRss } from "./lib/proc";
import { log, main, type Outcome, type Resources } from "./lib/scenario";
import type { SoakConnectResult, SoakConnSpec, SoakReconnectResult, SoakReport } from "./lib/soak-commands";
import { SoakPool } from "./lib/soak-pool";
import { finishSoak, type RssSample, soakMetrics } from "./lib/soak-report";
import { startSplit } from "./lib/split";
import { buildChatd, parseTopology, pidsOf, startChatd, type Target } from "./lib/target";

export const options = {
  connections: { default: 10_000, min: 1, max: 20_000, help: "receiving WebSocket connections" },
  rooms: { default: 50, min: 1, max: 500, help: "rooms (one sender connection each)" },
  rate: { default: 50, min: 1, max: 2000, help: "messages per second, all rooms together" },
  minutes: { default: 10, min: 2, max: 60, help: "minutes of soak (one reconnect round and one RSS sample each)" },
  warmup: { default: 30, min: 0, max: 300, help: "seconds of the same traffic before the first RSS sample" },
  reconnectPercent: { default: 5, min: 1, max: 50, help: "percent of the connections that reconnect each minute" },
  offline: { default: 3, min: 0, max: 30, help: "seconds a reconnecting connection stays away (what it misses)" },
  workers: { default: 3, min: 1, max: 16, help: "receiving load-generator processes (plus one sender)" },
  usersPerRoom: { default: 10, min: 1, max: 1000, help: "chatd users whose connections receive in a room" },
  messageChars: { default: 100, min: 40, max: 4000, help: "characters of content per message" },
  maxInFlight: { default: 32, min: 1, max: 1000, help: "WebSocket handshakes in flight per worker" },
  rssTolerance: { default: 10, min: 1, max: 100, help: "threshold: final RSS within this percent of the first sample" },
  sinceSkew: {
    default: 0,
    min: -5,
    max: 5,
    help: "validation only: resubscribe with since = last seen + this (<0 must show duplicates, >0 losses)",
  },
  topology: {
    default: process.env.BENCH_TOPOLOGY ?? "single",
    help: "single, or split (1 api + N ws on Cassandra, NATS, Redis)",
  },
  wsProcesses: { default: 2, min: 2, max: 4, help: "ws processes of the split topology" },
};

export type SoakOptions = ReturnType<typeof parseCommandLine<typeof options>>;

const DRAIN_MS = 20_000;
const RSS_EVERY_MS = 5000;
const HANDSHAKE_TIMEOUT_MS = 30_000;

/** The JavaScript heap of every chatd process together, from their /metrics (chatd_process_heap_bytes). */
async function heapBytes(target: Target): Promise<number> {
  const each = await Promise.all(
    target.processes.map(async ({ url }) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/^chatd_process_heap_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
    }),
  );
  return each.reduce((a, b) => a + b, 0);
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Upper bound of a run's time: setup and connecting, warm-up, the soak, drain, cleanup. */
export const timeBound = (o: SoakOptions) =>
  (150 + o.connections / 50 + o.warmup + o.minutes * 60 + DRAIN_MS / 1000 + 60) * 1000 + topologyAllowanceMs(o);

async function soak(o: SoakOptions, resources: Resources): Promise<Outcome> {
  const topology = parseTopology(o.topology);
  const busyBefore = await machineBusy();
  const loadBefore = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).map(Number);
  const build = buildChatd();
  resources.defer(build.cleanup);
  log(`built chatd in ${build.seconds.toFixed(1)} s`);
  const files = o.connections + o.rooms + 1024;
  const pool = await SoakPool.start(o.workers + 1, Math.ceil(o.connections / o.workers) + o.rooms + 512, timeBound(o));
  resources.defer(() => pool.stop());
  await pool.calibrate();
  const target: Target =
    topology === "split"
      ? await startSplit(build.binary, { files, wsProcesses: o.wsProcesses })
      : await startChatd(build.binary, { files });
  resources.defer(() => target.stop());
  log(`chatd (${target.topology}): ${target.processes.map((p) => `${p.role} pid ${p.pid}`).join(", ")}`);

  const plan = await planRooms(target, o);
  const pids = pidsOf(target);
  const before = await settledRss(pids);
  const receivers: SoakConnSpec[] = plan.receivers.map((spec, index) => ({ ...spec, index }));
  const senderWorker = o.workers;
  const connect = (worker: number, specs: SoakConnSpec[], sender: boolean) =>
    pool.call<SoakConnectResult>(worker, {
      op: "connect",
      urls: target.gateways,
      specs,
      sender,
      maxInFlight: o.maxInFlight,
      timeoutMs: HANDSHAKE_TIMEOUT_MS,
    });
  const senders = await connect(
    senderWorker,
    plan.senders.map((spec, index) => ({ ...spec, index })),
    true,
  );
  const opened = await Promise.all(
    Array.from({ length: o.workers }, (_, w) =>
      connect(
        w,
        receivers.filter((_, i) => i % o.workers === w),
        false,
      ),
    ),
  );
  log(
    `${opened.reduce((a, r) => a + r.opened, 0)} receivers connected (${opened.reduce((a, r) => a + r.failed, 0)} failed)`,
  );
  const connected = await settledRss(pids);

  const soakMs = o.minutes * 60_000;
  const total = Math.round(o.rate * (o.warmup + o.minutes * 60));
  const sending = pool.call<{ sent: number }>(senderWorker, {
    op: "send",
    total,
    durationMs: o.warmup * 1000 + soakMs,
    chars: o.messageChars,
  });
  await Bun.sleep(o.warmup * 1000);
  await pool.all({ op: "measure" });
  const serverCpu = cpuMeter(pids);
  const started = performance.now();
  const atStart = groupRss(pids).bytes;
  const samples: RssSample[] = [
    { minute: 0, bytes: atStart, min: atStart, max: atStart, heap: await heapBytes(target) },
  ];
  const rounds: SoakReconnectResult[] = [];
  const mod = Math.round(100 / o.reconnectPercent);
  log(`soak: ${o.minutes} min; RSS at start ${(samples[0]!.bytes / 2 ** 20).toFixed(1)} MiB`);
  for (let minute = 0; minute < o.minutes; minute++) {
    const round = pool.all<SoakReconnectResult>({
      op: "reconnect",
      mod,
      slot: minute % mod,
      offlineMs: o.offline * 1000,
      sinceSkew: o.sinceSkew,
      maxInFlight: o.maxInFlight,
      timeoutMs: HANDSHAKE_TIMEOUT_MS,
    });
    // The minute's RSS: the median of a reading every 5 s (one reading lands anywhere in a GC cycle).
    const readings: number[] = [];
    const heaps: number[] = [];
    const minuteEnd = started + (minute + 1) * 60_000;
    while (performance.now() < minuteEnd) {
      await Bun.sleep(Math.min(RSS_EVERY_MS, Math.max(0, minuteEnd - performance.now())));
      readings.push(groupRss(pids).bytes);
      heaps.push(await heapBytes(target));
    }
    const results = await round;
    rounds.push(sumRound(results));
    const bytes = median(readings);
    const heap = median(heaps);
    samples.push({ minute: minute + 1, bytes, min: Math.min(...readings), max: Math.max(...readings), heap });
    const now = await pool.all<SoakReport>({ op: "report" });
    const sum = (key: keyof SoakReport) => now.reduce((a, r) => a + (r[key] as number), 0);
    log(
      `minute ${minute + 1}: RSS ${(bytes / 2 ** 20).toFixed(1)} MiB, heap ${(heap / 2 ** 20).toFixed(1)} MiB, reconnected ${rounds.at(-1)!.reconnected}/${rounds.at(-1)!.closed} ` +
        `in ${rounds.at(-1)!.seconds.toFixed(1)} s; so far lost ${sum("lost")}, duplicated ${sum("duplicated")}, ` +
        `out of order ${sum("outOfOrder")}, replayed ${sum("replayed")}`,
    );
  }
  await sending;
  const drain = await drainAll(pool, senderWorker);
  const server = serverCpu();
  const soakSeconds = (performance.now() - started) / 1000;
  const reports = drain.reports;
  await pool.all({ op: "close" });
  const exitCode = await target.stop();
  const loadAfter = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).map(Number);

  const metrics = soakMetrics({
    sendingSeconds: o.warmup + soakSeconds,
    reports,
    senderWorker,
    samples,
    rounds,
    server,
    soakSeconds,
    opened,
    senders,
    before,
    connected,
  });
  const cpu = loadgenCpu(reports.map((r, i) => ({ ...r.cpu, role: i === senderWorker ? "sender" : "receiver" })));
  const run = targetRun(target, metrics, {
    loadgen: cpu,
    machineBusy: server.machineBusy,
    exitCode,
    warnings: [!drain.complete && `receivers still behind their rooms' heads after the ${DRAIN_MS / 1000} s drain`],
    server: {
      topology: target.topology,
      processes: target.processes,
      open_files_limit: target.openFiles,
      cpu_while_soaking: { cores: round(server.cores, 3), cpu_seconds: round(server.cpuSeconds, 3) },
      machine_busy_while_soaking: round(server.machineBusy, 3),
      rss_samples: samples,
    },
    detail: {
      load_average_before: loadBefore,
      load_average_after: loadAfter,
      reconnect_rounds: rounds,
      drain: { complete: drain.complete, seconds: round(drain.seconds, 2) },
      error_samples: reports.flatMap((r) => r.errorSamples),
    },
  });
  const compared: Compared = {
    runs: { chatd: run },
    busyBefore,
    buildSeconds: build.seconds,
    topology,
    chatdRoles: target.processes.map((p) => p.role),
    // The soak's own workers (bench/lib/soak-pool.ts) run on Bun.
    loadGenerator: "bun",
  };
  return finishSoak(o, compared, samples, { loadBefore, loadAfter });
}

function sumRound(results: SoakReconnectResult[]): SoakReconnectResult {
  return {
    closed: results.reduce((a, r) => a + r.closed, 0),
    reconnected: results.reduce((a, r) => a + r.reconnected, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
  };
}

/** After the last send: waits until every receiver stands at its room's last acknowledged position. */
async function drainAll(pool: SoakPool, senderWorker: number) {
  const started = performance.now();
  for (;;) {
    const sender = await pool.call<SoakReport>(senderWorker, { op: "report" });
    const settled = sender.acked + sender.sendErrors >= sender.sent;
    const reports = await pool.all<SoakReport>({ op: "report", heads: sender.heads });
    const behind = reports.reduce((a, r) => a + r.behind, 0);
    const seconds = (performance.now() - started) / 1000;
    if (settled && behind === 0) return { complete: true, seconds, reports };
    if (seconds * 1000 > DRAIN_MS) return { complete: false, seconds, reports };
    await Bun.sleep(100);
  }
}

if (import.meta.main) await main(parseCommandLine("soak", options), timeBound, soak);
