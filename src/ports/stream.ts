// The event stream port (in-process embedded, NATS JetStream in production): a durable, ordered log
// of events that consumers such as the indexer read at their own pace, resuming where they stopped.
//
// The stream holds the subjects it was configured with (e.g. `chat.events.>`, same subject rules as
// the bus); appending elsewhere is a programming error (TypeError). Every message gets a stream
// sequence: 1, 2, 3... in append order across all subjects, never reused. Old messages are dropped by
// the stream's limits (age, size), oldest first; a consumer that lags past them loses those messages.
//
// Consumers are durable and named: the stream remembers, per name, which messages were acked. Delivery
// is at least once: a message is handed out again until acked, so handlers must be idempotent (index by
// message id). New messages come in stream order; a redelivery comes when it is due, possibly after
// newer messages. Consumers of one name share its messages (each goes to one of them).

export type AppendOptions = {
  /**
   * Idempotency key. A second append with the same id within the duplicate window (2 minutes) stores
   * nothing and returns the first one's sequence with `duplicate: true`.
   */
  msgId: string;
  /**
   * Optimistic concurrency per subject: store only if the subject's newest message has this stream
   * sequence (0: the subject has none yet); otherwise reject with SequenceConflict (domain/errors.ts)
   * carrying the actual one. A duplicate msgId wins over this check (it returns the first append).
   */
  expectedLastSubjectSeq?: number;
};

export type Appended = { seq: number; duplicate: boolean };

export type StreamMessage = {
  subject: string;
  data: Uint8Array;
  /** The stream sequence. */
  seq: number;
  /** When the stream stored it (ms since the epoch, the stream server's clock); grows with `seq`. */
  timestamp: number;
  /** 1 on first delivery, then 2, 3... for redeliveries. */
  deliveries: number;
  /** Marks the message done for this consumer name; resolves once the stream has recorded it. */
  ack(): Promise<void>;
  /** Hands the message back: it is redelivered after `delayMs` (default: at once). */
  nak(delayMs?: number): void;
};

/**
 * Handles the messages that were waiting, oldest first, at most `batch` at a time. The next call comes
 * only after the returned promise settles, so one consumer sees one batch at a time. Messages neither
 * acked nor nakked are redelivered once their ack wait passes; when the handler rejects, the ones it did
 * not ack are redelivered after `retryDelayMs`.
 */
export type StreamHandler = (messages: StreamMessage[]) => Promise<void>;

export type ConsumeOptions = {
  /** Most messages per handler call; default 100. */
  batch?: number;
  /** A delivered message not acked within this is redelivered; default 30000 ms. */
  ackWaitMs?: number;
  /** After a handler rejection, when its un-acked messages come again; default 1000 ms. */
  retryDelayMs?: number;
};

/** How far a consumer name is: what it has not acked, and the oldest of it. */
export type ConsumerProgress = {
  /** Messages not acked under this name yet: waiting plus delivered and unacked (as `lag()`). */
  lag: number;
  /**
   * The stream timestamp of the oldest message not acked under this name (by any consumer of it, in
   * this process or another); null when `lag` is 0. Every message stored before it has been acked.
   */
  oldestUnackedAt: number | null;
};

export interface StreamConsumer {
  /** Messages this consumer name has not acked yet: waiting plus delivered and unacked. */
  lag(): Promise<number>;
  /** See ConsumerProgress; read from the stream's side, so it survives a crashed consumer. */
  progress(): Promise<ConsumerProgress>;
  /** Stops delivering and waits for the handler call in progress. Unacked messages stay due for redelivery. */
  stop(): Promise<void>;
}

export interface EventStream {
  /** Appends one message and returns its stream sequence; see AppendOptions for dedupe and expectations. */
  append(subject: string, data: Uint8Array, options: AppendOptions): Promise<Appended>;
  /**
   * Starts (or resumes) the durable consumer `name`: the first time from the oldest message the stream
   * holds, after that from the oldest message not acked under that name, also across restarts (for
   * the in-process stream, restarts of the consumer within the process).
   */
  consume(name: string, handler: StreamHandler, options?: ConsumeOptions): Promise<StreamConsumer>;
  /** Resolves while the stream answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  /** Stops every consumer started here and releases the connection. */
  close(): Promise<void>;
}
