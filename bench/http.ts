// Scenario http: C virtual users (k6 VUs) in a closed loop, one phase per kind of request, each for a
// fixed time: `POST /v1/rooms/{id}/messages`, then `GET .../messages?limit=50` (full pages: the posts
// filled the rooms), then `GET /v1/users/me`. The baseline does the same work for the message routes
// (bench/baseline/same-work.ts) and a JSON echo for users/me. `bun run bench:http [--concurrency 64]`
import { signHs256 } from "./baseline/same-work";
import { type parseArgs, parseCommandLine } from "./lib/args";
import type { HttpRequestKind, HttpResult } from "./lib/commands";
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
import { BASELINE_JWT_SECRET, pidsOf, type Target } from "./lib/target";

export const options = {
  concurrency: { default: 64, min: 1, max: 1000, help: "virtual users, each one request at a time" },
  duration: { default: 6, min: 1, max: 300, help: "measured seconds of each phase (post, history, me)" },
  warmup: { default: 2, min: 0, max: 60, help: "seconds of the same load before measuring, per phase" },
  workers: { default: 2, min: 1, max: 16, help: "load-generator processes sharing the virtual users" },
  users: { default: 8, min: 1, max: 1000, help: "chatd users the virtual users act as" },
  rooms: { default: 4, min: 1, max: 100, help: "rooms the virtual users post to and read" },
  historyLimit: { default: 50, min: 1, max: 200, help: "messages per history page" },
  messageChars: { default: 100, min: 20, max: 4000, help: "characters of content per message" },
  ...targetOptions,
};

export type HttpOptions = ReturnType<typeof parseArgs<typeof options>>;

/** The phases, in the order they run: the posts fill the rooms the history pages read. */
const PHASES: { kind: HttpRequestKind; label: string }[] = [
  { kind: "post", label: "POST message" },
  { kind: "history", label: "GET history page" },
  { kind: "me", label: "GET users/me (baseline: echo)" },
];

const phaseRows = (kind: HttpRequestKind, label: string): Row[] => [
  { label: `${label} req/s`, metric: `http_${kind}_reqs`, stat: "rate", format: "rate" },
  { label: `${label} p50`, metric: `http_${kind}_ms`, stat: "p(50)", format: "ms" },
  { label: `${label} p95`, metric: `http_${kind}_ms`, stat: "p(95)", format: "ms" },
  { label: `${label} p99`, metric: `http_${kind}_ms`, stat: "p(99)", format: "ms" },
  { label: `${label} server CPU per request`, metric: `server_cpu_us_${kind}`, stat: "value", format: "us" },
];

/** chatd ÷ baseline, checked against the targets (recorded on chatd's metrics after both ran). */
const RATIOS: { label: string; metric: string; of: string; stat: string; threshold: string }[] = [
  {
    label: "history req/s ÷ baseline",
    metric: "ratio_history_rps",
    of: "http_history_reqs",
    stat: "rate",
    threshold: "value>=0.7",
  },
  {
    label: "history p99 ÷ baseline",
    metric: "ratio_history_p99",
    of: "http_history_ms",
    stat: "p(99)",
    threshold: "value<=1.5",
  },
  { label: "users/me req/s ÷ echo", metric: "ratio_me_rps", of: "http_me_reqs", stat: "rate", threshold: "value>=0.6" },
  {
    label: "POST req/s ÷ baseline",
    metric: "ratio_post_rps",
    of: "http_post_reqs",
    stat: "rate",
    threshold: "value>=0.5",
  },
];

export const ROWS: Row[] = [
  ...PHASES.flatMap((p) => phaseRows(p.kind, p.label)),
  { label: "errors", metric: "http_errors", stat: "count", format: "int" },
  { label: "server RSS at the end", metric: "server_rss_end", stat: "value", format: "bytes" },
  { label: "load gen busiest worker (core)", metric: "loadgen_max_core_share", stat: "value", format: "share" },
  ...RATIOS.map((r) => ({ label: r.label, metric: r.metric, stat: "value", format: "ratio" as const })),
];

const THRESHOLDS: Thresholds = {
  http_errors: ["count==0"],
  ...Object.fromEntries(RATIOS.map((r) => [r.metric, [r.threshold]])),
};

export const timeBound = (o: HttpOptions) =>
  (2 * (60 + PHASES.length * (o.warmup + o.duration)) + 60) * 1000 + topologyAllowanceMs(o);

type Vu = { roomId: string; token?: string };

/**
 * chatd: users who all joined every room; virtual user v acts as user v mod U in room v mod R. The
 * baseline: the same layout with tokens it can check (any user id; it keeps no users).
 */
async function virtualUsers(target: Target, o: HttpOptions): Promise<Vu[]> {
  if (target.kind === "baseline") {
    const tokens = Array.from({ length: o.users }, () => signHs256(crypto.randomUUID(), BASELINE_JWT_SECRET));
    return Array.from({ length: o.concurrency }, (_, v) => ({
      roomId: `room-${v % o.rooms}`,
      token: tokens[v % o.users],
    }));
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

/** How many messages a history page of the first virtual user's room holds (the pages must be full). */
async function pageSize(target: Target, vu: Vu, limit: number): Promise<number> {
  const response = await fetch(`${target.url}/v1/rooms/${vu.roomId}/messages?limit=${limit}`, {
    headers: { authorization: `Bearer ${vu.token}` },
  });
  return ((await response.json()) as { messages?: unknown[] }).messages?.length ?? 0;
}

async function runTarget(target: Target, pool: LoadPool, o: HttpOptions): Promise<TargetRun> {
  const vus = await virtualUsers(target, o);
  const workers = pool.workers.length;
  const metrics = new Metrics();
  const warnings: string[] = [];
  const samples: string[] = [];
  const cpus: HttpResult["cpu"][] = [];
  let errors = 0;
  const perProcess = target.processes.map(() => 0);
  for (const phase of PHASES) {
    if (phase.kind === "history") {
      const size = await pageSize(target, vus[0]!, o.historyLimit);
      if (size < o.historyLimit) warnings.push(`history pages held ${size} of ${o.historyLimit} messages`);
    }
    log(`${target.kind}: ${phase.kind}, ${vus.length} virtual users for ${o.warmup} + ${o.duration} s`);
    let meter: ReturnType<typeof cpuMeter> | undefined;
    // The server's CPU is measured over the measured window only, after the warm-up.
    const startMeter = setTimeout(() => {
      meter = cpuMeter(pidsOf(target));
    }, o.warmup * 1000);
    const results = await pool.all<HttpResult>((w) => ({
      op: "http",
      kind: target.kind,
      url: target.url,
      request: phase.kind,
      vus: vus.filter((_, v) => v % workers === w),
      warmupMs: o.warmup * 1000,
      durationMs: o.duration * 1000,
      historyLimit: o.historyLimit,
      chars: o.messageChars,
    }));
    clearTimeout(startMeter);
    const server = meter?.();
    const latency = new Histogram();
    for (const r of results) latency.merge(r.latency);
    metrics.trend(`http_${phase.kind}_ms`, latency);
    metrics.counter(`http_${phase.kind}_reqs`, latency.count, o.duration);
    metrics.gauge(
      `server_cpu_us_${phase.kind}`,
      server ? (server.cpuSeconds * 1e6) / Math.max(1, latency.count) : Number.NaN,
    );
    server?.perProcess.forEach((cores, i) => {
      perProcess[i]! += cores / PHASES.length;
    });
    errors += results.reduce((a, r) => a + r.errors, 0);
    samples.push(...results.flatMap((r) => r.errorSamples));
    cpus.push(...results.map((r) => r.cpu));
  }
  const rssEnd = groupRss(pidsOf(target));
  const exitCode = await target.stop();
  metrics.counter("http_errors", errors, o.duration * PHASES.length);
  metrics.gauge("server_rss_end", rssEnd.bytes, "bytes");
  recordPerProcess(metrics, target.processes, "server_cpu_cores", perProcess);
  // The busiest worker of any phase.
  const byPid = new Map<number, HttpResult["cpu"]>();
  for (const c of cpus) if ((byPid.get(c.pid)?.share ?? -1) < c.share) byPid.set(c.pid, c);
  const cpu = loadgenCpu([...byPid.values()].map((c) => ({ ...c, role: "http" })));
  return targetRun(target, metrics, {
    loadgen: cpu,
    machineBusy: undefined,
    exitCode,
    warnings,
    server: {
      topology: target.topology,
      processes: target.processes.map((p, i) => ({
        ...p,
        cpu_cores: round(perProcess[i]!, 3),
        rss_end: rssEnd.perProcess[i],
      })),
      exit_code: exitCode,
    },
    detail: { error_samples: samples.slice(0, 10) },
  });
}

export async function httpScenario(o: HttpOptions, resources: Resources): Promise<Outcome> {
  const compared = await runTargets(
    o,
    resources,
    { files: 4096, pool: { workers: o.workers, files: 1024 + o.concurrency, maxMs: timeBound(o) } },
    (target, pool) => runTarget(target, pool, o),
  );
  const { chatd, baseline } = compared.runs;
  if (chatd && baseline) {
    for (const r of RATIOS) {
      chatd.metrics.gauge(r.metric, chatd.metrics.stat(r.of, r.stat) / baseline.metrics.stat(r.of, r.stat));
    }
  }
  return finishScenario({
    scenario: "http",
    title: `http${topologyTitle(compared)}: ${o.concurrency} virtual users; POST message, GET ${o.historyLimit}-message page, GET users/me; ${o.duration} s each`,
    options: o,
    rows: [
      ...ROWS,
      ...processRows(chatd?.metrics, [
        { label: "server CPU (cores)", metric: "server_cpu_cores", stat: "value", format: "share" },
      ]),
    ],
    // Ratio thresholds need both targets.
    thresholds: chatd && baseline ? THRESHOLDS : { http_errors: ["count==0"] },
    compared,
  });
}

if (import.meta.main) await main(parseCommandLine("http", options), timeBound, httpScenario);
