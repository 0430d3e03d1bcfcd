// The hub: which of this process's sockets are in which room, one feed per room with local sockets
// (taken with the first, dropped with the last), and what happens to each event the feed delivers in
// position order: a topic publish, an eviction, a recovery's buffer. Joining a room and recovering
// into it are single synchronous steps once storage has answered, so a socket gets every event once.
import type { Recovery as Replay } from "../domain/timeline";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Bus } from "../ports/bus";
import type { Connection } from "./connection";
import type { Fanout, Topic } from "./fanout";
import { type Delivery, type FeedSource, RoomFeed } from "./room-feed";

export type HubOptions = {
  bus: Bus;
  source: FeedSource;
  fanout: Fanout;
  metrics: Metrics;
  log: Logger;
  /** The bus subject of a room's events. */
  subjectOf(roomId: string): string;
  /** A socket taken out of a room by a membership change (presence bookkeeping). */
  onEvicted(connection: Connection, roomId: string): void;
};

/** A subscribe with `since` between its start and its reply: what the feed delivers meanwhile. */
type PendingRecovery = { connection: Connection; buffer: Delivery[]; cancelled: boolean };

/** A room with local sockets: its feed, its sockets (the fan-out's Topic: one entry per socket), its recoveries. */
type Room = { feed: RoomFeed; topic: Topic; recoveries: Set<PendingRecovery> };

/** Why a socket was taken out of a room, as the `unsubscribed` frame says it. */
const EVICTIONS: Record<string, string> = {
  "member.left": "left",
  "member.kicked": "kicked",
  "member.banned": "banned",
};

export class Hub {
  readonly #rooms = new Map<string, Room>();
  readonly #stopResume: () => void;

  constructor(private readonly options: HubOptions) {
    this.#stopResume = options.bus.onResume(() => {
      for (const room of this.#rooms.values()) room.feed.resume();
    });
  }

  isIn(connection: Connection, roomId: string): boolean {
    const rooms = connection.rooms;
    return rooms === roomId || (typeof rooms === "object" && rooms.has(roomId));
  }

  /** The room's last delivered position, as far as this process knows (0 when it has no feed). */
  position(roomId: string): number {
    return Math.max(0, this.#rooms.get(roomId)?.feed.position ?? 0);
  }

  /**
   * Puts the socket in the room live, from the feed's current position on: once the room's feed is
   * ready, it sends `reply(position)` and joins the topic in one step. The socket counts as in the room
   * from the call (a kick meanwhile takes it out). False when it was taken out while waiting; rejects
   * (and leaves it out) when the feed could not start (bus or storage down).
   */
  async join(connection: Connection, roomId: string, reply: (position: number) => string): Promise<boolean> {
    const room = this.#room(roomId);
    this.#enter(connection, roomId, room);
    try {
      await room.feed.ready;
    } catch (error) {
      this.leave(connection, roomId);
      throw error;
    }
    if (connection.closed || !this.isIn(connection, roomId)) return false;
    this.options.fanout.send(connection, reply(room.feed.position), "subscribed");
    this.options.fanout.join(connection, room.topic);
    return true;
  }

  /**
   * Recovery: takes the socket off the topic (events wait in a buffer from here on), reads what it
   * missed once the feed is ready, waits until the feed has delivered at least that far, then in one
   * step sends `reply(replay)`, the buffered events after the replay, and joins the topic. False when
   * the socket was taken out meanwhile; rejects (the socket out of the room) when the read fails.
   */
  async recover(
    connection: Connection,
    roomId: string,
    read: () => Promise<Replay>,
    reply: (replay: Replay) => string,
  ): Promise<boolean> {
    const room = this.#room(roomId);
    const pending: PendingRecovery = { connection, buffer: [], cancelled: false };
    room.recoveries.add(pending);
    this.options.fanout.pause(connection, room.topic);
    this.#enter(connection, roomId, room);
    let replay: Replay;
    try {
      await room.feed.ready;
      replay = await read();
      if (replay.recovered) await room.feed.through(replay.through);
    } catch (error) {
      room.recoveries.delete(pending);
      this.leave(connection, roomId);
      throw error;
    }
    room.recoveries.delete(pending);
    if (pending.cancelled || connection.closed || !this.isIn(connection, roomId)) {
      this.#release(roomId);
      return false;
    }
    const { fanout } = this.options;
    fanout.send(connection, reply(replay), "subscribed");
    for (const delivery of pending.buffer) {
      if (delivery.seq !== null && delivery.seq <= replay.through) continue;
      if (delivery.type === "typing" && delivery.user === connection.userId) continue;
      fanout.send(connection, delivery.raw, delivery.type);
    }
    fanout.join(connection, room.topic);
    return true;
  }

  /** Takes the socket out of the room. True when it was in. */
  leave(connection: Connection, roomId: string): boolean {
    const rooms = connection.rooms;
    if (rooms === roomId) connection.rooms = undefined;
    else if (typeof rooms !== "object" || !rooms.delete(roomId)) return false;
    else if (rooms.size === 0) connection.rooms = undefined;
    const room = this.#rooms.get(roomId);
    if (room) this.options.fanout.exit(connection, room.topic);
    for (const pending of room?.recoveries ?? []) if (pending.connection === connection) pending.cancelled = true;
    this.#release(roomId);
    return true;
  }

  /** Forgets a closed socket; returns the rooms it was in. */
  drop(connection: Connection): string[] {
    const held = connection.rooms;
    const rooms = held === undefined ? [] : typeof held === "string" ? [held] : [...held];
    for (const roomId of rooms) this.leave(connection, roomId);
    return rooms;
  }

  /** Drops every feed (shutdown). */
  close() {
    this.#stopResume();
    for (const room of this.#rooms.values()) {
      room.feed.close();
      for (const connection of room.topic.sockets) connection.rooms = undefined;
    }
    this.#rooms.clear();
    this.options.metrics.ws.activeRooms.set(0);
  }

  #enter(connection: Connection, roomId: string, room: Room) {
    this.options.fanout.enter(connection, room.topic);
    const rooms = connection.rooms;
    if (rooms === undefined) connection.rooms = roomId;
    else if (typeof rooms === "object") rooms.add(roomId);
    else if (rooms !== roomId) connection.rooms = new Set([rooms, roomId]);
  }

  #room(roomId: string): Room {
    let room = this.#rooms.get(roomId);
    if (!room) {
      const feed = new RoomFeed(roomId, {
        bus: this.options.bus,
        source: this.options.source,
        log: this.options.log,
        subject: this.options.subjectOf(roomId),
        deliver: (delivery) => this.#deliver(roomId, delivery),
      });
      room = { feed, topic: this.options.fanout.topic(roomId), recoveries: new Set() };
      this.#rooms.set(roomId, room);
      this.options.metrics.ws.activeRooms.set(this.#rooms.size);
      // A feed that cannot start is dropped, so the next subscribe starts afresh.
      const created = room;
      feed.ready.catch(() => {
        if (this.#rooms.get(roomId) !== created) return;
        for (const connection of [...created.topic.sockets]) this.leave(connection, roomId);
        this.#drop(roomId, created);
      });
    }
    return room;
  }

  #release(roomId: string) {
    const room = this.#rooms.get(roomId);
    if (room && room.topic.sockets.size === 0 && room.recoveries.size === 0) this.#drop(roomId, room);
  }

  #drop(roomId: string, room: Room) {
    room.feed.close();
    this.#rooms.delete(roomId);
    this.options.metrics.ws.activeRooms.set(this.#rooms.size);
  }

  /** An event in position order: to recoveries in progress, then to the sockets in the room. */
  #deliver(roomId: string, delivery: Delivery) {
    const room = this.#rooms.get(roomId);
    if (!room) return;
    for (const pending of room.recoveries) pending.buffer.push(delivery);
    const { fanout } = this.options;
    const eviction = EVICTIONS[delivery.type];
    if (eviction && delivery.user) {
      // The user's sockets are out first: a kicked user gets `unsubscribed`, not the event.
      for (const connection of [...room.topic.sockets])
        if (connection.userId === delivery.user) this.#evict(connection, roomId, eviction);
      fanout.publish(room.topic, delivery.raw, delivery.type);
      return;
    }
    switch (delivery.type) {
      case "typing":
        fanout.publishExcept(room.topic, delivery.raw, delivery.type, delivery.user ?? "");
        return;
      case "room.deleted":
        fanout.publish(room.topic, delivery.raw, delivery.type);
        for (const connection of [...room.topic.sockets]) this.#evict(connection, roomId, "room_deleted");
        for (const pending of room.recoveries) pending.cancelled = true;
        return;
      case "message.created":
        fanout.publish(room.topic, delivery.raw, delivery.type, delivery.at);
        return;
      default:
        fanout.publish(room.topic, delivery.raw, delivery.type);
    }
  }

  #evict(connection: Connection, roomId: string, reason: string) {
    if (!this.leave(connection, roomId)) return;
    this.options.fanout.send(
      connection,
      JSON.stringify({ type: "unsubscribed", room_id: roomId, reason }),
      "unsubscribed",
    );
    this.options.onEvicted(connection, roomId);
  }
}
