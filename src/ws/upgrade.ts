// Where the access token of a WebSocket upgrade (GET /v1/ws) comes from, and which subprotocol the
// server answers. Browsers cannot set headers on a WebSocket and should keep tokens out of URLs (they
// end up in proxy logs), so besides `Authorization: Bearer` and `?token=` a client may offer the
// subprotocols `chatd.v1, bearer.<token>` (as Kubernetes does); the server then answers `chatd.v1`.
import type { DocumentDecoration } from "elysia";
import { validationFailed } from "../domain/errors";
import { bearerToken } from "../http/auth";
import { recordRequest, requestIdOf } from "../http/observe";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";

export const SUBPROTOCOL = "chatd.v1";
const BEARER_PROTOCOL = "bearer.";

export type UpgradeAuth = {
  /** The access token, or null when the request carries none. */
  token: string | null;
  /** The Sec-WebSocket-Protocol to answer, or null when the client offered none. */
  protocol: string | null;
};

/**
 * The token from the `bearer.<token>` subprotocol, else the Authorization header, else the `token`
 * query parameter. A client that offers subprotocols must offer chatd.v1 among them (400 otherwise):
 * the server always answers chatd.v1, so the bearer entry is never echoed back (Bun would echo the
 * first offered protocol by default).
 */
export function upgradeAuth(request: Request, queryToken: unknown): UpgradeAuth {
  const offered = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (offered.length > 0 && !offered.includes(SUBPROTOCOL)) {
    throw validationFailed(`offer the ${SUBPROTOCOL} subprotocol (with bearer.<token> to authenticate)`, [
      { field: "sec-websocket-protocol", message: `must include ${SUBPROTOCOL}` },
    ]);
  }
  const fromProtocol = offered.find((entry) => entry.startsWith(BEARER_PROTOCOL))?.slice(BEARER_PROTOCOL.length);
  const token =
    fromProtocol ||
    bearerToken(request.headers.get("authorization")) ||
    (typeof queryToken === "string" && queryToken !== "" ? queryToken : null);
  return { token, protocol: offered.length > 0 ? SUBPROTOCOL : null };
}

/** A query that is nothing or one plain `token` (a JWT's characters): what the fast path parses itself. */
const PLAIN_QUERY = /^(?:token=([\w.~-]+))?$/;

export type UpgradeRouteDeps<S> = {
  /** Authenticates and upgrades; throws a refusal's catalog error, false when no upgrade was made. */
  upgrade(request: Request, server: S, queryToken: string | undefined, requestId: string): Promise<boolean>;
  log: Logger;
  metrics: Metrics;
  /** The HTTP app's own answer (Elysia's whole pipeline) to a request this route does not upgrade. */
  fallback(request: Request): Response | Promise<Response>;
};

/**
 * GET /v1/ws on Bun's router, ahead of the HTTP app: an upgrade that succeeds is made here, with the
 * same checks, answer headers, metrics and log line as the app's route, without the app's per-request
 * hooks. Everything else goes to the app unchanged and is answered there from the start: refusals
 * (401, 400, 426, 5xx) keep the error shape, headers (security, CORS) and metrics they always had, and
 * so does any request whose query or body the app's request-shape rules must judge.
 */
export function upgradeRoute<S>(deps: UpgradeRouteDeps<S>) {
  return async (request: Request, server: S): Promise<Response | undefined> => {
    const query = request.url.indexOf("?");
    const plain = PLAIN_QUERY.exec(query < 0 ? "" : request.url.slice(query + 1));
    if (!plain || request.headers.has("content-length") || request.headers.has("transfer-encoding"))
      return deps.fallback(request);
    const startedAt = performance.now();
    const id = requestIdOf(request);
    let upgraded: boolean;
    try {
      upgraded = await deps.upgrade(request, server, plain[1], id);
    } catch {
      // Refused or failed: the app checks it again and answers (or logs) it as it always has.
      return deps.fallback(request);
    }
    if (!upgraded) return deps.fallback(request);
    recordRequest(deps.log, deps.metrics, {
      id,
      method: "GET",
      route: "/v1/ws",
      path: "/v1/ws",
      status: 200,
      startedAt,
    });
    return undefined;
  };
}

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/** The OpenAPI entry of GET /v1/ws (an upgrade, which the route's schemas cannot describe). */
export const upgradeDocs: DocumentDecoration = {
  summary: "WebSocket gateway (the protocol is in the README)",
  description:
    "Authenticate with `Authorization: Bearer <token>`, or from a browser with the subprotocols " +
    "`Sec-WebSocket-Protocol: chatd.v1, bearer.<token>` (the server answers `chatd.v1`), or with `?token=` " +
    "(kept for compatibility: tokens in URLs end up in proxy logs).",
  security: [{ bearer: [] }],
  parameters: [
    {
      name: "Sec-WebSocket-Protocol",
      in: "header",
      required: false,
      description: "`chatd.v1, bearer.<access token>`; when subprotocols are offered, chatd.v1 must be one of them",
      schema: { type: "string" as const },
    },
    {
      name: "token",
      in: "query",
      required: false,
      description: "the access token (prefer the header or the subprotocol)",
      schema: { type: "string" as const },
    },
  ],
  responses: {
    101: { description: "Switching Protocols; with subprotocols offered, `Sec-WebSocket-Protocol: chatd.v1`" },
    400: error("subprotocols offered without chatd.v1"),
    401: error("missing or invalid access token"),
    426: error("not a WebSocket upgrade request"),
  },
};
