// The search indexer: a durable consumer of the event stream (`chat.events.>`, fed by event-feed.ts)
// that keeps the search index in step with storage. Role `indexer` runs it against JetStream; role
// `all` runs the same code in-process. Only the adapters differ.
//
// Per room it applies events in position order: an event at or below the room's indexed position is
// a duplicate (acked, nothing done); one that leaves a gap (an event that never reached the stream, or
// that the stream dropped) makes it read the missing positions from the room's log first, so nothing
// is lost for long. It acks a message only once the index took every change up to it; what the index
// refused is handed back and comes again.
//
// The watermark (`indexed_through`): a time W such that every message created (or edited) at or
// before W is searchable. Every event is on the stream before anyone sees it (event-feed.ts), stored
// with the stream's timestamp; W is, minus GRACE_MS: the time the consumer name was seen caught up
// (no message waiting or unacked), else just before the oldest message not acked under its name, as
// the stream reports it (so a crashed indexer's unacked messages hold W back too). GRACE_MS covers
// the time between an event's own time (created_at) and its append; an event appended later than that
// (a stalled store, a NATS outage) may become searchable after W passed it: the indexer counts those
// (late events). W never moves back; it is stored in the index after a flush made the documents
// visible, so every api process reads the same one.
import type { Logger } from "../log";
import type { RoomLogStore } from "../ports/room-log";
import type { RoomState, SearchIndex } from "../ports/search";
import type { EventStream, StreamConsumer, StreamMessage } from "../ports/stream";
import { effectOfEvent, type IndexEffect, indexFromLog, LOG_PAGE } from "./search-documents";

/** The durable consumer's name on the stream. */
export const INDEXER_CONSUMER = "chatd-indexer";
/** How long after its own time an event may reach the stream and still be covered by the watermark. */
export const GRACE_MS = 1000;
const TICK_MS = 500;
const BATCH = 500;
/**
 * After a batch smaller than BATCH, the wait before taking the next, so that under a steady flow of
 * sends a batch holds what arrived meanwhile instead of one event: each batch is one index write (one
 * SQLite transaction, whose FTS5 segment flush cost as much as the send itself; one OpenSearch bulk
 * request). The first event after a quiet moment is indexed at once; later ones wait at most this.
 */
export const LINGER_MS = 50;
const decoder = new TextDecoder();
/** Room states remembered between batches (the indexer is the index's writer; see #statesOf). */
const STATE_CACHE = 100_000;

/** What the indexer reports (metrics); every method is optional to call and cheap. */
export type IndexerObserver = {
  batch(seconds: number, documents: number): void;
  lag(messages: number): void;
  repair(): void;
  late(): void;
  watermark(ms: number): void;
};

export type IndexerDeps = {
  stream: EventStream;
  index: SearchIndex;
  store: RoomLogStore;
  log: Logger;
  observer?: IndexerObserver;
  /**
   * Index every room whose log is ahead of the index before consuming: for an in-process stream,
   * which starts empty after a restart (what it held is gone).
   */
  sweepOnStart?: boolean;
  now?: () => number;
};

type Decoded = { message: StreamMessage; roomId: string; effect: IndexEffect; at: number | null };

export class Indexer {
  readonly #now: () => number;
  #consumer: StreamConsumer | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #watermark = 0;
  /**
   * What the index holds per room, as this process last wrote or read it. Only the indexer moves
   * positions forward, and a reindex that resets one also indexes the room up to its head, so a
   * remembered position is never ahead of what is indexed for long; deletion is final.
   */
  readonly #states = new Map<string, RoomState>();
  #tick: Promise<void> | null = null;
  #running: Promise<void> = Promise.resolve();
  /** Ends a retry wait early (stop). */
  #wake: () => void = () => {};
  #stopped = false;

  constructor(private readonly deps: IndexerDeps) {
    this.#now = deps.now ?? Date.now;
  }

  /**
   * Reads the stored watermark and starts in the background: the sweep (when asked for), then the
   * consumer and the watermark timer. A failed start is retried until it works or stop() is called.
   */
  async start() {
    this.#watermark = (await this.deps.index.watermark())?.getTime() ?? 0;
    this.#running = this.#run();
  }

  async #run() {
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        if (this.deps.sweepOnStart) await this.sweep();
        if (this.#stopped) return;
        this.#consumer = await this.deps.stream.consume(INDEXER_CONSUMER, (messages) => this.#handle(messages), {
          batch: BATCH,
          // After a crash, what the dead process held comes again after this. A batch that repairs a
          // large gap may take longer and be delivered again meanwhile: harmless (positions).
          ackWaitMs: 30_000,
          retryDelayMs: 1000,
        });
        if (this.#stopped) await this.#consumer.stop();
        else this.#timer = setInterval(() => void this.tick(), TICK_MS);
        return;
      } catch (error) {
        const wait = Math.min(30_000, 500 * 2 ** attempt);
        this.deps.log.error("indexer could not start; retrying", { wait_ms: wait, error });
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, wait);
        });
      }
    }
  }

  /** Every room whose head is past the index's position, indexed from its log. */
  async sweep() {
    let cursor: string | null = null;
    let repaired = 0;
    do {
      const page = await this.deps.store.scanRooms(cursor, LOG_PAGE);
      const states = await this.deps.index.rooms(page.rooms.map((room) => room.roomId));
      for (const { roomId, head } of page.rooms) {
        if (this.#stopped) return;
        const state = states.get(roomId);
        if (state?.deleted || (state?.position ?? 0) >= head) continue;
        await indexFromLog(this.deps, roomId, state?.position ?? 0, head);
        repaired++;
      }
      cursor = page.next;
    } while (cursor !== null && !this.#stopped);
    if (repaired > 0) this.deps.log.info("search index caught up with storage", { rooms: repaired });
  }

  async #handle(messages: StreamMessage[]) {
    const started = performance.now();
    const byRoom = new Map<string, Decoded[]>();
    for (const message of messages) {
      const decoded = this.#decode(message);
      if (!decoded) {
        await message.ack();
        continue;
      }
      byRoom.set(decoded.roomId, [...(byRoom.get(decoded.roomId) ?? []), decoded]);
    }
    const states = await this.#statesOf([...byRoom.keys()]);
    const changes: Parameters<SearchIndex["apply"]>[0] = [];
    const positions = new Map<string, number>();
    const deletions: { roomId: string; seq: number }[] = [];
    let documents = 0;
    for (const [roomId, events] of byRoom) {
      const state = states.get(roomId) ?? { position: 0, deleted: false };
      if (state.deleted) continue;
      const fresh = events.filter((e) => e.effect.seq > state.position).sort((a, b) => a.effect.seq - b.effect.seq);
      const target = fresh.at(-1)?.effect.seq;
      if (target === undefined) continue;
      // The watermark already covers this event's time: someone may have searched for it in vain.
      for (const e of fresh) if (e.at !== null && e.at <= this.#watermark) this.deps.observer?.late();
      const contiguous = fresh.every((e, i) => e.effect.seq === state.position + 1 + i);
      if (!contiguous) {
        // A gap: read what is missing from the room's log (it records its progress itself).
        this.deps.observer?.repair();
        const repaired = await indexFromLog(this.deps, roomId, state.position, target).catch((error) => {
          this.#states.delete(roomId);
          throw error;
        });
        this.#remember(roomId, { position: repaired.position, deleted: repaired.deleted });
        documents += repaired.changes;
        if (repaired.deleted || repaired.position >= target) continue;
        this.deps.log.warn("room log ends before the stream's events; applying them as they came", {
          room_id: roomId,
          log: repaired.position,
          stream: target,
        });
      }
      const deleted = fresh.find((e) => e.effect.kind === "room_deleted");
      if (deleted) {
        deletions.push({ roomId, seq: deleted.effect.seq });
        continue;
      }
      for (const e of fresh) if (e.effect.kind === "change") changes.push(e.effect.change);
      positions.set(roomId, target);
    }
    let failed: Set<string>;
    try {
      ({ failed } = await this.deps.index.apply(changes, positions));
      for (const { roomId, seq } of deletions) {
        await this.deps.index.deleteRoom(roomId, seq);
        this.#remember(roomId, { position: seq, deleted: true });
      }
    } catch (error) {
      for (const roomId of byRoom.keys()) this.#states.delete(roomId);
      throw error;
    }
    for (const [roomId, position] of positions)
      if (failed.has(roomId)) this.#states.delete(roomId);
      else this.#remember(roomId, { position, deleted: false });
    documents += changes.length + deletions.length;
    for (const [roomId, events] of byRoom) {
      for (const { message } of events) {
        if (failed.has(roomId)) message.nak(1000);
        else await message.ack();
      }
    }
    if (failed.size > 0) this.deps.log.warn("search index refused changes; they come again", { rooms: failed.size });
    this.deps.observer?.batch((performance.now() - started) / 1000, documents);
    if (messages.length < BATCH && !this.#stopped) await Bun.sleep(LINGER_MS);
  }

  /** The rooms' states: remembered ones, the rest read from the index (absent: position 0). */
  async #statesOf(roomIds: string[]): Promise<Map<string, RoomState>> {
    const missing = roomIds.filter((roomId) => !this.#states.has(roomId));
    if (missing.length > 0) {
      const read = await this.deps.index.rooms(missing);
      for (const roomId of missing) this.#remember(roomId, read.get(roomId) ?? { position: 0, deleted: false });
    }
    return new Map(roomIds.map((roomId) => [roomId, this.#states.get(roomId) as RoomState]));
  }

  #remember(roomId: string, state: RoomState) {
    if (this.#states.size >= STATE_CACHE && !this.#states.has(roomId)) this.#states.clear();
    this.#states.set(roomId, state);
  }

  #decode(message: StreamMessage): Decoded | null {
    try {
      const event = JSON.parse(decoder.decode(message.data));
      if (typeof event?.type !== "string" || typeof event.room_id !== "string" || !Number.isSafeInteger(event.seq))
        throw new Error("not a positioned room event");
      const effect = effectOfEvent(event);
      const time = event.type === "message.created" ? event.message?.created_at : event.message?.edited_at;
      const at = typeof time === "string" ? Date.parse(time) : null;
      return { message, roomId: event.room_id, effect, at };
    } catch (error) {
      this.deps.log.error("dropped a stream message that is not a room event", { seq: message.seq, error });
      return null;
    }
  }

  /** Moves the watermark as far as the acked stream allows (see the top of this file). */
  tick(): Promise<void> {
    this.#tick ??= this.#advance().finally(() => {
      this.#tick = null;
    });
    return this.#tick;
  }

  async #advance() {
    const consumer = this.#consumer;
    if (!consumer) return;
    try {
      const seen = this.#now();
      const { lag, oldestUnackedAt } = await consumer.progress();
      this.deps.observer?.lag(lag);
      const through = lag === 0 ? seen : oldestUnackedAt === null ? null : oldestUnackedAt - 1;
      if (through === null) return;
      const candidate = through - GRACE_MS;
      if (candidate <= this.#watermark) return;
      await this.deps.index.flush();
      await this.deps.index.setWatermark(new Date(candidate));
      this.#watermark = candidate;
      this.deps.observer?.watermark(candidate);
    } catch (error) {
      this.deps.log.warn("indexer watermark not moved", { error });
    }
  }

  /** Stops consuming (the batch in progress finishes; what it did not ack comes again). */
  async stop() {
    this.#stopped = true;
    this.#wake();
    await this.#running;
    clearInterval(this.#timer);
    await this.#consumer?.stop();
    this.#consumer = undefined;
    await this.#tick;
  }
}
