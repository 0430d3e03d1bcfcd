// The fan-out bus port (in-process embedded, NATS core in production): fire-and-forget messages on
// subjects, for events every process with local subscribers must see (room events, typing, session
// revocations). Nothing is stored: what a subscriber misses is gone for it; durable feeds use the
// EventStream port (ports/stream.ts).
//
// Subjects are dot-separated tokens (`chat.room.<id>`); a token is non-empty and holds no whitespace,
// `*` or `>`. A subscription may end in the token `>` to match every subject with one or more tokens
// after its prefix (`chat.room.>` matches `chat.room.a` and `chat.room.a.b`, not `chat.room`). An
// invalid subject is a programming error: publish rejects and subscribe throws with a TypeError.
//
// Delivery: at most once. Messages one process publishes on one subject reach each subscriber in
// publish order; no order holds across subjects or across publishing processes. A handler runs
// synchronously as its message arrives, so a slow handler delays that subscriber's later messages.
// A handler must not throw; if it does, the adapter logs the error and delivery goes on.

/** Message headers: names are tokens of printable ASCII without `:`; values hold no CR or LF. */
export type BusHeaders = Readonly<Record<string, string>>;

/** Receives one message: its concrete subject (not the wildcard), payload and headers ({} when none). */
export type BusHandler = (subject: string, data: Uint8Array, headers: BusHeaders) => void;

export interface BusSubscription {
  /**
   * Resolves once the bus has registered the subscription (for NATS: after a round trip to the server),
   * so every message published after that, by any process on the same server, reaches the handler.
   * Read storage for catch-up only after this. Rejects with `unavailable` when the bus cannot confirm
   * (disconnected, no answer in time); the subscription is then cancelled and the handler gets nothing.
   * Messages that arrive before it resolves are delivered too.
   */
  readonly ready: Promise<void>;
  /** Stops delivery at once: the handler is not called again. Idempotent. */
  unsubscribe(): void;
}

export interface Bus {
  /**
   * Hands the message to the bus. Resolving means sent, not delivered (at most once). While the bus is
   * disconnected it rejects at once with `unavailable` rather than buffering; the caller decides
   * (room events are already stored, so subscribers recover them from history).
   */
  publish(subject: string, data: Uint8Array, headers?: BusHeaders): Promise<void>;
  /**
   * Starts delivering the subject's messages to the handler. Subscriptions survive reconnects: after an
   * outage they are re-established by the adapter, and messages published meanwhile are lost to them
   * (a gap the caller repairs from storage, e.g. by room position).
   */
  subscribe(subject: string, handler: BusHandler): BusSubscription;
  /**
   * Calls `listener` each time the bus is back after an outage (for NATS: reconnected). Messages
   * published meanwhile were lost to this process's subscriptions, so listeners look for what they
   * missed (room feeds compare their position with storage). Returns a function that stops calling it.
   * An in-process bus has no outages and never calls it.
   */
  onResume(listener: () => void): () => void;
  /** Resolves while the bus answers; rejects with `unavailable` while disconnected. */
  ping(): Promise<void>;
  /** Ends every subscription and the connection. Publishing afterwards rejects. */
  close(): Promise<void>;
}
