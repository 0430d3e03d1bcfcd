// The Elysia application: global hooks (observability, body parsing, the request shape every route
// enforces, error mapping), OpenAPI at /docs, then the route plugins the role asks for.
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { jsonBody } from "./body";
import { errorMapper } from "./errors";
import { registerFormats } from "./formats";
import { observe } from "./observe";
import { requestShape } from "./request-shape";
import { RouteTable } from "./route-table";

// After @elysiajs/openapi's import has registered its slow format checks: ours replace them.
registerFormats();

export type HttpOptions = { log: Logger; metrics: Metrics; maxBodyBytes: number; version: string };

export const createHttpApp = ({ log, metrics, maxBodyBytes, version }: HttpOptions) => {
  const app = new Elysia({ normalize: false });
  // Read lazily: the table covers every route mounted on the app, also those added after this call.
  const routes = new RouteTable(() => app.routes);
  return app
    .use(observe(log, metrics))
    .use(errorMapper(log, routes))
    .use(jsonBody(maxBodyBytes))
    .use(requestShape(routes))
    .use(
      openapi({
        path: "/docs",
        documentation: {
          info: { title: "chatd", version, description: "Real-time chat backend: REST API and WebSocket gateway" },
          components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
        },
      }),
    );
};
