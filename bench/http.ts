// Scenario http: C virtual users (k6 VUs) in a closed loop, each iteration an authenticated
// `POST /v1/rooms/{id}/messages` then a `GET .../messages?limit=50` history page, for a fixed time.
// The baseline answers the same requests with a JSON echo. `bun run bench:http [--concurrency 64] ...`
import { type parseArgs, parseCommandLine } from "./lib/args";
import type { HttpResult } from "./lib/commands";
import {
  finishScenario,
  runTargets,
  type TargetRun,
  targetOptions,
  targetRun,
  topologyAllowanceMs,
  topologyTitle,
} from "./lib/compare";
import { createRoom, createUsers, joinRoom, mapLimit, runPrefix } from "./lib/fixtures";
import { type LoadPool, loadgenCpu, round } from "./lib/pool";
import { cpuMeter, groupRss } from "./lib/proc";
import { processRows, type Row, recordPerProcess } from "./lib/report";
import { Metrics, type Thresholds } from "./lib/runner";
import { log, main, type Outcome, type Resources } from "./lib/scenario";
import { Histogram } from "./lib/stats";
import { pidsOf, type Target } from "./lib/target";

export const options = {
  concurrency: { default: 32, min: 1, max: 1000, help: "virtual users, each one request at a time" },
  duration: { default: 15, min: 1, max: 300, help: "measured seconds" },
  warmup: { default: 3, min: 0, max: 60, help: "seconds of the same load before measuring" },
  workers: { default: 2, min: 1, max: 16, help: "load-generator processes sharing the virtual users" },
  users: { default: 8, min: 1, max: 1000, help: "chatd users the virtual users act as" },
  rooms: { default: 4, min: 1, max: 100, help: "rooms the virtual users post to and read" },
  historyLimit: { default: 50, min: 1, max: 200, help: "messages per history page" },
  messageChars: { default: 100, min: 20, max: 4000, help: "characters of content per message" },
  ...targetOptions,
};

export type HttpOptions = ReturnType<typeof parseArgs<typeof options>>;

export const ROWS: Row[] = [
  { label: "requests/s", metric: "http_reqs", stat: "rate", format: "rate" },
  { label: "all requests p50", metric: "http_req_ms", stat: "p(50)", format: "ms" },
  { label: "all requests p95", metric: "http_req_ms", stat: "p(95)", format: "ms" },
  { label: "all requests p99", metric: "http_req_ms", stat: "p(99)", format: "ms" },
  { label: "POST message p50", metric: "http_post_ms", stat: "p(50)", format: "ms" },
  { label: "POST message p95", metric: "http_post_ms", stat: "p(95)", format: "ms" },
  { label: "POST message p99", metric: "http_post_ms", stat: "p(99)", format: "ms" },
  { label: "GET history p50", metric: "http_get_ms", stat: "p(50)", format: "ms" },
  { label: "GET history p95", metric: "http_get_ms", stat: "p(95)", format: "ms" },
  { label: "GET history p99", metric: "http_get_ms", stat: "p(99)", format: "ms" },
  { label: "errors", metric: "http_errors", stat: "count", format: "int" },
  { label: "server CPU (cores)", metric: "server_cpu_cores", stat: "value", format: "share" },
  { label: "server CPU per request", metric: "server_cpu_us_per_request", stat: "value", format: "us" },
  { label: "server RSS at the end", metric: "server_rss_end", stat: "value", format: "bytes" },
  { label: "load gen busiest worker (core)", metric: "loadgen_max_core_share", stat: "value", format: "share" },
];

const THRESHOLDS: Thresholds = { http_errors: ["count==0"] };

export const timeBound = (o: HttpOptions) => (2 * (60 + o.warmup + o.duration) + 60) * 1000 + topologyAllowanceMs(o);

type Vu = { roomId: string; token?: string };

/** chatd: users who all joined every room; virtual user v acts as user v mod U in room v mod R. */
async function virtualUsers(target: Target, o: HttpOptions): Promise<Vu[]> {
  if (target.kind === "baseline") {
    return Array.from({ length: o.concurrency }, (_, v) => ({ roomId: `room-${v % o.rooms}` }));
  }
  const users = await createUsers(target.url, runPrefix(), o.users);
  const owner = users[0]!;
  const rooms = await mapLimit(
    Array.from({ length: o.rooms }, (_, r) => r),
    4,
    (r) => createRoom(target.url, owner, `bench-http-${r}`),
  );
  await mapLimit(
    rooms.flatMap((roomId) => users.slice(1).map((user) => ({ user, roomId }))),
    8,
    ({ user, roomId }) => joinRoom(target.url, user, roomId),
  );
  return Array.from({ length: o.concurrency }, (_, v) => ({
    roomId: rooms[v % o.rooms]!,
    token: users[v % o.users]!.token,
  }));
}

async function runTarget(target: Target, pool: LoadPool, o: HttpOptions): Promise<TargetRun> {
  const vus = await virtualUsers(target, o);
  log(`${target.kind}: ${vus.length} virtual users for ${o.warmup} + ${o.duration} s`);
  const workers = pool.workers.length;
  let meter: ReturnType<typeof cpuMeter> | undefined;
  // The server's CPU is measured over the measured window only, after the warm-up.
  const startMeter = setTimeout(() => {
    meter = cpuMeter(pidsOf(target));
  }, o.warmup * 1000);
  const results = await pool.all<HttpResult>((w) => ({
    op: "http",
    kind: target.kind,
    url: target.url,
    vus: vus.filter((_, v) => v % workers === w),
    warmupMs: o.warmup * 1000,
    durationMs: o.duration * 1000,
    historyLimit: o.historyLimit,
    chars: o.messageChars,
  }));
  clearTimeout(startMeter);
  const server = meter?.();
  const rssEnd = groupRss(pidsOf(target));
  const exitCode = await target.stop();

  const metrics = new Metrics();
  const post = new Histogram();
  const get = new Histogram();
  for (const r of results) {
    post.merge(r.post);
    get.merge(r.get);
  }
  const all = new Histogram().merge(post).merge(get);
  const errors = results.reduce((a, r) => a + r.errors, 0);
  metrics.trend("http_req_ms", all);
  metrics.trend("http_post_ms", post);
  metrics.trend("http_get_ms", get);
  metrics.counter("http_reqs", all.count, o.duration);
  metrics.counter("http_errors", errors, o.duration);
  metrics.gauge("server_cpu_cores", server?.cores ?? Number.NaN);
  metrics.gauge("server_cpu_us_per_request", server ? (server.cpuSeconds * 1e6) / Math.max(1, all.count) : Number.NaN);
  metrics.gauge("server_rss_end", rssEnd.bytes, "bytes");
  if (server) recordPerProcess(metrics, target.processes, "server_cpu_cores", server.perProcess);
  const cpu = loadgenCpu(results.map((r) => ({ ...r.cpu, role: "http" })));
  return targetRun(target, metrics, {
    loadgen: cpu,
    machineBusy: server?.machineBusy,
    exitCode,
    server: {
      topology: target.topology,
      processes: target.processes.map((p, i) => ({
        ...p,
        cpu_cores: server && round(server.perProcess[i]!, 3),
        rss_end: rssEnd.perProcess[i],
      })),
      exit_code: exitCode,
      cpu: server && { cores: round(server.cores, 3), cpu_seconds: round(server.cpuSeconds, 3) },
      machine_busy: server && round(server.machineBusy, 3),
    },
    detail: { error_samples: results.flatMap((r) => r.errorSamples) },
  });
}

export async function httpScenario(o: HttpOptions, resources: Resources): Promise<Outcome> {
  const compared = await runTargets(
    o,
    resources,
    { files: 4096, pool: { workers: o.workers, files: 1024 + o.concurrency, maxMs: timeBound(o) } },
    (target, pool) => runTarget(target, pool, o),
  );
  return finishScenario({
    scenario: "http",
    title: `http${topologyTitle(compared)}: ${o.concurrency} virtual users, POST message + GET ${o.historyLimit}-message page, ${o.duration} s`,
    options: o,
    rows: [
      ...ROWS,
      ...processRows(compared.runs.chatd?.metrics, [
        { label: "server CPU (cores)", metric: "server_cpu_cores", stat: "value", format: "share" },
      ]),
    ],
    thresholds: THRESHOLDS,
    compared,
  });
}

if (import.meta.main) await main(parseCommandLine("http", options), timeBound, httpScenario);
