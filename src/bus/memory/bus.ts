// The embedded bus: in-process fan-out with the same subject rules as NATS (`>` matches the rest).
// Delivery is synchronous, inside publish, so it is in publish order and a subscription is ready at once.
import { unavailable } from "../../domain/errors";
import type { Logger } from "../../log";
import type { Bus, BusHandler, BusHeaders, BusSubscription } from "../../ports/bus";
import { assertHeaders, assertPattern, assertSubject, deliver, NO_HEADERS, wildcardPrefix } from "../shared";

const READY = Promise.resolve();

export class MemoryBus implements Bus {
  readonly #exact = new Map<string, Set<BusHandler>>();
  readonly #prefixes = new Map<string, Set<BusHandler>>();
  #closed = false;

  constructor(private readonly log: Logger) {}

  async publish(subject: string, data: Uint8Array, headers: BusHeaders = NO_HEADERS) {
    assertSubject(subject);
    assertHeaders(headers);
    if (this.#closed) throw unavailable("bus", new Error("bus closed"));
    for (const handler of this.#exact.get(subject) ?? []) deliver(this.log, handler, subject, data, headers);
    for (const [prefix, handlers] of this.#prefixes) {
      if (subject.startsWith(prefix))
        for (const handler of handlers) deliver(this.log, handler, subject, data, headers);
    }
  }

  subscribe(subject: string, handler: BusHandler): BusSubscription {
    assertPattern(subject);
    const prefix = wildcardPrefix(subject);
    const table = prefix === null ? this.#exact : this.#prefixes;
    const key = prefix ?? subject;
    // One entry per subscription, so the same handler subscribed twice is called twice, like on NATS.
    const entry: BusHandler = (s, d, h) => handler(s, d, h);
    const handlers = table.get(key) ?? new Set();
    table.set(key, handlers.add(entry));
    return {
      ready: READY,
      unsubscribe: () => {
        handlers.delete(entry);
        if (handlers.size === 0 && table.get(key) === handlers) table.delete(key);
      },
    };
  }

  /** In process, nothing is ever missed: the listener is never called. */
  onResume(_listener: () => void): () => void {
    return () => {};
  }

  async ping() {
    if (this.#closed) throw unavailable("bus", new Error("bus closed"));
  }

  async close() {
    this.#closed = true;
    this.#exact.clear();
    this.#prefixes.clear();
  }
}
