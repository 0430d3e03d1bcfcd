// The embedded bus: in-process fan-out with the same subject rules as NATS (`>` matches the rest).
import type { Bus, BusHandler, BusHeaders, BusSubscription } from "../../ports/bus";

export class MemoryBus implements Bus {
  readonly #exact = new Map<string, Set<BusHandler>>();
  readonly #prefixes = new Map<string, Set<BusHandler>>();

  async publish(subject: string, data: Uint8Array, headers?: BusHeaders) {
    for (const handler of this.#exact.get(subject) ?? []) handler(subject, data, headers);
    for (const [prefix, handlers] of this.#prefixes) {
      if (subject.startsWith(prefix)) for (const handler of handlers) handler(subject, data, headers);
    }
  }

  subscribe(subject: string, handler: BusHandler): BusSubscription {
    const wildcard = subject === ">" || subject.endsWith(".>");
    const table = wildcard ? this.#prefixes : this.#exact;
    const key = wildcard ? subject.slice(0, -1) : subject;
    const handlers = table.get(key) ?? new Set();
    table.set(key, handlers.add(handler));
    return {
      unsubscribe: () => {
        handlers.delete(handler);
        if (handlers.size === 0) table.delete(key);
      },
    };
  }

  async ping() {}

  async close() {
    this.#exact.clear();
    this.#prefixes.clear();
  }
}
