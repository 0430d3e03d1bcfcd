// The embedded event stream: an in-process log with JetStream's semantics (sequences, msgId dedupe,
// expected last subject sequence, durable consumers with explicit acks and redelivery). It lives as
// long as the process: a restarted process starts from an empty stream.
import { SequenceConflict, unavailable } from "../../domain/errors";
import type { Logger } from "../../log";
import type {
  Appended,
  AppendOptions,
  ConsumeOptions,
  EventStream,
  StreamConsumer,
  StreamHandler,
  StreamMessage,
} from "../../ports/stream";
import {
  assertConsumerName,
  assertPattern,
  assertSubject,
  consumeDefaults,
  DUPLICATE_WINDOW_MS,
  MAX_ACK_PENDING,
  matches,
} from "../shared";

export type MemoryStreamOptions = {
  /** The subjects the stream holds, e.g. `chat.events.>`. */
  subjects: string;
  /** Oldest messages are dropped past this many; default 100000. */
  maxMessages?: number;
  /**
   * Past this many bytes of data, the oldest messages that every consumer name has acked are dropped;
   * default 8 MiB. In one process the stream only feeds consumers in that process (it is gone on a
   * restart), so what they have acked is kept for nobody: with consumers that keep up, memory stays
   * flat. Messages not yet acked by some consumer are kept (up to maxMessages and maxAgeMs).
   */
  maxBytes?: number;
  /** Messages older than this are dropped; default 7 days. */
  maxAgeMs?: number;
  log: Logger;
};

type Stored = { seq: number; subject: string; data: Uint8Array; at: number };

/** What the stream remembers per consumer name. */
type Durable = {
  /** The next never-delivered sequence. */
  next: number;
  /** Delivered, not acked: delivery count and the timer that makes it due again. */
  unacked: Map<number, { deliveries: number; timer?: ReturnType<typeof setTimeout> }>;
  /** Unacked sequences due for redelivery now. */
  due: Set<number>;
  wake: Set<() => void>;
};

export class MemoryEventStream implements EventStream {
  /**
   * The kept messages are #messages[#head..]: dropping the oldest empties its slot and moves #head
   * (the array is compacted now and then), so a dropped message's bytes are garbage at once.
   */
  #messages: (Stored | undefined)[] = [];
  #head = 0;
  #lastSeq = 0;
  readonly #lastBySubject = new Map<string, number>();
  readonly #ids = new Map<string, { seq: number; at: number }>();
  readonly #durables = new Map<string, Durable>();
  readonly #consumers = new Set<StreamConsumer>();
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  /** Bytes of data in the kept messages. */
  #bytes = 0;
  readonly #maxAgeMs: number;
  #closed = false;

  constructor(private readonly options: MemoryStreamOptions) {
    assertPattern(options.subjects);
    this.#maxMessages = options.maxMessages ?? 100_000;
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    this.#maxAgeMs = options.maxAgeMs ?? 7 * 86_400_000;
  }

  async append(subject: string, data: Uint8Array, { msgId, expectedLastSubjectSeq }: AppendOptions): Promise<Appended> {
    assertSubject(subject);
    if (!matches(this.options.subjects, subject))
      throw new TypeError(`subject ${subject} is not in the stream (${this.options.subjects})`);
    if (this.#closed) throw unavailable("bus", new Error("stream closed"));
    const now = Date.now();
    this.#prune(now);
    const first = this.#ids.get(msgId);
    if (first) return { seq: first.seq, duplicate: true };
    const last = this.#lastBySubject.get(subject) ?? 0;
    if (expectedLastSubjectSeq !== undefined && expectedLastSubjectSeq !== last)
      throw new SequenceConflict(subject, expectedLastSubjectSeq, last);
    const seq = ++this.#lastSeq;
    this.#messages.push({ seq, subject, data, at: now });
    this.#bytes += data.byteLength;
    this.#lastBySubject.set(subject, seq);
    this.#ids.set(msgId, { seq, at: now });
    this.#prune(now);
    for (const durable of this.#durables.values()) for (const wake of durable.wake) wake();
    return { seq, duplicate: false };
  }

  async consume(name: string, handler: StreamHandler, options: ConsumeOptions = {}): Promise<StreamConsumer> {
    assertConsumerName(name);
    if (this.#closed) throw unavailable("bus", new Error("stream closed"));
    const settings = consumeDefaults(options);
    let durable = this.#durables.get(name);
    if (!durable) {
      durable = { next: 1, unacked: new Map(), due: new Set(), wake: new Set() };
      this.#durables.set(name, durable);
    }
    const state = durable;
    let stopped = false;
    let wake = () => {};
    const loop = (async () => {
      while (!stopped) {
        const batch = this.#take(state, settings.batch, settings.ackWaitMs);
        if (batch.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            state.wake.add(resolve);
          });
          state.wake.delete(wake);
          continue;
        }
        try {
          await handler(batch);
        } catch (error) {
          this.options.log.error("stream handler failed", { consumer: name, error });
          for (const message of batch) if (state.unacked.has(message.seq)) message.nak(settings.retryDelayMs);
        }
      }
    })();
    const consumer: StreamConsumer = {
      lag: async () => this.#lag(state),
      progress: async () => this.#progress(state),
      stop: async () => {
        stopped = true;
        wake();
        await loop;
        this.#consumers.delete(consumer);
      },
    };
    this.#consumers.add(consumer);
    return consumer;
  }

  async ping() {
    if (this.#closed) throw unavailable("bus", new Error("stream closed"));
  }

  async close() {
    this.#closed = true;
    await Promise.all([...this.#consumers].map((consumer) => consumer.stop()));
    for (const durable of this.#durables.values())
      for (const entry of durable.unacked.values()) clearTimeout(entry.timer);
  }

  /** The next batch for a consumer: due redeliveries first, then new messages, within MAX_ACK_PENDING. */
  #take(durable: Durable, max: number, ackWaitMs: number): StreamMessage[] {
    const batch: StreamMessage[] = [];
    for (const seq of [...durable.due].sort((a, b) => a - b)) {
      if (batch.length >= max) break;
      durable.due.delete(seq);
      const stored = this.#find(seq);
      if (stored) batch.push(this.#deliver(durable, stored, ackWaitMs));
      else durable.unacked.delete(seq); // dropped by the limits meanwhile
    }
    durable.next = Math.max(durable.next, this.#firstSeq());
    while (batch.length < max && durable.next <= this.#lastSeq && durable.unacked.size < MAX_ACK_PENDING) {
      const stored = this.#find(durable.next++);
      if (stored) batch.push(this.#deliver(durable, stored, ackWaitMs));
    }
    return batch;
  }

  #deliver(durable: Durable, stored: Stored, ackWaitMs: number): StreamMessage {
    const entry = durable.unacked.get(stored.seq) ?? { deliveries: 0 };
    entry.deliveries++;
    durable.unacked.set(stored.seq, entry);
    const due = (delayMs: number) => {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => {
        if (durable.unacked.get(stored.seq) !== entry) return;
        durable.due.add(stored.seq);
        for (const wake of durable.wake) wake();
      }, delayMs);
    };
    due(ackWaitMs);
    const current = () => durable.unacked.get(stored.seq) === entry;
    return {
      subject: stored.subject,
      data: stored.data,
      seq: stored.seq,
      timestamp: stored.at,
      deliveries: entry.deliveries,
      ack: async () => {
        if (!current()) return;
        clearTimeout(entry.timer);
        durable.unacked.delete(stored.seq);
        durable.due.delete(stored.seq);
        for (const wake of durable.wake) wake();
      },
      nak: (delayMs = 0) => {
        if (current() && !durable.due.has(stored.seq)) due(delayMs);
      },
    };
  }

  #lag(durable: Durable): number {
    const firstSeq = this.#firstSeq();
    const waiting = this.#lastSeq - Math.max(durable.next, firstSeq) + 1;
    let unacked = 0;
    for (const seq of durable.unacked.keys()) if (seq >= firstSeq) unacked++;
    return Math.max(0, waiting) + unacked;
  }

  #progress(durable: Durable) {
    const lag = this.#lag(durable);
    if (lag === 0) return { lag, oldestUnackedAt: null };
    const firstSeq = this.#firstSeq();
    let oldest = Math.max(durable.next, firstSeq);
    for (const seq of durable.unacked.keys()) if (seq >= firstSeq && seq < oldest) oldest = seq;
    return { lag, oldestUnackedAt: this.#find(oldest)?.at ?? null };
  }

  /** The oldest kept sequence (one past the last when none is kept). */
  #firstSeq(): number {
    return this.#messages[this.#head]?.seq ?? this.#lastSeq + 1;
  }

  /** Sequences are dense from the oldest kept message, so a lookup is an index. */
  #find(seq: number): Stored | undefined {
    const index = seq - this.#firstSeq();
    return index >= 0 ? this.#messages[this.#head + index] : undefined;
  }

  /**
   * Below this sequence every consumer name has had and acked every message: what the byte limit may
   * drop. With no consumer name yet nothing is settled (a first consumer gets what is kept).
   */
  #settled(): number {
    let settled = this.#durables.size > 0 ? Infinity : 0;
    for (const durable of this.#durables.values()) {
      settled = Math.min(settled, durable.next);
      for (const seq of durable.unacked.keys()) settled = Math.min(settled, seq);
    }
    return settled;
  }

  /** Applies the limits (oldest first) and forgets message ids past the duplicate window. */
  #prune(now: number) {
    const settled = this.#bytes > this.#maxBytes ? this.#settled() : 0;
    while (
      this.#messages.length - this.#head > this.#maxMessages ||
      (this.#bytes > this.#maxBytes && (this.#messages[this.#head]?.seq ?? Infinity) < settled) ||
      (this.#messages[this.#head]?.at ?? now) < now - this.#maxAgeMs
    ) {
      const dropped = this.#messages[this.#head] as Stored;
      this.#messages[this.#head++] = undefined;
      this.#bytes -= dropped.data.byteLength;
      if (this.#lastBySubject.get(dropped.subject) === dropped.seq) this.#lastBySubject.delete(dropped.subject);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#messages.length) {
      this.#messages = this.#messages.slice(this.#head);
      this.#head = 0;
    }
    for (const [id, { at }] of this.#ids) {
      if (at >= now - DUPLICATE_WINDOW_MS) break;
      this.#ids.delete(id);
    }
  }
}
