// Latency statistics: an HDR-style log-linear histogram (about 0.1 % relative precision, 1 µs floor)
// that load workers fill, ship to the coordinator and merge, so percentiles cover every sample.

/** Values below this (in µs) get one bucket each; above, each power of two is split into HALF buckets. */
const SUB = 1024;
const HALF = SUB / 2;
/** Largest recordable value, µs (about 35 minutes); larger values are clamped. */
const MAX_US = 2 ** 31 - 1;
const BUCKETS = SUB + 21 * HALF;

const bucketOf = (us: number) => {
  if (us < SUB) return us;
  const shift = 31 - Math.clz32(us) - 9;
  return SUB + (shift - 1) * HALF + ((us >>> shift) - HALF);
};

/** The middle of a bucket, µs. */
const bucketValue = (index: number) => {
  if (index < SUB) return index;
  const k = index - SUB;
  const shift = Math.floor(k / HALF) + 1;
  const lower = ((k % HALF) + HALF) * 2 ** shift;
  return lower + 2 ** (shift - 1);
};

/** A histogram in transit between processes: [bucket, count] pairs plus the exact extremes and sum. */
export type HistogramData = { buckets: [number, number][]; count: number; min: number; max: number; sumUs: number };

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  count = 0;
  /** Exact extremes and sum, µs. */
  #min = Number.POSITIVE_INFINITY;
  #max = 0;
  #sum = 0;

  /** Records a duration in milliseconds (negative values, from clock error, count as 0). */
  record(ms: number) {
    const us = Math.min(MAX_US, Math.max(0, Math.round(ms * 1000)));
    this.#counts[bucketOf(us)]!++;
    this.count++;
    this.#sum += us;
    if (us < this.#min) this.#min = us;
    if (us > this.#max) this.#max = us;
  }

  /** The value (ms) at or below which `p` percent of the samples lie; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, bucketValue(i))) / 1000;
    }
    return this.#max / 1000;
  }

  get min() {
    return this.count ? this.#min / 1000 : Number.NaN;
  }
  get max() {
    return this.count ? this.#max / 1000 : Number.NaN;
  }
  get avg() {
    return this.count ? this.#sum / this.count / 1000 : Number.NaN;
  }

  merge(other: Histogram | HistogramData) {
    const data = other instanceof Histogram ? other.toJSON() : other;
    for (const [index, n] of data.buckets) this.#counts[index]! += n;
    this.count += data.count;
    this.#sum += data.sumUs;
    if (data.count > 0) {
      this.#min = Math.min(this.#min, data.min);
      this.#max = Math.max(this.#max, data.max);
    }
    return this;
  }

  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.#counts[i]) buckets.push([i, this.#counts[i]!]);
    return { buckets, count: this.count, min: this.#min, max: this.#max, sumUs: this.#sum };
  }

  static from(data: HistogramData) {
    return new Histogram().merge(data);
  }
}

/** The usual summary of a trend, in ms. */
export type TrendSummary = {
  count: number;
  min: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
};

export const summarize = (h: Histogram): TrendSummary => ({
  count: h.count,
  min: h.min,
  avg: h.avg,
  p50: h.percentile(50),
  p90: h.percentile(90),
  p95: h.percentile(95),
  p99: h.percentile(99),
  max: h.max,
});
