// Operations: liveness, readiness of every configured backend, Prometheus metrics.
import { Elysia, t } from "elysia";
import { unavailable } from "../../domain/errors";
import type { Metrics } from "../../metrics";
import { errorBody } from "../errors";

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

export const opsRoutes = (probes: Record<string, Probe>, metrics: Metrics) =>
  new Elysia({ tags: ["operations"] })
    .get("/healthz", () => ({ status: "ok" as const }), { detail: { summary: "Liveness" } })
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
        detail: { summary: "Readiness: 200 when every configured backend answers, else 503 naming the failed ones" },
        response: {
          200: t.Object({ status: t.Literal("ready"), checks: t.Record(t.String(), t.String()) }),
          503: t.Object({ error: t.Any(), checks: t.Record(t.String(), t.String()) }),
        },
      },
    )
    .get(
      "/metrics",
      async ({ set }) => {
        set.headers["content-type"] = metrics.contentType;
        return metrics.text();
      },
      { detail: { summary: "Prometheus metrics" } },
    );
