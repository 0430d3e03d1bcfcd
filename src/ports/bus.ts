// The fan-out bus port. Subjects are dot-separated (`chat.room.<id>`); a subscription may end in `>`
// to match every subject with that prefix. Delivery is at most once, in publish order per subject.

/**
 * Metadata that travels next to a message's bytes (NATS headers), so a receiver can learn about a
 * message without decoding it. Keys are case-sensitive; values are strings.
 */
export type BusHeaders = Record<string, string>;

/** `headers` is what the publisher attached (undefined when it attached none). */
export type BusHandler = (subject: string, data: Uint8Array, headers?: BusHeaders) => void;

export interface BusSubscription {
  unsubscribe(): void;
}

export interface Bus {
  /** Delivers `data`, and `headers` unchanged with it, to every subscription matching `subject`. */
  publish(subject: string, data: Uint8Array, headers?: BusHeaders): Promise<void>;
  subscribe(subject: string, handler: BusHandler): BusSubscription;
  ping(): Promise<void>;
  close(): Promise<void>;
}
