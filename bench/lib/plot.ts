// The SVG plot `bun run bench` writes (bench/results/ws-fanout.svg, shown in the README): latency
// p50/p95/p99 and deliveries/s against connections, chatd next to the baseline, from the newest
// ws-fanout result of each connection count in bench/results/ (single process on SQLite, one load
// generator runtime). Plain SVG, no dependencies; log scales.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./target";

type Trend = { p50: number; p95: number; p99: number };
type Target = { metrics: { ws_latency_ms?: Trend; deliveries?: { rate: number } } };
type Result = {
  started_at: string;
  store?: string;
  topology?: string;
  load_generator?: string;
  options: { connections: number; rooms: number; rate: number };
  targets: { chatd?: Target; baseline?: Target };
};

/** One connection count: the figures of both targets from one run. */
export type Point = { connections: number; chatd: Trend & { rate: number }; baseline: Trend & { rate: number } };

const figures = (t: Target) => ({ ...t.metrics.ws_latency_ms!, rate: t.metrics.deliveries?.rate ?? Number.NaN });

/**
 * The newest ws-fanout run per connection count whose load generator starts with `client`, among the
 * runs of the newest run's rooms and rate (one shape of traffic per plot).
 */
export function fanoutPoints(dir = join(ROOT, "bench", "results"), client = "bun"): Point[] {
  const runs = readdirSync(dir)
    .filter((name) => /^ws-fanout-\d{4}-.*\.json$/.test(name))
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Result)
    .filter(
      (r) =>
        (r.store ?? "sqlite") === "sqlite" &&
        (r.topology ?? "single") === "single" &&
        (r.load_generator ?? "bun").startsWith(client) &&
        r.targets.chatd?.metrics.ws_latency_ms &&
        r.targets.baseline?.metrics.ws_latency_ms,
    )
    .sort((a, b) => a.started_at.localeCompare(b.started_at));
  const shape = runs.at(-1)?.options;
  const newest = new Map<number, Result>();
  for (const r of runs) {
    if (r.options.rooms !== shape?.rooms || r.options.rate !== shape.rate) continue;
    const seen = newest.get(r.options.connections);
    if (!seen || seen.started_at < r.started_at) newest.set(r.options.connections, r);
  }
  return [...newest.values()]
    .map((r) => ({
      connections: r.options.connections,
      chatd: figures(r.targets.chatd!),
      baseline: figures(r.targets.baseline!),
    }))
    .sort((a, b) => a.connections - b.connections);
}

const W = 420;
const H = 260;
const M = { left: 56, right: 12, top: 28, bottom: 40 };

/** A log-scaled axis over [min, max] (widened to whole decades) onto [from, to]. */
function logScale(values: number[], from: number, to: number) {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...finite)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...finite) * 1.0001));
  const at = (v: number) => from + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (to - from);
  const ticks: number[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  return { at, ticks };
}

const label = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(v));
const SERIES = [
  { key: "p50", dash: "" },
  { key: "p95", dash: "6 3" },
  { key: "p99", dash: "2 3" },
] as const;
const COLOR = { chatd: "#c0392b", baseline: "#2c6fbb" };

/** One panel: series of (connections, value) for chatd and the baseline, log-log. */
function panel(x0: number, title: string, unit: string, points: Point[], lines: { key: string; dash: string }[]) {
  const get = (p: Point, who: "chatd" | "baseline", key: string) => (p[who] as Record<string, number>)[key]!;
  const xs = logScale(
    points.map((p) => p.connections),
    x0 + M.left,
    x0 + W - M.right,
  );
  const ys = logScale(
    points.flatMap((p) => lines.flatMap((l) => [get(p, "chatd", l.key), get(p, "baseline", l.key)])),
    H - M.bottom,
    M.top,
  );
  const out: string[] = [`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${title}</text>`];
  for (const t of ys.ticks) {
    const y = ys.at(t).toFixed(1);
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 + M.left - 4}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`);
  }
  for (const p of points) {
    const x = xs.at(p.connections).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${H - M.bottom + 14}" text-anchor="middle">${label(p.connections)}</text>`);
  }
  out.push(`<text x="${x0 + W / 2}" y="${H - 6}" text-anchor="middle">connections</text>`);
  out.push(
    `<text x="${x0 + 12}" y="${H / 2}" transform="rotate(-90 ${x0 + 12} ${H / 2})" text-anchor="middle">${unit}</text>`,
  );
  for (const who of ["baseline", "chatd"] as const) {
    for (const line of lines) {
      const pts = points
        .map((p) => [xs.at(p.connections), ys.at(get(p, who, line.key))] as const)
        .filter(([, y]) => Number.isFinite(y));
      const d = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
      out.push(
        `<polyline points="${d}" fill="none" stroke="${COLOR[who]}" stroke-width="2" stroke-dasharray="${line.dash}"/>`,
      );
      for (const [x, y] of pts)
        out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${COLOR[who]}"/>`);
    }
  }
  return out.join("\n");
}

/** The SVG of both panels (latency percentiles; deliveries/s) with a legend. */
export function fanoutSvg(points: Point[], caption: string): string {
  const legend = [
    `<text x="${M.left}" y="${H + 14}" fill="${COLOR.chatd}">━ chatd</text>`,
    `<text x="${M.left + 70}" y="${H + 14}" fill="${COLOR.baseline}">━ raw Bun baseline</text>`,
    `<text x="${M.left + 210}" y="${H + 14}">solid p50 · dashed p95 · dotted p99</text>`,
    `<text x="${M.left}" y="${H + 30}" fill="#555">${caption}</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 40}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${panel(0, "ws-fanout latency", "ms", points, [...SERIES])}
${panel(W, "ws-fanout deliveries/s", "deliveries/s", points, [{ key: "rate", dash: "" }])}
${legend.join("\n")}
</svg>
`;
}

/** Writes bench/results/ws-fanout.svg from the results there; the path, or null with fewer than one point. */
export function writeFanoutPlot(client = "bun"): string | null {
  const points = fanoutPoints(undefined, client);
  if (points.length === 0) return null;
  const file = join(ROOT, "bench", "results", "ws-fanout.svg");
  const sizes = points.map((p) => p.connections.toLocaleString("en-US")).join(", ");
  writeFileSync(
    file,
    fanoutSvg(points, `newest ws-fanout run at each size (${sizes} connections), SQLite, ${client} load generator`),
  );
  return file;
}

if (import.meta.main) process.stdout.write(`${writeFanoutPlot(process.argv[2]) ?? "no ws-fanout results"}\n`);
