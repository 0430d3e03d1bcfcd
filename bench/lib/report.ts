// Reporting: the chatd-vs-baseline table printed at the end of a run and the JSON result file under
// bench/results/ (one per scenario and run, git-ignored).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Metrics, ThresholdResult } from "./runner";
import { benchStore, ROOT, type Topology } from "./target";

export type Format = "ms" | "us" | "int" | "rate" | "bytes" | "share" | "ratio";

/** One table line: a statistic of a metric, for chatd, the baseline and their ratio. */
export type Row = { label: string; metric: string; stat: string; format: Format };

export function formatValue(value: number, format: Format): string {
  if (Number.isNaN(value)) return "—";
  switch (format) {
    case "ms":
      return value < 10 ? `${value.toFixed(2)} ms` : value < 100 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
    case "us":
      return `${Math.round(value).toLocaleString("en-US")} µs`;
    case "int":
      return Math.round(value).toLocaleString("en-US");
    case "rate":
      return `${value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString("en-US")}/s`;
    case "bytes":
      return value >= 2 ** 20 ? `${(value / 2 ** 20).toFixed(1)} MiB` : `${(value / 1024).toFixed(1)} KiB`;
    case "share":
      return `${(value * 100).toFixed(0)} %`;
    case "ratio":
      return `${value.toFixed(2)}×`;
  }
}

/** chatd / baseline, or "—" when it means nothing (a zero or missing baseline). */
export function ratio(chatd: number, baseline: number): string {
  if (!Number.isFinite(chatd) || !Number.isFinite(baseline) || baseline === 0) return chatd === baseline ? "=" : "—";
  return `${(chatd / baseline).toFixed(2)}×`;
}

/**
 * The table rows of per-process gauges (`<metric>.<role>`, recorded for a target of several
 * processes), for each of `base` that has them: label `<label>, <role>`. None for a single process.
 */
export function processRows(metrics: Metrics | undefined, base: Row[]): Row[] {
  if (!metrics) return [];
  const names = [...metrics.all.keys()];
  return base.flatMap((row) =>
    names
      .filter((name) => name.startsWith(`${row.metric}.`))
      .map((name) => ({ ...row, label: `${row.label}, ${name.slice(row.metric.length + 1)}`, metric: name })),
  );
}

/** Per-process gauges of a target of several processes: `<name>.<role>` for each (nothing for one process). */
export function recordPerProcess(
  metrics: Metrics,
  processes: { role: string }[],
  name: string,
  values: number[],
  unit = "",
) {
  if (processes.length < 2) return;
  processes.forEach((p, i) => {
    metrics.gauge(`${name}.${p.role}`, values[i]!, unit);
  });
}

export function tableRows(rows: Row[], chatd: Metrics, baseline: Metrics | null): string[][] {
  return rows.map((row) => {
    const a = chatd.stat(row.metric, row.stat);
    const b = baseline ? baseline.stat(row.metric, row.stat) : Number.NaN;
    return [row.label, formatValue(a, row.format), formatValue(b, row.format), baseline ? ratio(a, b) : "—"];
  });
}

/** The header of a chatd-vs-baseline table. */
export const COMPARE_HEADER = ["", "chatd", "baseline", "chatd/baseline"];

/** A table with `header`: first column left-aligned, the others right-aligned. */
export function renderTable(title: string, body: string[][], header = COMPARE_HEADER): string {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [`\n${title}`, line(header), rule, ...body.map(line)].join("\n");
}

export function renderThresholds(results: ThresholdResult[]): string {
  return results
    .map((r) => `  ${r.ok ? "✓" : "✗"} ${r.metric}: ${r.condition} (actual ${Number(r.actual.toFixed(3))})`)
    .join("\n");
}

/**
 * Writes `bench/results/<scenario>[-cassandra|-split]-<timestamp>.json` and returns its path (a split
 * deployment always runs on Cassandra).
 */
export function writeResult(scenario: string, topology: Topology, data: unknown): string {
  const store = topology === "split" ? "cassandra" : benchStore();
  const variant = topology === "split" ? "-split" : store === "sqlite" ? "" : `-${store}`;
  return writeJson(`${scenario}${variant}`, { store, ...(data as object) });
}

/** Writes `bench/results/<name>-<timestamp>.json` (git-ignored) and returns its path. */
export function writeJson(name: string, data: unknown): string {
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
