// One room's events as this process receives them, put back in position order before anyone sees
// them. Events come from the bus, which may reorder (several publishing processes), drop (an outage)
// or repeat them; the feed delivers each durable event exactly once, in `seq` order, reading what is
// missing from the room's log (dense: whatever position it sees, every one below it is stored).
// Ephemeral events (typing, presence, read) have no position and pass straight through.
import { type EventMeta, eventMeta, type PositionedEvent } from "../domain/events";
import type { Logger } from "../log";
import type { Bus, BusHeaders, BusSubscription } from "../ports/bus";

/** An event as the feed hands it on: the bytes to send and what routing needs, read off the headers. */
export type Delivery = { raw: string } & EventMeta;

/** The room's log, read through the domain (Timeline): what the feed repairs from. */
export type FeedSource = {
  head(roomId: string): Promise<number>;
  after(roomId: string, after: number, limit: number, viewerId: null): Promise<PositionedEvent[]>;
};

export type RoomFeedOptions = {
  bus: Bus;
  source: FeedSource;
  log: Logger;
  subject: string;
  deliver(delivery: Delivery): void;
  /** How long an event ahead of the next position waits for the ones before it before they are read. */
  repairDelayMs?: number;
};

const REPAIR_BATCH = 200;
/** Repairs that find nothing before the feed gives up waiting for a position (see #repair). */
const GIVE_UP_AFTER = 40;
const RETRY_MS = [100, 250, 500, 1000, 2000];
const decoder = new TextDecoder();

export class RoomFeed {
  /** Resolves once the bus subscription is confirmed and the room's head is known; then events flow. */
  readonly ready: Promise<void>;
  readonly #subscription: BusSubscription;
  /** The next position to deliver; 0 until ready. */
  #next = 0;
  /** Durable events that arrived ahead of #next, by position. */
  readonly #held = new Map<number, Delivery>();
  /** Durable events that arrived before the head was known. */
  #early: Delivery[] = [];
  readonly #waiters: { position: number; resolve: () => void }[] = [];
  #repairTimer: ReturnType<typeof setTimeout> | undefined;
  #repairing = false;
  /** Repairs in a row that found nothing for the held events. */
  #fruitless = 0;
  #closed = false;

  constructor(
    readonly roomId: string,
    private readonly options: RoomFeedOptions,
  ) {
    this.#subscription = options.bus.subscribe(options.subject, (_subject, data, headers) =>
      this.#receive(data, headers),
    );
    this.ready = this.#start();
  }

  /** The last position delivered. */
  get position() {
    return this.#next - 1;
  }

  /**
   * Resolves once every position up to `position` has been delivered. The caller knows the log holds
   * them (it read them), so whatever has not arrived by the bus is read from the log now.
   */
  through(position: number): Promise<void> {
    if (this.#closed || this.position >= position) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ position, resolve });
      this.#scheduleRepair(0);
    });
  }

  /** After a bus outage: whatever was published meanwhile is missing; compare with the log. */
  resume() {
    if (this.#next === 0) return;
    this.#scheduleRepair(0);
    // Once more after the bus has surely re-registered the subscription everywhere.
    setTimeout(() => this.#scheduleRepair(0), 1000).unref?.();
  }

  close() {
    this.#closed = true;
    this.#subscription.unsubscribe();
    clearTimeout(this.#repairTimer);
    this.#held.clear();
    this.#early = [];
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  async #start() {
    await this.#subscription.ready;
    const head = await this.options.source.head(this.roomId);
    if (this.#closed) return;
    this.#next = head + 1;
    const early = this.#early;
    this.#early = [];
    for (const delivery of early) this.#accept(delivery);
  }

  #receive(data: Uint8Array, headers: BusHeaders) {
    if (this.#closed) return;
    const raw = decoder.decode(data);
    const delivery = toDelivery(raw, headers);
    if (!delivery) {
      this.options.log.warn("dropped an event that is not chatd's", { room_id: this.roomId });
      return;
    }
    if (delivery.seq === null) {
      // Ephemeral: nobody is on the room's topic before the feed is ready.
      if (this.#next > 0) this.options.deliver(delivery);
    } else if (this.#next === 0) this.#early.push(delivery);
    else this.#accept(delivery);
  }

  /** A durable event: delivered if it is next, dropped if already delivered, else held for repair. */
  #accept(delivery: Delivery) {
    const seq = delivery.seq as number;
    if (seq < this.#next) return;
    if (seq > this.#next) {
      this.#held.set(seq, delivery);
      this.#scheduleRepair(this.options.repairDelayMs ?? 50);
      return;
    }
    this.#emit(delivery);
    for (let next = this.#held.get(this.#next); next; next = this.#held.get(this.#next)) {
      this.#held.delete(this.#next);
      this.#emit(next);
    }
  }

  #emit(delivery: Delivery) {
    this.#next = (delivery.seq as number) + 1;
    this.options.deliver(delivery);
    if (this.#waiters.length === 0) return;
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.position <= this.position) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  #scheduleRepair(delayMs: number) {
    if (this.#closed || this.#repairing) return;
    if (this.#repairTimer !== undefined && delayMs > 0) return;
    clearTimeout(this.#repairTimer);
    this.#repairTimer = setTimeout(() => {
      this.#repairTimer = undefined;
      void this.#repair();
    }, delayMs);
  }

  /**
   * Reads the log from the next position on and delivers what it finds, until nothing is held or
   * awaited any more. A failed read is retried with backoff; the held events wait meanwhile.
   */
  async #repair() {
    await this.ready.catch(() => {});
    if (this.#closed || this.#repairing || this.#next === 0) return;
    this.#repairing = true;
    try {
      for (let attempt = 0; !this.#closed; ) {
        let events: PositionedEvent[];
        try {
          events = await this.options.source.after(this.roomId, this.position, REPAIR_BATCH, null);
        } catch (error) {
          const wait = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]!;
          this.options.log.warn("room feed repair failed; retrying", { room_id: this.roomId, wait_ms: wait, error });
          await Bun.sleep(wait);
          continue;
        }
        for (const event of events) this.#accept(fromLog(event));
        if (events.length < REPAIR_BATCH) break;
      }
    } finally {
      this.#repairing = false;
    }
    if (this.#held.size === 0) {
      this.#fruitless = 0;
      return;
    }
    // Still held: positions the log does not have. The log is dense and every event is stored before
    // it is published, so this means something outside chatd published; after a while, move on.
    if (++this.#fruitless >= GIVE_UP_AFTER) {
      const skipped = Math.min(...this.#held.keys()) - this.#next;
      this.options.log.error("room feed skipped positions the log does not have", {
        room_id: this.roomId,
        from: this.#next,
        count: skipped,
      });
      this.#fruitless = 0;
      this.#next += skipped;
      const first = this.#held.get(this.#next)!;
      this.#held.delete(this.#next);
      this.#accept(first);
      return;
    }
    this.#scheduleRepair(this.options.repairDelayMs ?? 50);
  }
}

/** The delivery of a bus message: meta from chatd's headers, else read from the JSON itself. */
function toDelivery(raw: string, headers: BusHeaders): Delivery | null {
  const meta = eventMeta(headers);
  if (meta) return { raw, ...meta };
  try {
    const event = JSON.parse(raw) as { type?: unknown; seq?: unknown; user_id?: unknown };
    if (typeof event.type !== "string") return null;
    const seq = typeof event.seq === "number" ? event.seq : null;
    const user = typeof event.user_id === "string" ? event.user_id : null;
    return { raw, type: event.type, seq, at: Date.now(), user };
  } catch {
    return null;
  }
}

/** An event read back from the log, as if the bus had brought it. */
function fromLog(event: PositionedEvent): Delivery {
  const at = event.type === "message.created" ? Date.parse(event.message.created_at) : Date.now();
  const user = "user_id" in event ? event.user_id : null;
  return { raw: JSON.stringify(event), type: event.type, seq: event.seq, at, user };
}
