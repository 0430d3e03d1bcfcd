// The fan-out bus port. Subjects are dot-separated (`chat.room.<id>`); a subscription may end in `>`
// to match every subject with that prefix. Delivery is at most once, in publish order per subject.

/** Message headers (names: printable ASCII tokens; values: no CR or LF). */
export type BusHeaders = Readonly<Record<string, string>>;

export type BusHandler = (subject: string, data: Uint8Array, headers: BusHeaders) => void;

export interface BusSubscription {
  unsubscribe(): void;
}

export interface Bus {
  publish(subject: string, data: Uint8Array, headers?: BusHeaders): Promise<void>;
  subscribe(subject: string, handler: BusHandler): BusSubscription;
  ping(): Promise<void>;
  close(): Promise<void>;
}
