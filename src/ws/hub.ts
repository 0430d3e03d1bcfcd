// The hub: this process's WebSocket connections and the rooms they subscribe to. It holds one bus
// subscription per room with local subscribers (taken with the first, dropped with the last) and
// turns each bus event into one native topic publish, so a fan-out to N sockets costs one bus message
// and one JSON encoding. A socket joins a room's topic, and a recovery reads storage, only once the
// room's bus subscription is confirmed, so nothing published after that is missed.
import type { ServerWebSocket } from "bun";
import { eventMeta, isPositioned, type RoomEvent, roomSubject } from "../domain/events";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Bus, BusHeaders, BusSubscription } from "../ports/bus";

export type Connection = {
  id: string;
  userId: string;
  username: string;
  ws: ServerWebSocket<unknown>;
  /** Rooms whose topic this socket is subscribed to. */
  rooms: Set<string>;
  /** Last time anything arrived from the client (frames or pongs), ms. */
  lastSeen: number;
  /** The frames being handled, in order (see Gateway), and how many are waiting. */
  queue: Promise<void>;
  pending: number;
  /** GCRA state of the abuse limiter (error frames sent). */
  errorTat?: number;
  closed: boolean;
  /** Why the server closed it (for metrics); unset when the client did. */
  closeReason?: "heartbeat_timeout" | "slow_consumer" | "abuse" | "shutdown" | "token_expired" | "session_revoked";
};

/**
 * A subscribe with `since` between registering and replying: live events wait here. `ready` resolves
 * once the room's bus subscription is confirmed (read storage only after it) and rejects when the bus
 * could not confirm it.
 */
export type Recovery = {
  connection: Connection;
  buffer: { raw: string; event: RoomEvent }[];
  cancelled: boolean;
  ready: Promise<void>;
};

type RoomState = {
  /** Sockets in the room; those still waiting for `bus.ready` are not on the topic yet. */
  subscribers: Set<Connection>;
  recoveries: Set<Recovery>;
  bus: BusSubscription;
  lastSlowCheck: number;
  /** Bytes published to the room since its subscribers' buffers were last checked. */
  unchecked: number;
};

/** Event types the gateway forwards to clients as they are; the rest only steer the hub. */
const FORWARDED = new Set([
  "message.created",
  "message.updated",
  "message.deleted",
  "reaction.added",
  "reaction.removed",
  "read",
  "presence",
]);

/** What the hub needs of Bun's server: native topic publish. */
export type TopicServer = { publish(topic: string, data: string): number; subscriberCount(topic: string): number };

export const topicOf = (roomId: string) => `room:${roomId}`;

/**
 * The type of an encoded event read from its start, where chatd's events carry it (`{"type":"...`),
 * or null when it is not there; the event must then be parsed.
 */
const leadingType = (raw: string): string | null => {
  if (!raw.startsWith('{"type":"')) return null;
  const end = raw.indexOf('"', 9);
  return end > 9 ? raw.slice(9, end) : null;
};

export type HubOptions = {
  bus: Bus;
  metrics: Metrics;
  log: Logger;
  maxBufferedBytes: number;
  /** Called when a membership change takes a user's socket out of a room (presence bookkeeping). */
  onRemoved(connection: Connection, roomId: string): void;
};

export class Hub {
  readonly connections = new Map<string, Connection>();
  readonly #rooms = new Map<string, RoomState>();
  #server: TopicServer | undefined;

  constructor(private readonly options: HubOptions) {}

  attach(server: TopicServer) {
    this.#server = server;
  }

  isSubscribed(connection: Connection, roomId: string) {
    return connection.rooms.has(roomId);
  }

  /**
   * Makes sure the room's bus subscription exists; events from when its `ready` resolves reach the
   * room's subscribers and recoveries. When the bus cannot confirm it, the room is forgotten: the
   * sockets waiting to join are out of it and their callers see the rejection.
   */
  #room(roomId: string): RoomState {
    let state = this.#rooms.get(roomId);
    if (!state) {
      const bus = this.options.bus.subscribe(roomSubject(roomId), (_subject, data, headers) =>
        this.#deliver(roomId, data, headers),
      );
      const created: RoomState = { subscribers: new Set(), recoveries: new Set(), bus, lastSlowCheck: 0, unchecked: 0 };
      bus.ready.catch(() => {
        if (this.#rooms.get(roomId) !== created) return;
        this.#rooms.delete(roomId);
        for (const connection of created.subscribers) connection.rooms.delete(roomId);
        for (const recovery of created.recoveries) recovery.cancelled = true;
      });
      state = created;
      this.#rooms.set(roomId, state);
    }
    return state;
  }

  #release(roomId: string) {
    const state = this.#rooms.get(roomId);
    if (state && state.subscribers.size === 0 && state.recoveries.size === 0) {
      state.bus.unsubscribe();
      this.#rooms.delete(roomId);
    }
  }

  /**
   * Subscribes the socket to the room's topic once the room's bus subscription is confirmed: every
   * event published after this resolves reaches it. The socket counts as in the room from the call on
   * (a kick meanwhile removes it). Resolves false when it left the room while waiting (closed, kicked:
   * it has been told); rejects with `unavailable` when the bus could not confirm.
   */
  async subscribe(connection: Connection, roomId: string): Promise<boolean> {
    const state = this.#room(roomId);
    if (!state.subscribers.has(connection)) {
      state.subscribers.add(connection);
      if (state.subscribers.size === 1) this.options.metrics.ws.activeRooms.inc();
    }
    connection.rooms.add(roomId);
    await state.bus.ready;
    if (connection.closed || !connection.rooms.has(roomId)) return false;
    connection.ws.subscribe(topicOf(roomId));
    return true;
  }

  /** Starts a recovery: from now on the room's events are kept for this socket until `finishRecovery`. */
  startRecovery(connection: Connection, roomId: string): Recovery {
    const state = this.#room(roomId);
    const recovery: Recovery = { connection, buffer: [], cancelled: false, ready: state.bus.ready };
    state.recoveries.add(recovery);
    return recovery;
  }

  /**
   * Ends a recovery in one synchronous step: sends `reply` (the subscribed frame), then the events
   * kept meanwhile, skipping those at or before `through` (in `missed`), then subscribes the socket.
   * Nothing can arrive between these steps, so the client gets every message once, in order.
   */
  finishRecovery(recovery: Recovery, roomId: string, reply: string, through: number) {
    const state = this.#rooms.get(roomId);
    state?.recoveries.delete(recovery);
    if (recovery.cancelled || recovery.connection.closed) {
      this.#release(roomId);
      return false;
    }
    const { ws } = recovery.connection;
    ws.send(reply);
    for (const { raw, event } of recovery.buffer) {
      if (isPositioned(event) && event.seq <= through) continue;
      if (event.type === "typing" && event.user_id === recovery.connection.userId) continue;
      ws.send(raw);
    }
    // The recovery waited for the room's bus subscription, so the socket joins the topic at once.
    const room = this.#room(roomId);
    room.subscribers.add(recovery.connection);
    recovery.connection.rooms.add(roomId);
    ws.subscribe(topicOf(roomId));
    return true;
  }

  abortRecovery(recovery: Recovery, roomId: string) {
    this.#rooms.get(roomId)?.recoveries.delete(recovery);
    this.#release(roomId);
  }

  /** Takes the socket out of the room. True when it was subscribed. */
  unsubscribe(connection: Connection, roomId: string): boolean {
    if (!connection.rooms.delete(roomId)) return false;
    if (!connection.closed) connection.ws.unsubscribe(topicOf(roomId));
    const state = this.#rooms.get(roomId);
    if (state?.subscribers.delete(connection) && state.subscribers.size === 0)
      this.options.metrics.ws.activeRooms.dec();
    this.#release(roomId);
    return true;
  }

  /** Forgets a closed connection: its rooms and pending recoveries. Returns the rooms it was in. */
  remove(connection: Connection): string[] {
    connection.closed = true;
    this.connections.delete(connection.id);
    const rooms = [...connection.rooms];
    for (const roomId of rooms) this.unsubscribe(connection, roomId);
    for (const [roomId, state] of this.#rooms) {
      for (const recovery of state.recoveries) if (recovery.connection === connection) recovery.cancelled = true;
      this.#release(roomId);
    }
    return rooms;
  }

  /**
   * A room event from the bus: forward it, or apply a membership change to local sockets. A forwarded
   * event is published as the bus delivered it; it is parsed only when something reads more than its
   * type (a recovery in progress keeps parsed events). A message's creation time comes from the bus
   * headers, for the delivery-latency metric.
   */
  #deliver(roomId: string, data: Uint8Array, headers: BusHeaders | undefined) {
    const state = this.#rooms.get(roomId);
    const server = this.#server;
    if (!state || !server) return;
    const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
    const type = leadingType(raw);
    const meta = headers ? eventMeta(headers) : null;
    const created = meta?.type === "message.created" ? meta.at : undefined;
    if (type !== null && FORWARDED.has(type) && state.recoveries.size === 0) {
      this.#publish(roomId, state, server, raw, type, created);
      return;
    }
    const event = JSON.parse(raw) as RoomEvent;
    for (const recovery of state.recoveries) recovery.buffer.push({ raw, event });

    if (FORWARDED.has(event.type)) {
      this.#publish(roomId, state, server, raw, event.type, created);
      return;
    }
    switch (event.type) {
      case "typing":
        // Not echoed to the typist: the only event sent socket by socket (to those on the topic already).
        for (const connection of state.subscribers) {
          if (connection.userId !== event.user_id && connection.ws.isSubscribed(topicOf(roomId)))
            connection.ws.send(raw);
        }
        this.options.metrics.ws.framesOut.inc({ type: "typing" }, state.subscribers.size);
        return;
      case "member.left":
      case "member.kicked":
      case "member.banned":
        this.#removeUser(roomId, state, event.user_id, event.type.slice("member.".length));
        return;
      case "room.deleted":
        for (const connection of [...state.subscribers]) this.#evict(connection, roomId, "room_deleted");
        for (const recovery of state.recoveries) recovery.cancelled = true;
        return;
    }
  }

  /** One native topic publish: every subscribed socket gets the same bytes. */
  #publish(roomId: string, state: RoomState, server: TopicServer, raw: string, type: string, createdAt?: number) {
    const topic = topicOf(roomId);
    if (createdAt !== undefined && Number.isFinite(createdAt))
      this.options.metrics.ws.delivery.observe(Math.max(0, Date.now() - createdAt) / 1000);
    const started = performance.now();
    server.publish(topic, raw);
    this.options.metrics.ws.fanout.observe((performance.now() - started) / 1000);
    this.options.metrics.ws.framesOut.inc({ type }, server.subscriberCount(topic));
    this.#checkSlowConsumers(state, raw.length);
  }

  /** A user who lost membership stops receiving the room's events at once, on every local socket. */
  #removeUser(roomId: string, state: RoomState, userId: string, reason: string) {
    for (const connection of [...state.subscribers])
      if (connection.userId === userId) this.#evict(connection, roomId, reason);
    for (const recovery of state.recoveries) if (recovery.connection.userId === userId) recovery.cancelled = true;
  }

  #evict(connection: Connection, roomId: string, reason: string) {
    if (!this.unsubscribe(connection, roomId)) return;
    connection.ws.send(JSON.stringify({ type: "unsubscribed", room_id: roomId, reason }));
    this.options.onRemoved(connection, roomId);
  }

  /**
   * Closes subscribers whose unsent data passed the bound. Checked every 100 ms, and whenever half the
   * bound has been published since the last check, so no buffer passes 1.5x the bound unseen (Bun
   * drops a socket outright at 2x).
   */
  #checkSlowConsumers(state: RoomState, bytes: number) {
    const now = performance.now();
    state.unchecked += bytes;
    if (now - state.lastSlowCheck < 100 && state.unchecked < this.options.maxBufferedBytes / 2) return;
    state.lastSlowCheck = now;
    state.unchecked = 0;
    for (const connection of state.subscribers) this.closeIfSlow(connection);
  }

  closeIfSlow(connection: Connection): boolean {
    if (connection.closed || connection.ws.getBufferedAmount() <= this.options.maxBufferedBytes) return false;
    this.options.log.warn("closing slow WebSocket consumer", {
      connection_id: connection.id,
      user_id: connection.userId,
    });
    connection.closeReason = "slow_consumer";
    connection.ws.close(1008, "slow consumer");
    return true;
  }

  /** Drops every bus subscription (shutdown). */
  close() {
    for (const state of this.#rooms.values()) state.bus.unsubscribe();
    this.#rooms.clear();
    this.options.metrics.ws.activeRooms.set(0);
  }
}
