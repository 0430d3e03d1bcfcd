// Recording and publishing room events: a durable event is stored at the room's next position first,
// then appended to the indexer's feed (when search is on), then published with it; ephemeral events
// are only published. Changes and their records run one at a
// time per room in this process, so this process publishes a room's events in position order (other
// processes may interleave; subscribers order by position, see ws/room-feed.ts).
import type { Logger } from "../log";
import type { Bus } from "../ports/bus";
import type { RoomLogStore } from "../ports/room-log";
import type { EventFeed } from "./event-feed";
import {
  type DurableEvent,
  type EphemeralEvent,
  encodeEvent,
  type PositionedEvent,
  type RoomEvent,
  roomSubject,
} from "./events";
import { KeyedSerializer } from "./serial";

export type RoomEventsDeps = {
  store: RoomLogStore;
  bus: Bus;
  /** Where durable events go for the search indexer; none when search is off. */
  feed?: EventFeed | null;
  log: Logger;
};

export class RoomEvents {
  readonly #perRoom = new KeyedSerializer();

  constructor(private readonly deps: RoomEventsDeps) {}

  /** Runs a change and the recording of its event one at a time per room (in this process). */
  inOrder<T>(roomId: string, task: () => Promise<T>): Promise<T> {
    return this.#perRoom.run(roomId, task);
  }

  /**
   * Like inOrder for a group: `item` joins the room's last queued group of `kind` when nothing else
   * was queued after it (up to `limit` items), and `task` runs once for the whole group, in the group's
   * turn, settling each item (KeyedSerializer.runGrouped).
   */
  inOrderGrouped<I, R>(
    roomId: string,
    kind: string,
    limit: number,
    item: I,
    task: (items: I[]) => Promise<PromiseSettledResult<R>[]>,
  ): Promise<R> {
    return this.#perRoom.runGrouped(roomId, kind, limit, item, task);
  }

  /**
   * Stores the event at the room's next position, then publishes it. A storage failure throws (the
   * event has no position and is not published); a bus failure is logged, since the event is stored and
   * subscribers repair gaps from the log.
   */
  async record(event: DurableEvent): Promise<PositionedEvent> {
    const { seq: _ignored, ...bare } = event as DurableEvent & { seq?: number };
    const seq = await this.deps.store.appendEvent(event.room_id, event.type, JSON.stringify(bare));
    const positioned = { ...bare, seq } as PositionedEvent;
    await this.publish(positioned);
    return positioned;
  }

  /**
   * Publishes an event that has its position already (a new message) or needs none. A durable event
   * is on the indexer's feed first (awaited, see event-feed.ts), so whatever a subscriber sees is on
   * the stream. Never rejects.
   */
  publish = async (event: PositionedEvent | EphemeralEvent): Promise<void> => {
    // A new message's `at` is when it was sent, so delivery latency counts from there.
    const at = event.type === "message.created" ? Date.parse(event.message.created_at) : Date.now();
    const { data, headers } = encodeEvent(event as RoomEvent, at);
    if (this.deps.feed && "seq" in event) await this.deps.feed.append(event.room_id, event.seq, data);
    try {
      await this.deps.bus.publish(roomSubject(event.room_id), data, headers);
    } catch (error) {
      this.deps.log.error("event not published", { type: event.type, room_id: event.room_id, error });
    }
  };
}
