// A room's durable events by position, as subscribers receive them: the one domain answer to "what
// happened in this room after position p" — for a client recovering after a reconnect, and for a
// WebSocket process repairing a gap in what the bus delivered.

import type { MessageStore } from "../ports/messages";
import type { RoomLogStore } from "../ports/room-log";
import type { PositionedEvent } from "./events";
import { isMessageId } from "./ids";
import type { Messages } from "./messages";
import type { Rooms } from "./rooms";

export type TimelineDeps = { store: RoomLogStore & MessageStore; rooms: Rooms; messages: Messages };

/** What a subscribe with `since` answers: the events after it, and whether that is all of them. */
export type Recovery = { events: PositionedEvent[]; recovered: boolean; through: number };

export class Timeline {
  constructor(private readonly deps: TimelineDeps) {}

  /** The room's last position (0: none yet). */
  head(roomId: string): Promise<number> {
    return this.deps.store.headPosition(roomId);
  }

  /**
   * The events after position `after`, oldest first, at most `limit`, with no gap. A message.created
   * carries the message as it is now, exactly as history shows it (edits, tombstone, reactions with
   * `me` for `viewerId`; all false when null), so a replay and a page of history never disagree; every
   * other event is as it was published.
   */
  async after(roomId: string, after: number, limit: number, viewerId: string | null): Promise<PositionedEvent[]> {
    const entries = await this.deps.store.readLog(roomId, after, limit);
    const records = entries.flatMap((entry) => (entry.message ? [entry.message] : []));
    const views = new Map(
      (await this.deps.messages.views(roomId, records, viewerId)).map((view) => [view.id, view] as const),
    );
    return entries.map((entry): PositionedEvent => {
      if (entry.type === "message.created" && entry.message) {
        const message = views.get(entry.message.id);
        return { type: "message.created", room_id: roomId, message: message!, seq: entry.position };
      }
      return { ...(JSON.parse(entry.payload ?? "{}") as object), seq: entry.position } as PositionedEvent;
    });
  }

  /**
   * For a member of the room: the events after `since` — a position, or a message id meaning after
   * that message's position — up to `limit`, and whether that is all of them. A message id the room
   * does not have, or one stored before positions existed, cannot be placed, and a position past the
   * room's head was never seen (positions are stored before anyone hears of them): nothing is replayed
   * and `recovered` is false (the client reloads history). Waiting for such a position instead would
   * hold the subscriber until the room reached it.
   */
  async recover(userId: string, roomId: string, since: number | string, limit: number): Promise<Recovery> {
    await this.deps.rooms.membership(userId, roomId);
    const from = await this.#position(roomId, since);
    const head = await this.head(roomId);
    if (from === null || from > head) return { events: [], recovered: false, through: head };
    const events = await this.after(roomId, from, limit + 1, userId);
    const replay = events.slice(0, limit);
    return {
      events: replay,
      recovered: events.length <= limit,
      through: replay.at(-1)?.seq ?? Math.max(from, 0),
    };
  }

  async #position(roomId: string, since: number | string): Promise<number | null> {
    if (typeof since === "number") return since;
    if (!isMessageId(since)) return null;
    const message = await this.deps.store.getMessage(roomId, since);
    return message && message.seq > 0 ? message.seq : null;
  }
}
