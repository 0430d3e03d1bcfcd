// Per-request observability: a request id (taken from X-Request-Id or made), one JSON log line and the
// HTTP metrics when the response has gone out.
import { Elysia } from "elysia";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";

const started = new WeakMap<Request, { at: number; id: string }>();

const validRequestId = (value: string | null) => (value && /^[\w.:-]{1,128}$/.test(value) ? value : null);

/** The request's id: its X-Request-Id when that is a sane one, else a fresh UUID. */
export const requestIdOf = (request: Request) =>
  validRequestId(request.headers.get("x-request-id")) ?? crypto.randomUUID();

/** A request that was answered, as the metrics and the log line tell it. */
export type AnsweredRequest = {
  id: string;
  method: string;
  /** The route's pattern, or "unmatched". */
  route: string;
  path: string;
  status: number;
  /** When it arrived, performance.now() ms. */
  startedAt: number;
};

/**
 * Records an answered request: the HTTP metrics and one log line. Also used by the routes served
 * ahead of Elysia (the WebSocket upgrade), so they are told exactly like the others.
 */
export function recordRequest(log: Logger, metrics: Metrics, answered: AnsweredRequest) {
  const seconds = (performance.now() - answered.startedAt) / 1000;
  metrics.observeRequest(answered.method, answered.route, answered.status, seconds);
  log.info("request", {
    request_id: answered.id,
    method: answered.method,
    route: answered.route,
    path: answered.path,
    status: answered.status,
    duration_ms: Math.round(seconds * 100_000) / 100,
  });
}

export const observe = (log: Logger, metrics: Metrics) =>
  new Elysia()
    .onRequest(({ request, set }) => {
      const id = requestIdOf(request);
      started.set(request, { at: performance.now(), id });
      set.headers["x-request-id"] = id;
    })
    .onAfterResponse({ as: "global" }, ({ request, route, path, set }) => {
      const start = started.get(request);
      if (!start) return;
      recordRequest(log, metrics, {
        id: start.id,
        method: request.method,
        // Unmatched paths share one label so scanners cannot grow the metric without bound.
        route: route || "unmatched",
        path,
        status: typeof set.status === "number" ? set.status : 200,
        startedAt: start.at,
      });
    });
