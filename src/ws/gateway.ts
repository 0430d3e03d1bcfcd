// The WebSocket gateway on Bun's native server: authenticates the upgrade at /v1/ws, owns the socket
// lifecycle (hello, heartbeat, slow consumers, abuse) and hands frames to the handlers.
import type { ServerWebSocket, WebSocketHandler } from "bun";
import { Elysia } from "elysia";
import type { AccessTokens } from "../domain/access-tokens";
import { AppError, unauthorized } from "../domain/errors";
import { bearerToken } from "../http/auth";
import { gcra } from "../limits/shared";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Bus } from "../ports/bus";
import type { AccountStore } from "../ports/store";
import { type FrameHandlerDeps, FrameHandlers } from "./handlers";
import { type Connection, Hub } from "./hub";
import { decodeFrame, errorFrame, FrameError, frameErrorFor } from "./protocol";

export type GatewaySettings = {
  heartbeatIntervalMs: number;
  idleTimeoutSeconds: number;
  maxPayloadBytes: number;
  maxBufferedBytes: number;
  recoveryLimit: number;
};

export type GatewayDeps = Omit<FrameHandlerDeps, "hub" | "send" | "settings"> & {
  bus: Bus;
  users: AccountStore;
  accessTokens: AccessTokens;
  metrics: Metrics;
  log: Logger;
  settings: GatewaySettings;
  /** The abuse rule's clock, ms (a test seam; Date.now in production). */
  now?: () => number;
};

type SocketData = { connection?: Connection; userId: string; username: string };

/** Frames received but not yet handled, per connection, before it is closed (1008). */
const MAX_PENDING = 256;

/** More error frames than this in the window close the connection (1008). */
const ABUSE_RULE = { limit: 20, periodMs: 10_000 };

export class Gateway {
  readonly hub: Hub;
  readonly #handlers: FrameHandlers;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly deps: GatewayDeps) {
    this.hub = new Hub({
      bus: deps.bus,
      metrics: deps.metrics,
      log: deps.log,
      maxBufferedBytes: deps.settings.maxBufferedBytes,
      onRemoved: (connection, roomId) => this.#handlers.leftRoom(connection, roomId),
    });
    this.#handlers = new FrameHandlers({ ...deps, hub: this.hub, send: (c, frame) => this.#send(c, frame) });
  }

  /** GET /v1/ws: 401 before the upgrade without a valid access token (query `token` or Bearer header). */
  routes() {
    return new Elysia({ tags: ["websocket"] }).get(
      "/v1/ws",
      async ({ request, server, query, set }) => {
        const token =
          (typeof query.token === "string" ? query.token : null) ?? bearerToken(request.headers.get("authorization"));
        if (!token) throw unauthorized("missing access token");
        const { userId } = await this.deps.accessTokens.verify(token);
        const user = await this.deps.users.getUserById(userId);
        if (!user) throw unauthorized("invalid access token");
        const data: SocketData = { userId, username: user.username };
        if (server?.upgrade(request, { data })) return;
        set.status = 426;
        return { error: { code: "upgrade_required", message: "connect with a WebSocket client" } };
      },
      { detail: { summary: "WebSocket gateway (see the protocol in the README)", security: [{ bearer: [] }] } },
    );
  }

  /** The Bun.serve `websocket` options and handlers. */
  handlers(): WebSocketHandler<SocketData> {
    const { settings } = this.deps;
    return {
      // Frames up to 4x the limit reach us and get an error frame; beyond that Bun closes (1009).
      maxPayloadLength: settings.maxPayloadBytes * 4,
      // Past twice the slow-consumer bound Bun drops the socket at once, so memory stays bounded even
      // between checks; the checks close at the bound itself with 1008.
      backpressureLimit: settings.maxBufferedBytes * 2,
      closeOnBackpressureLimit: true,
      idleTimeout: settings.idleTimeoutSeconds,
      sendPings: false,
      publishToSelf: false,
      open: (ws) => this.#open(ws),
      message: (ws, raw) => this.#message(ws, raw),
      pong: (ws) => {
        if (ws.data.connection) ws.data.connection.lastSeen = Date.now();
      },
      close: (ws) => this.#close(ws),
    };
  }

  attach(server: Bun.Server<unknown>) {
    this.hub.attach(server);
    const interval = Math.max(50, Math.min(this.deps.settings.heartbeatIntervalMs / 2, 1000));
    this.#sweep = setInterval(() => this.#heartbeat(), interval);
  }

  /** Closes every socket (1001) and stops the heartbeat; the server can then stop at once. */
  close() {
    clearInterval(this.#sweep);
    for (const connection of this.hub.connections.values()) {
      connection.closeReason = "shutdown";
      connection.ws.close(1001, "server shutting down");
    }
    this.hub.close();
  }

  #open(ws: ServerWebSocket<SocketData>) {
    const connection: Connection = {
      id: crypto.randomUUID(),
      userId: ws.data.userId,
      username: ws.data.username,
      ws: ws as ServerWebSocket<unknown>,
      rooms: new Set(),
      lastSeen: Date.now(),
      closed: false,
      queue: Promise.resolve(),
      pending: 0,
    };
    ws.data.connection = connection;
    this.hub.connections.set(connection.id, connection);
    this.deps.metrics.ws.opened.inc();
    this.deps.metrics.ws.connections.inc();
    this.#send(connection, {
      type: "hello",
      session_id: connection.id,
      user: { id: connection.userId, username: connection.username },
      heartbeat_interval_ms: this.deps.settings.heartbeatIntervalMs,
    });
  }

  /**
   * Frames of one connection are handled one at a time, in arrival order, so a client's sends are
   * stored in the order it sent them. A client that piles up more than MAX_PENDING frames is closed.
   */
  #message(ws: ServerWebSocket<SocketData>, raw: string | Buffer) {
    const connection = ws.data.connection;
    if (!connection) return;
    connection.lastSeen = Date.now();
    if (++connection.pending > MAX_PENDING) {
      connection.closeReason = "abuse";
      connection.ws.close(1008, "too many frames in flight");
      return;
    }
    connection.queue = connection.queue.then(() => this.#process(connection, raw)).finally(() => connection.pending--);
  }

  async #process(connection: Connection, raw: string | Buffer) {
    if (connection.closed) return;
    let ref: string | undefined;
    try {
      const frame = decodeFrame(raw, this.deps.settings.maxPayloadBytes);
      ref = frame.ref;
      this.deps.metrics.ws.framesIn.inc({ type: frame.type });
      await this.#handlers.handle(connection, frame);
    } catch (error) {
      this.#fail(connection, error, ref);
    }
  }

  /** Answers a failed frame with an error frame; the connection stays open unless errors keep coming. */
  #fail(connection: Connection, error: unknown, ref: string | undefined) {
    let frameError: FrameError;
    if (error instanceof FrameError) frameError = error;
    else if (error instanceof AppError && error.status < 500) frameError = frameErrorFor(error, ref);
    else if (error instanceof AppError) frameError = new FrameError(error.code, error.message, ref);
    else {
      this.deps.log.error("WebSocket frame failed", { connection_id: connection.id, error });
      frameError = new FrameError("internal", "internal error", ref);
    }
    if (connection.closed) return;
    this.deps.metrics.ws.errors.inc({ code: frameError.code });
    if (frameError.code === "rate_limited") this.deps.metrics.ws.rateLimited.inc();
    this.#sendRaw(connection, errorFrame(frameError), "error");
    const { decision, tat } = gcra(connection.errorTat, ABUSE_RULE, (this.deps.now ?? Date.now)());
    connection.errorTat = tat;
    if (!decision.allowed) {
      connection.closeReason = "abuse";
      connection.ws.close(1008, "too many invalid frames");
    }
  }

  #close(ws: ServerWebSocket<SocketData>) {
    const connection = ws.data.connection;
    if (!connection || connection.closed) return;
    const rooms = this.hub.remove(connection);
    this.deps.metrics.ws.connections.dec();
    this.deps.metrics.ws.closed.inc({ reason: connection.closeReason ?? "client" });
    for (const roomId of rooms) this.#handlers.leftRoom(connection, roomId);
  }

  /** Pings sockets silent for an interval, closes those silent for two, and closes slow consumers. */
  #heartbeat() {
    const now = Date.now();
    const interval = this.deps.settings.heartbeatIntervalMs;
    for (const connection of this.hub.connections.values()) {
      if (this.hub.closeIfSlow(connection)) continue;
      const silent = now - connection.lastSeen;
      if (silent > 2 * interval) {
        connection.closeReason = "heartbeat_timeout";
        connection.ws.close(1001, "heartbeat timeout");
      } else if (silent > interval) {
        connection.ws.ping();
      }
    }
  }

  #send(connection: Connection, frame: { type: string } & Record<string, unknown>) {
    this.#sendRaw(connection, JSON.stringify(frame), frame.type);
  }

  #sendRaw(connection: Connection, data: string, type: string) {
    if (connection.closed) return;
    connection.ws.send(data);
    this.deps.metrics.ws.framesOut.inc({ type });
  }
}
