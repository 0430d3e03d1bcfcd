// The k6-style pieces every scenario shares: stages (a target that ramps linearly over each stage's
// duration), metrics (trend, counter, gauge) and thresholds such as `p(95)<50` or `count==0`.
import { Histogram, type HistogramData, summarize, type TrendSummary } from "./stats";

/** k6 `stages`: over `duration` the target moves linearly from the previous stage's target to `target`. */
export type Stage = { duration: string; target: number };

/** "20s", "500ms", "2m", or a bare number of seconds, to milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}" (use e.g. 500ms, 20s, 2m)`);
  const value = Number(match[1]);
  return match[2] === "ms" ? value : match[2] === "m" ? value * 60_000 : value * 1000;
}

export const stagesDuration = (stages: Stage[]) => stages.reduce((ms, s) => ms + parseDuration(s.duration), 0);

/** The target at `elapsedMs` into the stages; a zero-length stage jumps at once; after the last, its target. */
export function targetAt(stages: Stage[], elapsedMs: number): number {
  let from = 0;
  let start = 0;
  for (const stage of stages) {
    const length = parseDuration(stage.duration);
    if (elapsedMs < start + length) return Math.floor(from + ((stage.target - from) * (elapsedMs - start)) / length);
    from = stage.target;
    start += length;
  }
  return from;
}

/** "10s:1000,20s:1000" (duration:target, k6 order) to stages. */
export const parseStages = (text: string): Stage[] =>
  text.split(",").map((part) => {
    const [duration, target] = part.split(":");
    if (!duration || !target || !/^\d+$/.test(target)) throw new Error(`invalid stage "${part}" (use 10s:1000)`);
    parseDuration(duration);
    return { duration, target: Number(target) };
  });

/** Stages scaled to one worker's share of the target. */
export const shareOf = (stages: Stage[], share: number, total: number): Stage[] =>
  stages.map((s) => ({ duration: s.duration, target: Math.round((s.target * share) / Math.max(1, total)) }));

export type Metric =
  | { type: "trend"; unit: string; histogram: Histogram }
  | { type: "counter"; unit: string; count: number; seconds: number }
  | { type: "gauge"; unit: string; value: number };

export type MetricSummary =
  | ({ type: "trend"; unit: string } & TrendSummary)
  | { type: "counter"; unit: string; count: number; rate: number }
  | { type: "gauge"; unit: string; value: number };

/** The metrics of one target in one run. */
export class Metrics {
  readonly all = new Map<string, Metric>();

  trend(name: string, data: Histogram | HistogramData, unit = "ms") {
    this.all.set(name, { type: "trend", unit, histogram: data instanceof Histogram ? data : Histogram.from(data) });
  }

  /** A count over `seconds` (its rate is count / seconds). */
  counter(name: string, count: number, seconds = 1, unit = "") {
    this.all.set(name, { type: "counter", unit, count, seconds });
  }

  gauge(name: string, value: number, unit = "") {
    this.all.set(name, { type: "gauge", unit, value });
  }

  /** One statistic as thresholds and tables name it: p(95), avg, min, max, med, count, rate, value. */
  stat(name: string, stat: string): number {
    const metric = this.all.get(name);
    if (!metric) return Number.NaN;
    if (metric.type === "trend") {
      const h = metric.histogram;
      const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
      if (p) return h.percentile(Number(p[1]));
      if (stat === "med") return h.percentile(50);
      if (stat === "count") return h.count;
      if (stat === "avg" || stat === "min" || stat === "max") return h[stat];
    } else if (metric.type === "counter") {
      if (stat === "count") return metric.count;
      if (stat === "rate") return metric.count / metric.seconds;
    } else if (stat === "value") {
      return metric.value;
    }
    throw new Error(`metric ${name} (${metric.type}) has no statistic ${stat}`);
  }

  toJSON(): Record<string, MetricSummary> {
    const out: Record<string, MetricSummary> = {};
    for (const [name, m] of this.all) {
      if (m.type === "trend") out[name] = { type: "trend", unit: m.unit, ...summarize(m.histogram) };
      else if (m.type === "counter")
        out[name] = { type: "counter", unit: m.unit, count: m.count, rate: m.count / m.seconds };
      else out[name] = { type: "gauge", unit: m.unit, value: m.value };
    }
    return out;
  }
}

/** k6 `thresholds`: metric name to conditions, each `<stat> <op> <number>`. */
export type Thresholds = Record<string, string[]>;

export type ThresholdResult = { metric: string; condition: string; actual: number; ok: boolean };

const CONDITION =
  /^\s*(p\(\d+(?:\.\d+)?\)|avg|min|max|med|count|rate|value)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

const OPS: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

export function checkThresholds(metrics: Metrics, thresholds: Thresholds): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [metric, conditions] of Object.entries(thresholds)) {
    for (const condition of conditions) {
      const match = CONDITION.exec(condition);
      if (!match) throw new Error(`invalid threshold "${condition}" for ${metric}`);
      const [, stat, op, limit] = match as unknown as [string, string, string, string];
      const actual = metrics.stat(metric, stat);
      const ok = OPS[op]!(actual, Number(limit));
      results.push({ metric, condition, actual, ok: ok && !Number.isNaN(actual) });
    }
  }
  return results;
}
