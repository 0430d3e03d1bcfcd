// Operations: liveness, readiness of every configured backend, Prometheus metrics (behind METRICS_TOKEN
// when it is set).
import { createHash, timingSafeEqual } from "node:crypto";
import { Elysia, t } from "elysia";
import { unauthorized, unavailable } from "../../domain/errors";
import type { Metrics } from "../../metrics";
import { bearerToken } from "../auth";
import { errorBody } from "../errors";
import { ErrorBody, errors, PUBLIC } from "../schemas";

/** A backend's readiness probe: resolves when it answers. */
export type Probe = () => Promise<void>;

const PROBE_TIMEOUT_MS = 2000;

async function check(probe: Probe): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return "ok";
  } catch (error) {
    const cause = (error as Error).cause;
    return (cause instanceof Error ? cause.message : (error as Error).message) || "failed";
  } finally {
    clearTimeout(timer);
  }
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Whether a request may read /metrics: always without a token; with one, only with
 * `Authorization: Bearer <token>`, compared in constant time (digests of equal length).
 */
export const metricsAccess = (token: string | undefined) => {
  if (!token) return () => true;
  const expected = digest(token);
  return (authorization: string | null) => {
    const presented = bearerToken(authorization);
    return presented !== null && timingSafeEqual(digest(presented), expected);
  };
};

export type OpsOptions = { metricsToken?: string };

export const opsRoutes = (probes: Record<string, Probe>, metrics: Metrics, options: OpsOptions = {}) => {
  const mayReadMetrics = metricsAccess(options.metricsToken);
  return new Elysia({ tags: ["operations"] })
    .get("/healthz", () => ({ status: "ok" as const }), {
      response: { 200: t.Object({ status: t.Literal("ok") }) },
      detail: { ...PUBLIC, summary: "Liveness" },
    })
    .get(
      "/readyz",
      async ({ set }) => {
        const names = Object.keys(probes);
        const results = await Promise.all(names.map((name) => check(probes[name] as Probe)));
        const checks = Object.fromEntries(names.map((name, i) => [name, results[i] as string]));
        const failed = names.filter((name) => checks[name] !== "ok");
        if (failed.length === 0) return { status: "ready", checks };
        set.status = 503;
        const error = unavailable(failed.join(", "));
        return { ...errorBody(error), checks };
      },
      {
        response: {
          200: t.Object({ status: t.Literal("ready"), checks: t.Record(t.String(), t.String()) }),
          503: t.Object({ error: ErrorBody.properties.error, checks: t.Record(t.String(), t.String()) }),
        },
        detail: {
          ...PUBLIC,
          summary: "Readiness: 200 when every configured backend answers, else 503 naming the failed ones",
        },
      },
    )
    .get(
      "/metrics",
      async ({ request, set }) => {
        if (!mayReadMetrics(request.headers.get("authorization")))
          throw unauthorized("metrics need the METRICS_TOKEN bearer token");
        set.headers["content-type"] = metrics.contentType;
        return metrics.text();
      },
      {
        response: { 200: t.String({ description: "Prometheus text exposition format" }), ...errors(401) },
        detail: {
          summary: "Prometheus metrics; with METRICS_TOKEN set, only with that bearer token",
          security: [{}, { metrics_token: [] }],
        },
      },
    );
};
