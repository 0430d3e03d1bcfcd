// The positions benchmark's tables: latency per write path with its ratios to a plain and to a
// linearizable write, and one line per throughput run (rate, latency, cost per append, CPU, check).
import { formatValue } from "../report";
import type { Metrics } from "../runner";
import type { Histogram } from "../stats";
import type { Backend } from "./backends";
import { describeCheck, type LogCheck } from "./check";

type Kind = Backend["kind"];
type Path = "plain" | "lwt" | "append" | "contended";

export const PATH_LABELS: Record<Kind, Record<Path, string>> = {
  cassandra: {
    plain: "(i) plain INSERT, raw driver",
    lwt: "(ii) INSERT … IF NOT EXISTS, raw driver (Paxos)",
    append: "(iii) store.appendMessage, one room",
    contended: "(iv) store.appendMessage, another process appending too",
  },
  sqlite: {
    plain: "(i) plain INSERT, bun:sqlite autocommit",
    lwt: "(ii) IMMEDIATE transaction: move a head, insert at it",
    append: "(iii) store.appendMessage, one room",
    contended: "(iv) store.appendMessage, another process appending too",
  },
};

export const LATENCY_HEADER = ["", "p50 / p95 / p99", "÷ (i) plain write", "÷ (ii) linearizable write"];

const PERCENTILES = ["p(50)", "p(95)", "p(99)"] as const;

const triple = (values: number[], format: (v: number) => string) => values.map(format).join(" / ");
const times = (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)}×` : "—");
/** Milliseconds, or microseconds below one (SQLite's writes take tens of them). */
const ms = (v: number) => (v < 1 ? `${Math.round(v * 1000)} µs` : formatValue(v, "ms"));

/** One line per path: p50/p95/p99 in ms, and each divided by the plain and the linearizable write's. */
export function latencyRows(kind: Kind, metrics: Metrics): string[][] {
  const of = (path: Path) => PERCENTILES.map((p) => metrics.stat(`latency_${path}_ms`, p));
  const [plain, lwt] = [of("plain"), of("lwt")];
  return (["plain", "lwt", "append", "contended"] as const).map((path) => {
    const values = of(path);
    return [
      PATH_LABELS[kind][path],
      triple(values, ms),
      triple(
        values.map((v, i) => v / plain[i]!),
        times,
      ),
      triple(
        values.map((v, i) => v / lwt[i]!),
        times,
      ),
    ];
  });
}

/** What one throughput run measured. */
export type RunFigures = {
  label: string;
  /** Appends per second, all writers together, over the measured window. */
  rate: number;
  latency: Histogram;
  /** Every acknowledged append of the run (warm-up included), for the per-append costs. */
  appended: number;
  /** CQL statements by kind over the run (Cassandra). */
  statements: Record<string, number>;
  /** How long Cassandra took for each kind of statement (Cassandra). */
  statementLatency: Record<string, Histogram>;
  /** The busiest writer process's CPU, as a share of one core. */
  busiestWriter: number;
  /** The database server's CPU (Cassandra's JVM), cores, when it runs here. */
  serverCores: number | null;
  machineBusy: number | null;
  /** The logs read back; null for a raw run (no log). */
  check: LogCheck | null;
};

export const RUN_HEADER: Record<Kind, string[]> = {
  cassandra: [
    "",
    "appends/s",
    "p50 / p95",
    "per append: CAS lost, reads, writes",
    "CAS p50 / p95",
    "busiest writer",
    "Cassandra",
    "machine",
    "log read back",
  ],
  sqlite: ["", "appends/s", "p50 / p95", "", "", "busiest writer", "", "machine", "log read back"],
};

const share = (v: number | null) => (v === null ? "—" : `${Math.round(v * 100)} %`);

export function runRow(r: RunFigures): string[] {
  const per = (kind: string) => ((r.statements[kind] ?? 0) / Math.max(1, r.appended)).toFixed(2);
  const statements =
    Object.keys(r.statements).length === 0 ? "" : `${per("lwt not applied")}, ${per("read")}, ${per("write")}`;
  const cas = r.statementLatency["lwt applied"];
  return [
    r.label,
    formatValue(r.rate, "rate"),
    triple([r.latency.percentile(50), r.latency.percentile(95)], ms),
    statements,
    cas ? triple([cas.percentile(50), cas.percentile(95)], ms) : "",
    share(r.busiestWriter),
    r.serverCores === null ? "" : `${r.serverCores.toFixed(2)} cores`,
    share(r.machineBusy),
    r.check ? describeCheck(r.check) : "—",
  ];
}
