// The Elysia application: global hooks (observability, security headers, CORS, body parsing, the
// request shape every route enforces, error mapping), the OpenAPI document and its UI at /docs, then
// the route plugins the role asks for.
import { Elysia } from "elysia";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { jsonBody } from "./body";
import { cors } from "./cors";
import { docsRoutes } from "./docs";
import { errorMapper } from "./errors";
import { registerFormats } from "./formats";
import { securityHeaders } from "./headers";
import { observe } from "./observe";
import { requestShape } from "./request-shape";
import { RouteTable } from "./route-table";

// After @elysiajs/openapi's import (by ./openapi) has registered its slow format checks: ours replace them.
registerFormats();

export type HttpOptions = {
  log: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  version: string;
  /** CORS_ORIGINS: origins (or "*") allowed to call the API from a browser; empty: none. */
  corsOrigins: readonly string[];
};

export const createHttpApp = ({ log, metrics, maxBodyBytes, version, corsOrigins }: HttpOptions) => {
  const app = new Elysia({ normalize: false });
  // Read lazily: the table covers every route mounted on the app, also those added after this call.
  const routes = new RouteTable(() => app.routes);
  return app
    .use(observe(log, metrics))
    .use(securityHeaders())
    .use(cors(corsOrigins))
    .use(errorMapper(log, metrics, routes))
    .use(jsonBody(maxBodyBytes, routes))
    .use(requestShape(routes))
    .use(
      docsRoutes({ title: "chatd", version, description: "Real-time chat backend: REST API and WebSocket gateway" }),
    );
};
