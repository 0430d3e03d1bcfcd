// Where the access token of a WebSocket upgrade (GET /v1/ws) comes from, and which subprotocol the
// server answers. Browsers cannot set headers on a WebSocket and should keep tokens out of URLs (they
// end up in proxy logs), so besides `Authorization: Bearer` and `?token=` a client may offer the
// subprotocols `chatd.v1, bearer.<token>` (as Kubernetes does); the server then answers `chatd.v1`.
import type { DocumentDecoration } from "elysia";
import { validationFailed } from "../domain/errors";
import { bearerToken } from "../http/auth";

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
