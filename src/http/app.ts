// The Elysia application: global hooks (observability, security headers, CORS, body parsing, error
// mapping), the OpenAPI document and its UI at /docs, then the route plugins the role asks for.
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

export const createHttpApp = ({ log, metrics, maxBodyBytes, version, corsOrigins }: HttpOptions) =>
  new Elysia({ normalize: false })
    .use(observe(log, metrics))
    .use(securityHeaders())
    .use(cors(corsOrigins))
    .use(errorMapper(log, metrics))
    .use(jsonBody(maxBodyBytes))
    .use(
      docsRoutes({ title: "chatd", version, description: "Real-time chat backend: REST API and WebSocket gateway" }),
    );
