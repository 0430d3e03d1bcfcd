// The indexer's feed: every durable room event, once stored, is appended to the event stream (subject
// `chat.events.<room_id>`, msgId `<room_id>:<seq>` so a retry never stores it twice) before it is
// published to subscribers. So whatever a client has seen of a room is on the stream, which is what
// the indexer's watermark relies on (domain/indexer.ts).
//
// Nothing is lost to the index silently: an append that fails or takes too long (NATS down) is
// retried in the background until it lands. Per room only the newest failed event is kept: the
// indexer reads every position below the one it receives from the room's log (it repairs gaps), so
// landing the newest is enough. What is still pending when the process dies is repaired by the next
// event of that room, or by `chatd reindex --room`.
import type { Logger } from "../log";
import type { EventStream } from "../ports/stream";

export type EventFeedDeps = {
  stream: EventStream;
  log: Logger;
  /** An append that takes longer is left to the background retry; default 1000 ms. */
  timeoutMs?: number;
};

/** The stream subject of a room's events (within STREAM_SUBJECTS of events.ts). */
export const feedSubject = (roomId: string) => `chat.events.${roomId}`;

const RETRY_MS = [250, 500, 1000, 2000, 5000, 10_000];

type Pending = { seq: number; data: Uint8Array };

export class EventFeed {
  /** Per room, the newest event whose append failed. */
  readonly #pending = new Map<string, Pending>();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #closed = false;

  constructor(private readonly deps: EventFeedDeps) {}

  /** Rooms with an event not on the stream yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Appends the room's event at position `seq` (its encoded bytes). Never rejects; see above. */
  async append(roomId: string, seq: number, data: Uint8Array): Promise<void> {
    try {
      await this.#append(roomId, seq, data);
      const pending = this.#pending.get(roomId);
      if (pending && pending.seq <= seq) this.#pending.delete(roomId);
    } catch (error) {
      const pending = this.#pending.get(roomId);
      if (!pending || pending.seq < seq) this.#pending.set(roomId, { seq, data });
      if (this.#pending.size === 1 && this.#attempt === 0)
        this.deps.log.warn("event stream append failed; retrying in the background", { room_id: roomId, error });
      this.#scheduleRetry();
    }
  }

  async #append(roomId: string, seq: number, data: Uint8Array) {
    if (this.#closed) throw new Error("event feed closed");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.deps.timeoutMs ?? 1000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no stream ack within ${timeoutMs} ms`)), timeoutMs);
    });
    const appended = this.deps.stream.append(feedSubject(roomId), data, { msgId: `${roomId}:${seq}` });
    appended.catch(() => {}); // when the timeout wins, the append may still fail later
    try {
      await Promise.race([appended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #scheduleRetry() {
    if (this.#closed || this.#retryTimer !== undefined || this.#pending.size === 0) return;
    const wait = RETRY_MS[Math.min(this.#attempt, RETRY_MS.length - 1)] as number;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#retry();
    }, wait);
    this.#retryTimer.unref?.();
  }

  async #retry() {
    this.#attempt++;
    for (const [roomId, pending] of [...this.#pending]) {
      try {
        await this.#append(roomId, pending.seq, pending.data);
      } catch {
        break; // the stream is still down; the rest waits for the next attempt
      }
      if (this.#pending.get(roomId) === pending) this.#pending.delete(roomId);
    }
    if (this.#pending.size === 0) {
      if (this.#attempt > 0) this.deps.log.info("event stream appends caught up", { attempts: this.#attempt });
      this.#attempt = 0;
      return;
    }
    this.#scheduleRetry();
  }

  /** One last attempt for what is pending, then stops; what still failed is logged (reindex those rooms). */
  async close() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#pending.size > 0) await this.#retry().catch(() => {});
    clearTimeout(this.#retryTimer);
    this.#closed = true;
    if (this.#pending.size > 0)
      this.deps.log.error("events not on the stream at shutdown: run chatd reindex --room for these rooms", {
        rooms: [...this.#pending.keys()].slice(0, 100),
        count: this.#pending.size,
      });
  }
}
