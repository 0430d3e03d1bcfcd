// Application and process metrics in Prometheus text format. Each server gets its own registry so
// several servers in one process (tests) never mix their figures.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { IndexerObserver } from "../domain/indexer";
import { VERSION } from "../version";
import { processMetrics } from "./process";

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A counter by frame type whose series are looked up once per type: prom-client would hash and
 * validate the labels on every count (several per WebSocket frame). Types are the protocol's (bounded).
 */
function byType(counter: Counter<"type">) {
  const series = new Map<string, ReturnType<typeof counter.labels>>();
  return {
    inc({ type }: { type: string }, value = 1) {
      let one = series.get(type);
      if (!one) {
        one = counter.labels({ type });
        series.set(type, one);
      }
      one.inc(value);
    },
  };
}

export function createMetrics() {
  const registry = new Registry();
  new Gauge({
    name: "chatd_build_info",
    help: "Always 1; the labels say which chatd and Bun are running",
    labelNames: ["version", "bun"] as const,
    registers: [registry],
  }).set({ version: VERSION, bun: Bun.version }, 1);
  const stopProcessMetrics = processMetrics(registry);
  const httpRequests = new Counter({
    name: "chatd_http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "chatd_http_request_duration_seconds",
    help: "HTTP request duration by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Each method, route and status's series, looked up once: prom-client would hash and validate the
  // labels on every request. Bounded like the series themselves (routes are patterns, see observe.ts).
  const requestSeries = new Map<
    string,
    { count: ReturnType<typeof httpRequests.labels>; duration: ReturnType<typeof httpDuration.labels> }
  >();
  const httpRateLimited = new Counter({
    name: "chatd_http_rate_limited_total",
    help: "REST requests refused with 429, by the limit that refused them",
    labelNames: ["limit"] as const,
    registers: [registry],
  });
  const ws = {
    connections: new Gauge({ name: "chatd_ws_connections", help: "Open WebSocket connections", registers: [registry] }),
    opened: new Counter({
      name: "chatd_ws_connections_opened_total",
      help: "WebSocket connections opened",
      registers: [registry],
    }),
    closed: new Counter({
      name: "chatd_ws_disconnects_total",
      help: "WebSocket connections closed, by reason (client, heartbeat_timeout, slow_consumer, abuse, shutdown)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    framesIn: byType(
      new Counter({
        name: "chatd_ws_frames_in_total",
        help: "Client frames received, by type",
        labelNames: ["type"] as const,
        registers: [registry],
      }),
    ),
    framesOut: byType(
      new Counter({
        name: "chatd_ws_frames_out_total",
        help: "Frames sent to clients, by type (a publish counts once per subscriber)",
        labelNames: ["type"] as const,
        registers: [registry],
      }),
    ),
    errors: new Counter({
      name: "chatd_ws_errors_total",
      help: "Error frames sent, by code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "chatd_ws_rate_limited_total",
      help: "Frames refused by a rate limit",
      registers: [registry],
    }),
    fanout: new Histogram({
      name: "chatd_ws_fanout_seconds",
      help: "Time to hand one room event to every local subscriber",
      buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
      registers: [registry],
    }),
    delivery: new Histogram({
      name: "chatd_message_delivery_seconds",
      help: "From a message's creation (its created_at) to the hub handing it to the local subscribers' publish",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    activeRooms: new Gauge({
      name: "chatd_ws_active_rooms",
      help: "Rooms with at least one local WebSocket subscriber",
      registers: [registry],
    }),
  };
  const indexerMetrics = {
    lag: new Gauge({
      name: "chatd_indexer_lag_messages",
      help: "Event stream messages the search indexer has not acked yet (waiting plus in progress)",
      registers: [registry],
    }),
    documents: new Counter({
      name: "chatd_indexer_documents_total",
      help: "Document changes the search indexer applied (messages, edits, tombstones, room deletions; repairs included)",
      registers: [registry],
    }),
    batch: new Histogram({
      name: "chatd_indexer_batch_seconds",
      help: "Time to index one batch of event stream messages",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    repairs: new Counter({
      name: "chatd_indexer_repairs_total",
      help: "Gaps in a room's positions that the search indexer read from the room's log",
      registers: [registry],
    }),
    late: new Counter({
      name: "chatd_indexer_late_events_total",
      help: "Events that reached the search indexer after indexed_through had passed their time",
      registers: [registry],
    }),
    watermark: new Gauge({
      name: "chatd_search_indexed_through_seconds",
      help: "The search watermark (indexed_through) as Unix time, where the indexer runs",
      registers: [registry],
    }),
  };
  const notify = {
    webhooks: new Counter({
      name: "chatd_webhook_deliveries_total",
      help: "Webhook delivery attempts by outcome: delivered (2xx), failed (retried later), dropped (retried for WEBHOOK_RETRY_FOR_SECONDS)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    webhookSeconds: new Histogram({
      name: "chatd_webhook_delivery_seconds",
      help: "Time of one webhook delivery attempt",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    digests: new Counter({
      name: "chatd_digest_mails_total",
      help: "Missed-message digest mails by outcome (sent, failed)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
  };
  const indexer: IndexerObserver = {
    batch(seconds, documents) {
      indexerMetrics.batch.observe(seconds);
      indexerMetrics.documents.inc(documents);
    },
    lag: (messages) => indexerMetrics.lag.set(messages),
    repair: () => indexerMetrics.repairs.inc(),
    late: () => indexerMetrics.late.inc(),
    watermark: (ms) => indexerMetrics.watermark.set(ms / 1000),
  };
  return {
    registry,
    ws,
    indexer,
    notify: {
      webhook(outcome: "delivered" | "failed" | "dropped", seconds: number) {
        notify.webhooks.inc({ outcome });
        notify.webhookSeconds.observe(seconds);
      },
      digest: (outcome: "sent" | "failed") => notify.digests.inc({ outcome }),
    },
    observeRequest(method: string, route: string, status: number, seconds: number) {
      const key = `${method} ${route} ${status}`;
      let series = requestSeries.get(key);
      if (!series) {
        const labels = { method, route, status: String(status) };
        series = { count: httpRequests.labels(labels), duration: httpDuration.labels(labels) };
        requestSeries.set(key, series);
      }
      series.count.inc();
      series.duration.observe(seconds);
    },
    /** A REST request refused by the named rate limit (login_account, login_address, messages, ...). */
    observeRateLimited(limit: string) {
      httpRateLimited.inc({ limit });
    },
    text: () => registry.metrics(),
    contentType: registry.contentType,
    /** Stops the timers behind the process metrics. */
    close: stopProcessMetrics,
  };
}
