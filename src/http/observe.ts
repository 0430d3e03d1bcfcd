// Per-request observability: a request id (taken from X-Request-Id or made), one JSON log line and the
// HTTP metrics when the response has gone out.
import { Elysia } from "elysia";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";

const started = new WeakMap<Request, { at: number; id: string }>();

const validRequestId = (value: string | null) => (value && /^[\w.:-]{1,128}$/.test(value) ? value : null);

export const observe = (log: Logger, metrics: Metrics) =>
  new Elysia()
    .onRequest(({ request, set }) => {
      const id = validRequestId(request.headers.get("x-request-id")) ?? crypto.randomUUID();
      started.set(request, { at: performance.now(), id });
      set.headers["x-request-id"] = id;
    })
    .onAfterResponse({ as: "global" }, ({ request, route, path, set }) => {
      const start = started.get(request);
      if (!start) return;
      const seconds = (performance.now() - start.at) / 1000;
      const status = typeof set.status === "number" ? set.status : 200;
      // Unmatched paths share one label so scanners cannot grow the metric without bound.
      const pattern = route || "unmatched";
      metrics.observeRequest(request.method, pattern, status, seconds);
      log.info("request", {
        request_id: start.id,
        method: request.method,
        route: pattern,
        path,
        status,
        duration_ms: Math.round(seconds * 100_000) / 100,
      });
    });
