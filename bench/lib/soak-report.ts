// The soak's figures: metrics from the workers' reports and the minute-by-minute RSS samples, its
// thresholds (k6-style), and the table and JSON result (bench/results/soak[-cassandra|-split]-*.json).
import { type Compared, finishScenario } from "./compare";
import type { Row } from "./report";
import { Metrics, type Thresholds } from "./runner";
import type { Outcome } from "./scenario";
import type { SoakConnectResult, SoakReconnectResult, SoakReport } from "./soak-commands";
import { Histogram } from "./stats";

/**
 * A minute's server RSS: the median of its readings (every 5 s), and their range; `heap`: the median
 * of the JavaScript heap read with them (chatd_process_heap_bytes, every process summed). Minute 0:
 * one reading at the warm-up's end.
 */
export type RssSample = { minute: number; bytes: number; min: number; max: number; heap: number };

type Inputs = {
  reports: SoakReport[];
  senderWorker: number;
  samples: RssSample[];
  rounds: SoakReconnectResult[];
  server: { cores: number; cpuSeconds: number; machineBusy: number };
  soakSeconds: number;
  /** Warm-up and soak: the messages and deliveries counted span both. */
  sendingSeconds: number;
  opened: SoakConnectResult[];
  senders: SoakConnectResult;
  before: { bytes: number };
  connected: { bytes: number };
};

export function soakMetrics(i: Inputs): Metrics {
  const metrics = new Metrics();
  const receivers = i.reports.filter((_, k) => k !== i.senderWorker);
  const sender = i.reports[i.senderWorker]!;
  const sum = (key: keyof SoakReport) => receivers.reduce((a, r) => a + (r[key] as number), 0);
  const latency = new Histogram();
  const resubscribe = new Histogram();
  for (const r of receivers) {
    latency.merge(r.latency);
    resubscribe.merge(r.resubscribe);
  }
  const seconds = i.sendingSeconds;
  metrics.trend("ws_latency_ms", latency);
  metrics.trend("resubscribe_ms", resubscribe);
  metrics.counter("messages_sent", sender.sent, seconds);
  metrics.counter("send_errors", sender.sent - sender.acked, seconds);
  metrics.counter("deliveries_live", sum("live"), seconds);
  metrics.counter("deliveries_replayed", sum("replayed"), seconds);
  metrics.counter("lost", sum("lost") + sum("behind"));
  metrics.counter("duplicated", sum("duplicated"));
  metrics.counter("out_of_order", sum("outOfOrder"));
  metrics.counter("gaps", sum("gaps"));
  metrics.counter(
    "reconnects",
    i.rounds.reduce((a, r) => a + r.reconnected, 0),
  );
  metrics.counter(
    "reconnect_errors",
    i.rounds.reduce((a, r) => a + r.errors, 0),
  );
  metrics.counter("recovery_incomplete", sum("recoveryIncomplete"));
  metrics.counter("closed_by_server", sum("unexpectedCloses"));
  metrics.counter("connect_errors", i.opened.reduce((a, r) => a + r.failed, 0) + i.senders.failed);
  // The first full minute after the warm-up is the reference; minute 0 is a single reading.
  const first = (i.samples[1] ?? i.samples[0]!).bytes;
  const last = i.samples.at(-1)!.bytes;
  metrics.gauge("server_rss_before", i.before.bytes, "bytes");
  metrics.gauge("server_rss_connected", i.connected.bytes, "bytes");
  for (const s of i.samples) metrics.gauge(`server_rss_minute_${s.minute}`, s.bytes, "bytes");
  metrics.gauge("server_rss_max", Math.max(...i.samples.map((s) => s.max)), "bytes");
  metrics.gauge("rss_drift", Math.abs(last - first) / first);
  metrics.gauge("rss_final_over_first", last / first);
  // The heap next to it: growing with RSS is live objects; flat while RSS grows is the allocators.
  for (const s of i.samples) metrics.gauge(`server_heap_minute_${s.minute}`, s.heap, "bytes");
  const firstHeap = (i.samples[1] ?? i.samples[0]!).heap;
  metrics.gauge("heap_drift", Math.abs(i.samples.at(-1)!.heap - firstHeap) / firstHeap);
  metrics.gauge("server_cpu_cores", i.server.cores);
  const deliveries = sum("live") + sum("replayed");
  metrics.gauge("server_cpu_us_per_delivery", (i.server.cpuSeconds * 1e6) / Math.max(1, deliveries));
  metrics.gauge("machine_busy", i.server.machineBusy);
  return metrics;
}

const thresholdsFor = (o: { rssTolerance: number }): Thresholds => ({
  lost: ["count==0"],
  duplicated: ["count==0"],
  out_of_order: ["count==0"],
  rss_drift: [`value<=${o.rssTolerance / 100}`],
  send_errors: ["count==0"],
  connect_errors: ["count==0"],
  reconnect_errors: ["count==0"],
  recovery_incomplete: ["count==0"],
});

const row = (label: string, metric: string, stat: string, format: Row["format"]): Row => ({
  label,
  metric,
  stat,
  format,
});

function rowsFor(samples: RssSample[]): Row[] {
  return [
    row("messages sent (warm-up included)", "messages_sent", "count", "int"),
    row("messages/s", "messages_sent", "rate", "rate"),
    row("deliveries live", "deliveries_live", "count", "int"),
    row("deliveries replayed (subscribed.missed)", "deliveries_replayed", "count", "int"),
    row("reconnects (with since)", "reconnects", "count", "int"),
    row("resubscribe p50", "resubscribe_ms", "p(50)", "ms"),
    row("resubscribe p95", "resubscribe_ms", "p(95)", "ms"),
    row("messages lost", "lost", "count", "int"),
    row("duplicated", "duplicated", "count", "int"),
    row("out of order", "out_of_order", "count", "int"),
    row("recoveries incomplete", "recovery_incomplete", "count", "int"),
    row("closed by the server", "closed_by_server", "count", "int"),
    row("live latency p50", "ws_latency_ms", "p(50)", "ms"),
    row("live latency p95", "ws_latency_ms", "p(95)", "ms"),
    row("live latency p99", "ws_latency_ms", "p(99)", "ms"),
    row("server RSS before connecting", "server_rss_before", "value", "bytes"),
    row("server RSS connected", "server_rss_connected", "value", "bytes"),
    ...samples.map((s) =>
      row(
        s.minute === 0 ? "server RSS after warm-up (one reading)" : `server RSS, minute ${s.minute} (median)`,
        `server_rss_minute_${s.minute}`,
        "value",
        "bytes",
      ),
    ),
    row("server RSS, highest reading", "server_rss_max", "value", "bytes"),
    row("RSS drift, last minute vs minute 1", "rss_drift", "value", "share"),
    ...samples.map((s) =>
      row(
        s.minute === 0 ? "server JS heap after warm-up (one reading)" : `server JS heap, minute ${s.minute} (median)`,
        `server_heap_minute_${s.minute}`,
        "value",
        "bytes",
      ),
    ),
    row("JS heap drift, last minute vs minute 1", "heap_drift", "value", "share"),
    row("server CPU (cores)", "server_cpu_cores", "value", "share"),
    row("server CPU per delivery", "server_cpu_us_per_delivery", "value", "us"),
    row("machine busy", "machine_busy", "value", "share"),
    row("load gen busiest worker (core)", "loadgen_max_core_share", "value", "share"),
  ];
}

/** The soak's outcome: thresholds on chatd's metrics, a one-column table, the JSON result. */
export function finishSoak(
  o: { connections: number; rooms: number; rate: number; minutes: number; rssTolerance: number },
  compared: Compared,
  samples: RssSample[],
  load: { loadBefore: number[]; loadAfter: number[] },
): Outcome {
  const split = compared.topology === "split" ? " (split)" : "";
  const outcome = finishScenario({
    scenario: "soak",
    title: `soak${split}: ${o.connections} connections, ${o.rooms} rooms, ${o.rate} msg/s for ${o.minutes} min (load average ${load.loadBefore.join(" ")} → ${load.loadAfter.join(" ")})`,
    options: o,
    rows: rowsFor(samples),
    thresholds: thresholdsFor(o),
    compared,
  });
  return { ...outcome, header: ["", "chatd"], table: outcome.table.map((r) => r.slice(0, 2)) };
}
