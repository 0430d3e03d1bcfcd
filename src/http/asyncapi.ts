// The AsyncAPI 3 document of the WebSocket protocol (GET /docs/asyncapi.json), generated from the
// schemas the gateway validates client frames with (ws/protocol.ts) and the schemas of the frames it
// sends (ws/frames.ts). Schemas named with `component()` (Message, Room) are written once under
// components.schemas, as in the OpenAPI document.
import type { TSchema } from "elysia";
import { serverFrames } from "../ws/frames";
import { clientFrames } from "../ws/protocol";
import { SUBPROTOCOL } from "../ws/upgrade";
import { type DocumentInfo, shape } from "./openapi";

type Node = Record<string, unknown>;

const CHANNEL = "gateway";
const channelRef = { $ref: `#/channels/${CHANNEL}` };
/** Message keys say the direction: a client and a server frame may share a type (typing, read). */
const clientKey = (type: string) => `client.${type}`;
const serverKey = (type: string) => `server.${type}`;
const messageRef = (key: string) => ({ $ref: `#/channels/${CHANNEL}/messages/${key}` });

/** Client frames that get a reply of their own (besides an `error` frame, which any frame may get). */
const REPLIES: Record<string, string> = {
  subscribe: "subscribed",
  unsubscribe: "unsubscribed",
  "message.send": "ack",
  ping: "pong",
};

const CLIENT_SUMMARIES: Record<string, string> = {
  subscribe: "Subscribe to a member room; with `since` (a position or a message id), replay what came after it",
  unsubscribe: "Stop receiving a room's events",
  "message.send": "Send a message (same rules, idempotency by client_id and rate limit as REST)",
  typing: "Tell the room you are typing (at most one event per user and room per 3 s)",
  read: "Move your read marker",
  ping: "Ask for a pong",
};

const securitySchemes = {
  subprotocol: {
    type: "httpApiKey",
    name: "Sec-WebSocket-Protocol",
    in: "header",
    description: `For browsers: offer the subprotocols \`${SUBPROTOCOL}, bearer.<access token>\`; the server answers \`${SUBPROTOCOL}\``,
  },
  bearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Authorization: Bearer <access token from POST /v1/auth/login or /v1/auth/refresh>",
  },
  query_token: {
    type: "httpApiKey",
    name: "token",
    in: "query",
    description: "?token=<access token>, kept for compatibility (URLs end up in logs)",
  },
};

const hasRef = (schema: TSchema) => Boolean((schema as { properties?: Node }).properties?.ref);

export function asyncApiDocument(info: DocumentInfo) {
  const schemas: Record<string, Node> = {};
  const messages: Record<string, Node> = {};
  const frameMessage = (key: string, type: string, schema: TSchema, summary: string) => {
    messages[key] = {
      name: type,
      title: type,
      summary,
      contentType: "application/json",
      payload: shape(schema, schemas),
      ...(hasRef(schema) ? { correlationId: { location: "$message.payload#/ref" } } : {}),
    };
  };
  for (const [type, schema] of Object.entries(clientFrames))
    frameMessage(clientKey(type), type, schema, CLIENT_SUMMARIES[type] ?? type);
  for (const [type, schema] of Object.entries(serverFrames))
    frameMessage(serverKey(type), type, schema, schema.description ?? type);

  const operations: Record<string, Node> = {};
  for (const type of Object.keys(clientFrames)) {
    const reply = REPLIES[type];
    operations[`send.${type}`] = {
      action: "send",
      channel: channelRef,
      summary: CLIENT_SUMMARIES[type],
      messages: [messageRef(clientKey(type))],
      ...(reply
        ? { reply: { channel: channelRef, messages: [messageRef(serverKey(reply)), messageRef(serverKey("error"))] } }
        : {}),
    };
  }
  for (const type of Object.keys(serverFrames)) {
    if (Object.values(REPLIES).includes(type)) continue;
    operations[`receive.${type}`] = {
      action: "receive",
      channel: channelRef,
      summary: serverFrames[type]?.description,
      messages: [messageRef(serverKey(type))],
    };
  }

  return {
    asyncapi: "3.1.0",
    info: {
      ...info,
      description:
        `${info.description}. One WebSocket per client at /v1/ws; every frame is a JSON text frame with a ` +
        "`type`, and a client may add `ref` to any frame to find its reply. Durable room events carry " +
        "`seq`, the room position: it increases by one per event, so a jump means something was missed " +
        "(subscribe again with `since`). Close codes: 1001 heartbeat timeout or shutdown, 1008 abuse or " +
        "slow consumer, 1009 frame too large, 4001 session ended (reason `token_expired`: refresh and " +
        "reconnect; `session_revoked`: log in again).",
    },
    defaultContentType: "application/json",
    servers: {
      chatd: {
        host: "{host}",
        protocol: "ws",
        description: "the chatd server this document is served by (wss behind TLS)",
        variables: { host: { default: "localhost:8080", description: "host and port of the chatd server" } },
        security: Object.keys(securitySchemes).map((name) => ({ $ref: `#/components/securitySchemes/${name}` })),
      },
    },
    channels: {
      [CHANNEL]: {
        address: "/v1/ws",
        title: "The WebSocket gateway",
        description: `Subprotocol \`${SUBPROTOCOL}\`. The server sends \`hello\` on open.`,
        messages: Object.fromEntries(
          Object.keys(messages).map((type) => [type, { $ref: `#/components/messages/${type}` }]),
        ),
      },
    },
    operations,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      messages,
      securitySchemes,
    },
  };
}
