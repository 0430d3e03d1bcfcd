// The WebSocket gateway on Bun's native server: authenticates the upgrade at /v1/ws, owns the sockets
// and their lifecycle (hello, frame order, heartbeat, slow consumers, abuse, the end of the login's
// session) and hands frames to the handlers. Rooms and fan-out are the hub's.
import type { ServerWebSocket, WebSocketHandler } from "bun";
import { Elysia, t } from "elysia";
import type { Accounts } from "../domain/accounts";
import { AppError, unauthorized } from "../domain/errors";
import type { SessionRevoked } from "../domain/session-events";
import type { Sessions } from "../domain/sessions";
import type { UserPresences } from "../domain/user-presence";
import { gcra } from "../limits/shared";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Bus } from "../ports/bus";
import type { ConnectionStatus } from "../ports/presence";
import { Connection } from "./connection";
import { Fanout, type TopicServer } from "./fanout";
import { type FrameHandlerDeps, FrameHandlers } from "./handlers";
import { Hub } from "./hub";
import type { PresenceState } from "./presence-tracker";
import { decodeFrame, errorFrame, FrameError, frameErrorFor } from "./protocol";
import { SessionSockets, type SocketSession } from "./session-sockets";
import { upgradeAuth, upgradeDocs } from "./upgrade";
import { deliverUserEvents } from "./user-events";
import { isPresenceFrame, UserPresenceGateway } from "./user-presence";

export type GatewaySettings = {
  heartbeatIntervalMs: number;
  idleTimeoutSeconds: number;
  maxPayloadBytes: number;
  maxBufferedBytes: number;
  recoveryLimit: number;
  /** User presence: idle after this long without activity; watched users re-read this often. */
  presenceIdleMs: number;
  presencePollMs: number;
};

export type GatewayDeps = Omit<FrameHandlerDeps, "hub" | "send" | "settings"> & {
  bus: Bus;
  /** The bus subject of a room's events. */
  subjectOf(roomId: string): string;
  /** Who a token's user is (the domain's answer, as REST gets it). */
  accounts: Pick<Accounts, "getUser">;
  sessions: Pick<Sessions, "authenticate" | "isRevoked" | "onRevoked">;
  metrics: Metrics;
  log: Logger;
  settings: GatewaySettings;
  userPresences: UserPresences;
  /** The abuse rule's clock, ms (a test seam; Date.now in production). */
  now?: () => number;
  /** Told of each connection's open and close (last-seen times for missed-message digests). */
  seen?: { connected(userId: string): void; disconnected(userId: string): void };
};

/** Why the server closed a socket (a metric label); unset when the client did. */
type CloseReason = "heartbeat_timeout" | "slow_consumer" | "abuse" | "shutdown" | "token_expired" | "session_revoked";

/** What the upgrade learnt from the token, handed to open as the socket's Bun data. */
type Upgraded = SocketSession & { userId: string; username: string };

/**
 * The gateway's own state of a socket: its Connection, the session of the token it opened with, and
 * what only the gateway reads. One object per socket: it replaces the upgrade's data as the socket's
 * Bun data on open (no side map), with the frame queue made only while frames are in flight.
 */
class Client extends Connection implements SocketSession, PresenceState {
  readonly sessionId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Last time anything arrived from the client (frames or pongs), ms. */
  lastSeen = Date.now();
  /** The frames being handled, in order (unset when none is), and how many are waiting. */
  queue: Promise<void> | undefined = undefined;
  pending = 0;
  /** GCRA state of the abuse limiter (error frames sent). */
  errorTat: number | undefined = undefined;
  closeReason: CloseReason | undefined = undefined;
  /** User presence (PresenceTracker's alone; see PresenceState). */
  presenceStatus: ConnectionStatus | undefined = undefined;
  presenceManualIdle = false;
  presenceActiveAt = 0;
  presenceWrites: Promise<void> | undefined = undefined;

  constructor(ws: ServerWebSocket<SocketData>, upgraded: Upgraded) {
    super(crypto.randomUUID(), upgraded.userId, upgraded.username, ws as ServerWebSocket<unknown>);
    this.sessionId = upgraded.sessionId;
    this.issuedAt = upgraded.issuedAt;
    this.expiresAt = upgraded.expiresAt;
  }

  /** The session of the token the socket opened with (what SessionSockets reads): its own fields. */
  get session(): SocketSession {
    return this;
  }
}

/** What upgrading needs of the server: Bun's (Elysia's handlers see it under its own type). */
export type Upgrader = {
  upgrade(request: Request, options: { data: Upgraded; headers: Record<string, string> }): boolean;
};

/** Bun's per-socket data: the upgrade's until the socket opens, then its Client. */
type SocketData = Upgraded | Client;

/** Frames received but not yet handled, per connection, before it is closed (1008). */
const MAX_PENDING = 256;

/** More error frames than this in the window close the connection (1008). */
const ABUSE_RULE = { limit: 20, periodMs: 10_000 };

/**
 * The close code for a socket whose login session ended: reason `token_expired` (refresh the access
 * token, reconnect, subscribe with `since`) or `session_revoked` (logged out, revoked or password
 * reset: log in again).
 */
export const SESSION_ENDED = 4001;

export class Gateway {
  readonly hub: Hub;
  readonly #fanout: Fanout;
  readonly #handlers: FrameHandlers;
  readonly #userPresence: UserPresenceGateway<Client>;
  readonly #sessions = new SessionSockets<Client>();
  readonly #stopListening: () => void;
  readonly #stopUserEvents: () => void;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly deps: GatewayDeps) {
    this.#fanout = new Fanout({
      metrics: deps.metrics,
      log: deps.log,
      maxBufferedBytes: deps.settings.maxBufferedBytes,
      onSlow: (connection) => this.#closeClient(connection, 1008, "slow consumer", "slow_consumer"),
    });
    this.hub = new Hub({
      bus: deps.bus,
      source: deps.timeline,
      fanout: this.#fanout,
      metrics: deps.metrics,
      log: deps.log,
      subjectOf: deps.subjectOf,
      onEvicted: (connection, roomId) => this.#handlers.leftRoom(connection, roomId),
    });
    this.#handlers = new FrameHandlers({ ...deps, hub: this.hub, send: (c, frame) => this.#send(c, frame) });
    this.#stopListening = deps.sessions.onRevoked((event) => this.#revoked(event));
    this.#stopUserEvents = deliverUserEvents({
      bus: deps.bus,
      socketsOf: (userId) => this.#sessions.socketsOf(userId),
      send: (connection, raw, type) => this.#fanout.send(connection, raw, type),
      log: deps.log,
    });
    this.#userPresence = new UserPresenceGateway({
      ...deps,
      idleMs: deps.settings.presenceIdleMs,
      pollMs: deps.settings.presencePollMs,
      now: deps.now ?? Date.now,
      connections: () => this.#sessions.all(),
      send: (connection, raw, type) => this.#fanout.send(connection, raw, type),
    });
  }

  /**
   * GET /v1/ws: 401 before the upgrade without a valid access token of a live session (subprotocol
   * `bearer.<token>`, Bearer header or query `token`; see upgrade.ts), 400 when subprotocols are
   * offered without chatd.v1.
   */
  routes() {
    return new Elysia({ tags: ["websocket"] }).get(
      "/v1/ws",
      async ({ request, server, query, set }) => {
        const requestId = String(set.headers["x-request-id"] ?? "");
        if (await this.upgrade(request, server, query.token, requestId)) return;
        set.status = 426;
        return { error: { code: "upgrade_required", message: "connect with a WebSocket client" } };
      },
      {
        query: t.Object({ token: t.Optional(t.String({ description: "the access token (prefer the subprotocol)" })) }),
        detail: upgradeDocs,
      },
    );
  }

  /**
   * Authenticates an upgrade request of GET /v1/ws and upgrades it (answering the request id and the
   * subprotocol). Throws the catalog error the refusal answers with (401, 400; see routes()); false
   * when the token is good but the request is no WebSocket upgrade (426).
   */
  async upgrade(request: Request, server: Upgrader | null, queryToken: unknown, requestId: string): Promise<boolean> {
    const { token, protocol } = upgradeAuth(request, queryToken);
    if (!token) throw unauthorized("missing access token");
    const { userId, sessionId, issuedAt, expiresAt } = await this.deps.sessions.authenticate(token);
    const username = await this.#usernameOf(userId);
    if (username === null) throw unauthorized("invalid access token");
    const data: Upgraded = {
      userId,
      username,
      sessionId,
      issuedAt: issuedAt.getTime(),
      expiresAt: expiresAt.getTime(),
    };
    const headers: Record<string, string> = { "x-request-id": requestId };
    if (protocol) headers["sec-websocket-protocol"] = protocol;
    return server?.upgrade(request, { data, headers }) ?? false;
  }

  /**
   * The user's username: from a socket of theirs open here (usernames never change and users are
   * never deleted), else from the store; null for an unknown user.
   */
  async #usernameOf(userId: string): Promise<string | null> {
    for (const open of this.#sessions.socketsOf(userId)) return open.username;
    return (await this.deps.accounts.getUser(userId))?.username ?? null;
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
        if (ws.data instanceof Client) ws.data.lastSeen = Date.now();
      },
      close: (ws) => this.#close(ws),
    };
  }

  attach(server: TopicServer) {
    this.#fanout.attach(server);
    const interval = Math.max(50, Math.min(this.deps.settings.heartbeatIntervalMs / 2, 1000));
    this.#sweep = setInterval(() => this.#heartbeat(), interval);
  }

  /** Closes every socket (1001) and stops the heartbeat; the server can then stop at once. */
  close() {
    clearInterval(this.#sweep);
    this.#stopListening();
    this.#stopUserEvents();
    this.#userPresence.close();
    for (const client of [...this.#sessions.all()]) this.#closeClient(client, 1001, "server shutting down", "shutdown");
    this.hub.close();
  }

  #open(ws: ServerWebSocket<SocketData>) {
    const upgraded = ws.data;
    if (upgraded instanceof Client) return;
    const connection = new Client(ws, upgraded);
    ws.data = connection;
    this.#sessions.add(connection);
    this.deps.seen?.connected(connection.userId);
    this.deps.metrics.ws.opened.inc();
    this.deps.metrics.ws.connections.inc();
    // The session may have ended between the upgrade's check and now.
    if (this.deps.sessions.isRevoked(connection.sessionId)) return this.#endSession(connection, "session_revoked");
    if (this.#sessions.expired(connection, Date.now())) return this.#endSession(connection, "token_expired");
    this.#send(connection, {
      type: "hello",
      session_id: connection.id,
      user: { id: connection.userId, username: connection.username },
      heartbeat_interval_ms: this.deps.settings.heartbeatIntervalMs,
    });
    this.#userPresence.opened(connection);
  }

  /**
   * Frames of one connection are handled one at a time, in arrival order, so a client's sends are
   * stored in the order it sent them. A client that piles up more than MAX_PENDING frames is closed.
   */
  #message(ws: ServerWebSocket<SocketData>, raw: string | Buffer) {
    const client = ws.data;
    if (!(client instanceof Client)) return;
    client.lastSeen = Date.now();
    if (++client.pending > MAX_PENDING) {
      this.#closeClient(client, 1008, "too many frames in flight", "abuse");
      return;
    }
    const queue = (client.queue ?? Promise.resolve()).then(() => this.#process(client, raw));
    client.queue = queue.finally(() => this.#settled(client));
  }

  /** One frame or one send's storing is done; with none left in flight the next frame starts a fresh queue. */
  #settled(client: Client) {
    if (--client.pending === 0) client.queue = undefined;
  }

  /**
   * Handles one frame; a send's storing and ack go on after it (FrameHandlers.handle), still counted
   * as pending, so the next frame's send queues right behind it in its room.
   */
  async #process(connection: Client, raw: string | Buffer) {
    if (connection.closed) return;
    // No frame is handled on an expired token, even before the sweep closes the socket.
    if (this.#sessions.expired(connection, Date.now())) return this.#endSession(connection, "token_expired");
    let ref: string | undefined;
    try {
      const frame = decodeFrame(raw, this.deps.settings.maxPayloadBytes);
      ref = frame.ref;
      this.deps.metrics.ws.framesIn.inc({ type: frame.type });
      if (frame.type !== "ping" && frame.type !== "presence.set") this.#userPresence.activity(connection);
      if (isPresenceFrame(frame)) return await this.#userPresence.handle(connection, frame);
      const rest = await this.#handlers.handle(connection, frame);
      if (rest) {
        connection.pending++;
        rest.later.catch((error) => this.#fail(connection, error, ref)).finally(() => this.#settled(connection));
      }
    } catch (error) {
      this.#fail(connection, error, ref);
    }
  }

  /**
   * Answers a failed frame with an error frame; the connection stays open unless the client's errors
   * keep coming. Failures on the server's side (a backend down: `unavailable`) are not the client's
   * abuse and never close it.
   */
  #fail(connection: Connection, error: unknown, ref: string | undefined) {
    let frameError: FrameError;
    const clientFault = error instanceof FrameError || (error instanceof AppError && error.status < 500);
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
    this.#fanout.send(connection, errorFrame(frameError), "error");
    const client = this.#clientOf(connection);
    if (!clientFault || !client) return;
    const { decision, tat } = gcra(client.errorTat, ABUSE_RULE, (this.deps.now ?? Date.now)());
    client.errorTat = tat;
    if (!decision.allowed) this.#closeClient(connection, 1008, "too many invalid frames", "abuse");
  }

  #close(ws: ServerWebSocket<SocketData>) {
    const connection = ws.data;
    if (!(connection instanceof Client) || connection.closed) return;
    connection.markClosed();
    const rooms = this.hub.drop(connection);
    this.#userPresence.closed(connection);
    this.#sessions.remove(connection);
    this.deps.seen?.disconnected(connection.userId);
    this.deps.metrics.ws.connections.dec();
    this.deps.metrics.ws.closed.inc({ reason: connection.closeReason ?? "client" });
    for (const roomId of rooms) void this.#handlers.leftRoom(connection, roomId);
  }

  /** Closes the socket with a code, remembering why (the first reason wins). */
  #closeClient(connection: Connection, code: number, message: string, reason: CloseReason) {
    const client = this.#clientOf(connection);
    if (!client || client.closeReason) return;
    client.closeReason = reason;
    connection.ws.close(code, message);
  }

  /** The gateway's state of a connection it still holds open, or undefined. */
  #clientOf(connection: Connection): Client | undefined {
    return connection instanceof Client && !connection.closed ? connection : undefined;
  }

  /** Closes the local sockets of sessions that ended. */
  #revoked(event: SessionRevoked) {
    for (const connection of this.#sessions.endedBy(event)) this.#endSession(connection, "session_revoked");
  }

  /** Closes the socket with 4001 and the reason (see SESSION_ENDED); it receives nothing more. */
  #endSession(connection: Connection, reason: "token_expired" | "session_revoked") {
    // Nothing more reaches it, not even what is already queued for it.
    for (const roomId of this.hub.drop(connection)) void this.#handlers.leftRoom(connection, roomId);
    this.#closeClient(connection, SESSION_ENDED, reason, reason);
  }

  /**
   * Closes sockets whose access token expired, pings sockets silent for an interval, closes those
   * silent for two, and closes slow consumers.
   */
  #heartbeat() {
    const now = Date.now();
    for (const connection of this.#sessions.expiredBy(now)) this.#endSession(connection, "token_expired");
    const interval = this.deps.settings.heartbeatIntervalMs;
    for (const client of this.#sessions.all()) {
      if (this.#fanout.closeIfSlow(client)) continue;
      const silent = now - client.lastSeen;
      if (silent > 2 * interval) this.#closeClient(client, 1001, "heartbeat timeout", "heartbeat_timeout");
      else if (silent > interval) client.ws.ping();
    }
  }

  #send(connection: Connection, frame: { type: string } & Record<string, unknown>) {
    this.#fanout.send(connection, JSON.stringify(frame), frame.type);
  }
}
