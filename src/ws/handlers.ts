// What each client frame does: subscribe (with recovery), unsubscribe, message.send, typing, read, ping.
// Sends and reads go through the same domain services as REST.
import { AppError } from "../domain/errors";
import type { Messages } from "../domain/messages";
import type { RoomEvents } from "../domain/room-events";
import type { Rooms } from "../domain/rooms";
import type { Timeline } from "../domain/timeline";
import type { Logger } from "../log";
import type { Limiter } from "../ports/limiter";
import type { Presence, PresenceChange } from "../ports/presence";
import type { Connection } from "./connection";
import type { Hub } from "./hub";
import { type ClientFrame, withRef } from "./protocol";

export type FrameHandlerDeps = {
  hub: Hub;
  rooms: Rooms;
  messages: Messages;
  timeline: Timeline;
  limiter: Limiter;
  presence: Presence;
  events: RoomEvents;
  log: Logger;
  send(connection: Connection, frame: { type: string } & Record<string, unknown>): void;
  settings: { recoveryLimit: number };
};

/** What a frame still does after its handler resolved (a send being stored); rejects like the handler. */
export type Later = { later: Promise<void> };

/** One typing event per user and room per this many ms, across processes sharing the limiter. */
const TYPING_INTERVAL_MS = 3000;

export class FrameHandlers {
  constructor(private readonly deps: FrameHandlerDeps) {}

  /**
   * Handles a frame. A `message.send` resolves once the send is queued in its room's order, with
   * `later`: the rest of it (storing, then the ack), which the caller must await or catch; the next
   * frame of the connection may be handled meanwhile and its sends still come after this one.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: the other frames' handlers return Promise<void> or void.
  handle(connection: Connection, frame: ClientFrame): Promise<void | Later> | void {
    switch (frame.type) {
      case "subscribe":
        return this.#subscribe(connection, frame.room_id, frame.since, frame.ref);
      case "unsubscribe":
        return this.#unsubscribe(connection, frame.room_id, frame.ref);
      case "message.send":
        return this.#sendMessage(connection, frame);
      case "typing":
        return this.#typing(connection, frame.room_id);
      case "read":
        return this.#read(connection, frame.room_id, frame.message_id);
      case "ping":
        return this.deps.send(connection, { type: "pong", ...withRef(frame.ref) });
    }
  }

  /**
   * Members only. Without `since`: live from the room's current position on (`seq` in the reply). With
   * `since` (a position or a message id), the reply replays every durable event after it, and live
   * events follow without a duplicate or a gap (Hub.recover): a reconnecting client loses nothing.
   */
  async #subscribe(
    connection: Connection,
    roomId: string,
    since: number | string | undefined,
    ref: string | undefined,
  ) {
    const { hub, rooms, timeline, settings } = this.deps;
    await rooms.membership(connection.userId, roomId);
    const frame = (fields: { missed: unknown[]; recovered: boolean; seq: number }) => ({
      type: "subscribed",
      ...withRef(ref),
      room_id: roomId,
      ...fields,
    });
    const subscribed = (fields: Parameters<typeof frame>[0]) => JSON.stringify(frame(fields));
    const already = hub.isIn(connection, roomId);
    if (since === undefined) {
      if (already) {
        this.deps.send(connection, frame({ missed: [], recovered: false, seq: hub.position(roomId) }));
        return;
      }
      const joined = await hub.join(connection, roomId, (seq) => subscribed({ missed: [], recovered: false, seq }));
      // False: the socket was taken out of the room meanwhile, and has been told why.
      if (joined) await this.#entered(connection, roomId);
      return;
    }
    let recovered: boolean;
    try {
      recovered = await hub.recover(
        connection,
        roomId,
        () => timeline.recover(connection.userId, roomId, since, settings.recoveryLimit),
        (replay) => subscribed({ missed: replay.events, recovered: replay.recovered, seq: replay.through }),
      );
    } catch (error) {
      if (already) await this.leftRoom(connection, roomId);
      throw error;
    }
    if (recovered && !already) await this.#entered(connection, roomId);
  }

  async #unsubscribe(connection: Connection, roomId: string, ref: string | undefined) {
    const was = this.deps.hub.leave(connection, roomId);
    this.deps.send(connection, { type: "unsubscribed", ...withRef(ref), room_id: roomId });
    if (was) await this.leftRoom(connection, roomId);
  }

  async #sendMessage(connection: Connection, frame: Extract<ClientFrame, { type: "message.send" }>): Promise<Later> {
    const { stored } = await this.deps.messages.queueSend(connection.userId, frame.room_id, {
      content: frame.content,
      clientId: frame.client_id,
      replyTo: frame.reply_to,
      threadRoot: frame.thread_root,
      attachmentIds: frame.attachment_ids,
    });
    return {
      later: stored.then(({ message }) => this.deps.send(connection, { type: "ack", ...withRef(frame.ref), message })),
    };
  }

  /** Throttled: extra typing frames within the interval are dropped silently, they are not errors. */
  async #typing(connection: Connection, roomId: string) {
    await this.deps.rooms.membership(connection.userId, roomId);
    const key = `typing:${roomId}:${connection.userId}`;
    const decision = await this.deps.limiter.consume(key, { limit: 1, periodMs: TYPING_INTERVAL_MS });
    if (!decision.allowed) return;
    await this.deps.events.publish({
      type: "typing",
      room_id: roomId,
      user_id: connection.userId,
      username: connection.username,
    });
  }

  async #read(connection: Connection, roomId: string, messageId: string) {
    await this.deps.messages.markRead(connection.userId, roomId, messageId);
  }

  /** Presence: the user's first connection in the room announces them. */
  async #entered(connection: Connection, roomId: string) {
    if ((await this.#presence("enter", connection, roomId)) === "joined") {
      await this.deps.events.publish({
        type: "presence",
        room_id: roomId,
        user_id: connection.userId,
        username: connection.username,
        status: "joined",
      });
    }
  }

  /**
   * Presence: the user's last connection leaving the room (unsubscribe, close, kick) announces it.
   * Never rejects, so close handlers may fire it without waiting.
   */
  async leftRoom(connection: Connection, roomId: string) {
    if ((await this.#presence("leave", connection, roomId)) === "left") {
      await this.deps.events.publish({
        type: "presence",
        room_id: roomId,
        user_id: connection.userId,
        username: connection.username,
        status: "left",
      });
    }
  }

  /**
   * Presence is best effort (the degraded mode in the README): when its backend fails, the frame
   * carries on and no presence event is sent; the adapter converges once the backend is back. Any
   * other failure is a bug, logged as an error, and handled the same way.
   */
  async #presence(change: "enter" | "leave", connection: Connection, roomId: string): Promise<PresenceChange> {
    try {
      return await this.deps.presence[change](roomId, connection.userId, connection.id);
    } catch (error) {
      const fields = { change, room_id: roomId, connection_id: connection.id, error };
      if (error instanceof AppError && error.retryable)
        this.deps.log.warn("presence unavailable; no event sent", fields);
      else this.deps.log.error("presence failed; no event sent", fields);
      return "unchanged";
    }
  }
}
