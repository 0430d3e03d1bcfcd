// The live connection a client keeps: one gateway socket at a time, reopened with backoff and jitter
// when it drops, with a fresh token after close 4001 token_expired; heartbeats that find a dead
// connection; every followed room resubscribed with `since` its last position, so each durable event
// is delivered once and in `seq` order across reconnects; and sends that survive a reconnect (the
// same `client_id` is sent again until an ack comes, and chatd stores it once).
import { type BackoffOptions, backoffDelay } from "./backoff";
import { Emitter } from "./emitter";
import { ChatdError, SessionEndedError } from "./errors";
import { Outbox, type SendOptions } from "./outbox";
import { type Closed, GatewaySocket, SocketClosedError, type SocketOptions } from "./socket";
import { type Subscription, Subscriptions } from "./subscriptions";
import type { DurableEvent, Hello, Message, RoomEventType, ServerFrame, ServerFrames, Subscribed } from "./types";
import { Wake } from "./wake";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "offline" | "closed";

export type RealtimeEvents = { [K in RoomEventType]: ServerFrames[K] } & {
  state: ConnectionState;
  hello: Hello;
  subscribed: Subscribed;
  /** The server ended a subscription (kicked, banned, left, room deleted). */
  unsubscribed: ServerFrames["unsubscribed"];
  /** An error frame that answers no request of the SDK's (e.g. a refused typing frame). */
  error: ServerFrames["error"];
  /** A message mentions the user (whatever rooms are followed). */
  mention: ServerFrames["mention"];
  /** A socket closed (the connection is reopened unless the session ended or disconnect was called). */
  closed: Closed;
};

/** What the connection needs of the session (session.ts). */
export interface RealtimeSession {
  accessToken(): Promise<string | null>;
  /** `token` expired: a fresh one (refreshed unless already), or null when the session is over. */
  rejected(token: string): Promise<string | null>;
  end(reason: "session_revoked"): void;
}

export type RealtimeOptions = SocketOptions & {
  baseUrl: string;
  session: RealtimeSession;
  /**
   * Called before reconnecting after a socket that failed before `hello` (an upgrade refused with
   * 401 looks like any failed connection to a browser): an authenticated request, which refreshes the
   * token on 401 and ends the session when that fails.
   */
  probe?: () => Promise<unknown>;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Closes the socket on the platform's `offline` event and reconnects on `online` (default: where they exist). */
  watchNetwork?: boolean;
  /** A connection without `hello` within this long is given up and retried. Default 10 s. */
  connectTimeoutMs?: number;
};

const TYPING_EVERY_MS = 2500;

type NetworkTarget = {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
};
const network = (): { target: NetworkTarget; online: () => boolean } | null => {
  const scope = globalThis as { navigator?: { onLine?: boolean }; addEventListener?: unknown; document?: unknown };
  if (typeof scope.addEventListener !== "function" || typeof scope.navigator?.onLine !== "boolean" || !scope.document)
    return null;
  return { target: scope as unknown as NetworkTarget, online: () => scope.navigator?.onLine !== false };
};

export class Realtime {
  readonly events = new Emitter<RealtimeEvents>();
  readonly #subs = new Subscriptions();
  readonly #outbox = new Outbox(
    (socket) => this.#socket === socket,
    (tries) => backoffDelay(tries, this.options.backoff, this.options.random),
  );
  readonly #typedAt = new Map<string, number>();
  readonly #wake = new Wake();
  readonly #network: ReturnType<typeof network>;
  #state: ConnectionState = "idle";
  #socket: GatewaySocket | null = null;
  #running = false;
  #stopped = false;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: RealtimeOptions) {
    this.#network = options.watchNetwork === false ? null : network();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Messages sent and not yet acknowledged, oldest first. */
  get pending(): readonly { roomId: string; content: string; clientId: string }[] {
    return this.#outbox.pending;
  }

  /** Starts (or keeps) the connection; it is reopened until `disconnect` or the session's end. */
  connect() {
    this.#stopped = false;
    if (this.#running) return this.#wake.wake();
    this.#running = true;
    this.#network?.target.addEventListener("offline", this.#offline);
    this.#network?.target.addEventListener("online", this.#online);
    void this.#loop();
  }

  /** Closes the connection and forgets the followed rooms; unacknowledged sends are rejected. */
  disconnect() {
    this.#stopped = true;
    this.#wake.wake();
    this.#socket?.close(1000, "client disconnect");
    const gone = new Error("disconnected");
    this.#outbox.rejectAll(gone);
    for (const subscription of this.#subs.all()) {
      this.#subs.drop(subscription.roomId);
      for (const waiter of subscription.waiters.splice(0)) waiter.reject(gone);
    }
    this.#network?.target.removeEventListener("offline", this.#offline);
    this.#network?.target.removeEventListener("online", this.#online);
  }

  /**
   * Follows a room: its events are emitted from now on, and after every reconnect it is resubscribed
   * from the last position seen. With `since` (the seq of the newest event the caller already has, e.g.
   * of the newest message of a history page), the events after it are replayed first. Resolves with the
   * first complete `subscribed`; rejects when the server refuses (not a member).
   */
  subscribe(roomId: string, options: { since?: number } = {}): Promise<Subscribed> {
    const subscription = this.#subs.want(roomId, options.since);
    const done = new Promise<Subscribed>((resolve, reject) => subscription.waiters.push({ resolve, reject }));
    if (this.#socket?.isOpen && !subscription.syncing) this.#subscribe(subscription, this.#socket);
    return done;
  }

  unsubscribe(roomId: string) {
    if (!this.#subs.drop(roomId)) return;
    if (this.#socket?.isOpen) this.#socket.send({ type: "unsubscribe", room_id: roomId });
  }

  /** The last position seen in a followed room (null before its first `subscribed`). */
  position(roomId: string): number | null {
    return this.#subs.get(roomId)?.position ?? null;
  }

  /**
   * Sends a message; resolves with it as stored. Until an ack comes it is sent again on every
   * reconnect with the same `client_id`, so it is stored once however often the connection drops.
   */
  send(roomId: string, content: string, options: SendOptions = {}): Promise<Message> {
    const open = this.#socket?.isOpen && this.#state === "open" ? this.#socket : null;
    return this.#outbox.add(roomId, content, options, open);
  }

  /** Tells the room the user is typing (at most every 2.5 s per room; dropped while disconnected). */
  typing(roomId: string) {
    const now = Date.now();
    if (!this.#socket?.isOpen || now - (this.#typedAt.get(roomId) ?? 0) < TYPING_EVERY_MS) return;
    this.#typedAt.set(roomId, now);
    this.#socket.send({ type: "typing", room_id: roomId });
  }

  #setState(state: ConnectionState) {
    if (state === this.#state) return;
    this.#state = state;
    this.events.emit("state", state);
  }

  async #loop() {
    let attempt = 0;
    let failedBeforeHello = false;
    while (!this.#stopped) {
      if (this.#network && !this.#network.online()) {
        this.#setState("offline");
        await this.#wake.wait();
        continue;
      }
      this.#setState(attempt === 0 && !failedBeforeHello ? "connecting" : "reconnecting");
      try {
        if (failedBeforeHello) await this.options.probe?.();
        const token = await this.options.session.accessToken();
        if (!token) throw new SessionEndedError("logged_out");
        if (this.#stopped) break;
        const socket = GatewaySocket.open(this.options.baseUrl, token, this.options);
        this.#socket = socket;
        const timeout = setTimeout(() => socket.close(4000, "no hello"), this.options.connectTimeoutMs ?? 10_000);
        const hello = await socket.hello.finally(() => clearTimeout(timeout));
        attempt = 0;
        failedBeforeHello = false;
        this.#opened(socket, hello);
        const closed = await socket.closed;
        this.#closed(closed);
        if (closed.code === 4001 && closed.reason === "session_revoked") {
          this.options.session.end("session_revoked");
          break;
        }
        if (closed.code === 4001) {
          // token_expired: reconnect at once with a fresh token (refreshed now unless already).
          if (!(await this.options.session.rejected(token))) break;
          continue;
        }
      } catch (error) {
        this.#socket = null;
        if (error instanceof SessionEndedError) break;
        if (error instanceof SocketClosedError) failedBeforeHello = true;
      }
      if (this.#stopped) break;
      await this.#wake.sleep(backoffDelay(attempt++, this.options.backoff, this.options.random));
    }
    this.#running = false;
    this.#socket = null;
    this.#setState("closed");
  }

  #opened(socket: GatewaySocket, hello: Hello) {
    socket.onFrame((frame) => this.#frame(frame));
    const interval = hello.heartbeat_interval_ms;
    // Quiet sockets ping; one silent for two intervals is dead (the network may never say so).
    this.#heartbeat = setInterval(
      () => {
        const silent = Date.now() - socket.lastFrameAt;
        if (silent > 2 * interval) socket.close(4000, "heartbeat timeout");
        else if (silent >= interval / 2) socket.send({ type: "ping" });
      },
      Math.max(50, interval / 4),
    );
    this.#setState("open");
    this.events.emit("hello", hello);
    for (const subscription of this.#subs.all()) this.#subscribe(subscription, socket);
    this.#outbox.flush(socket);
  }

  #closed(closed: Closed) {
    clearInterval(this.#heartbeat);
    this.#socket = null;
    for (const subscription of this.#subs.all()) subscription.syncing = false;
    this.events.emit("closed", closed);
  }

  #subscribe(subscription: Subscription, socket: GatewaySocket) {
    subscription.syncing = true;
    const since = subscription.position;
    socket.request({ type: "subscribe", room_id: subscription.roomId, ...(since !== null ? { since } : {}) }).then(
      (reply) => {
        if (this.#socket !== socket || this.#subs.get(subscription.roomId) !== subscription) return;
        if (reply.type === "subscribed") return this.#replayed(subscription, reply, since !== null, socket);
        if (reply.type !== "error") return;
        if (reply.code === "unavailable" || reply.code === "rate_limited") {
          const delay = reply.retry_after_ms ?? backoffDelay(0, this.options.backoff, this.options.random);
          setTimeout(() => this.#socket === socket && socket.isOpen && this.#subscribe(subscription, socket), delay);
          return;
        }
        this.#subs.drop(subscription.roomId);
        const error = new ChatdError(0, reply.code, reply.message);
        for (const waiter of subscription.waiters.splice(0)) waiter.reject(error);
        this.events.emit("error", reply);
      },
      () => undefined, // the socket closed: every followed room is resubscribed on the next one
    );
  }

  #replayed(subscription: Subscription, reply: Subscribed, withSince: boolean, socket: GatewaySocket) {
    const { events, complete } = this.#subs.replayed(subscription, reply, withSince);
    for (const event of events) this.#emitEvent(event);
    if (!complete) return this.#subscribe(subscription, socket);
    subscription.syncing = false;
    for (const waiter of subscription.waiters.splice(0)) waiter.resolve(reply);
    this.events.emit("subscribed", reply);
  }

  #frame(frame: ServerFrame) {
    switch (frame.type) {
      case "hello":
      case "subscribed":
      case "ack":
      case "pong":
        return;
      case "error":
        if (frame.ref === undefined) this.events.emit("error", frame);
        return;
      case "unsubscribed":
        if (frame.reason && this.#subs.drop(frame.room_id)) this.events.emit("unsubscribed", frame);
        return;
      case "mention":
        this.events.emit("mention", frame);
        return;
      case "typing":
      case "presence":
      case "read":
        if (this.#subs.get(frame.room_id)) this.events.emit(frame.type, frame as never);
        return;
      default: {
        const verdict = this.#subs.accept(frame);
        if (verdict === "apply") this.#emitEvent(frame);
        else if (verdict === "gap" && this.#socket) this.#subscribe(this.#subs.get(frame.room_id)!, this.#socket);
      }
    }
  }

  #emitEvent(event: DurableEvent) {
    this.events.emit(event.type, event as never);
  }

  readonly #offline = () => this.#socket?.close(4000, "offline");
  readonly #online = () => this.#wake.wake();
}
