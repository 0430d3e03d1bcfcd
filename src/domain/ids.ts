// Ids. Rooms, audit entries: UUIDv7 (time-ordered as strings). Messages: UUIDv1, the layout of a
// Cassandra timeuuid, so one id scheme serves every backend and a message id is its own cursor.

/** 100-ns intervals from the Gregorian epoch (1582-10-15) to the Unix epoch. */
const GREGORIAN_OFFSET = 122_192_928_000_000_000n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const newRoomId = (): string => Bun.randomUUIDv7();
export const newAuditId = (): string => Bun.randomUUIDv7();

export const isUuid = (value: string): boolean => UUID.test(value);

/** A UUID of version 1 (what message ids are). */
export const isMessageId = (value: string): boolean => UUID.test(value) && value[14] === "1";

/**
 * Generates message ids whose timestamps strictly increase within this process, so two messages
 * created here never tie, even within one millisecond. Clock sequence and node are random per
 * generator (node with the multicast bit set, as RFC 9562 asks for random nodes).
 */
export class MessageIdGenerator {
  #last = 0n;
  readonly #tail: string;

  constructor() {
    const random = crypto.getRandomValues(new Uint8Array(8));
    const clockSeq = (((random[0]! & 0x3f) | 0x80) << 8) | random[1]!; // variant 10xx
    random[2]! |= 0x01; // multicast bit: not a real MAC address
    const node = Buffer.from(random.subarray(2)).toString("hex");
    this.#tail = `${clockSeq.toString(16).padStart(4, "0")}-${node}`;
  }

  next(now: number = Date.now()): string {
    return this.nextAfter(null, now);
  }

  /**
   * An id that sorts after `after` (any v1 id, e.g. the last message of a room, possibly minted by
   * another process whose clock runs ahead) and after every id this generator made before.
   */
  nextAfter(after: string | null, now: number = Date.now()): string {
    let timestamp = BigInt(now) * 10_000n + GREGORIAN_OFFSET;
    if (timestamp <= this.#last) timestamp = this.#last + 1n;
    if (after !== null) {
      const floor = BigInt(`0x${timestampHex(after)}`) + 1n;
      if (timestamp < floor) timestamp = floor;
    }
    this.#last = timestamp;
    const hex = timestamp.toString(16).padStart(15, "0");
    // time_low - time_mid - version+time_high
    return `${hex.slice(7)}-${hex.slice(3, 7)}-1${hex.slice(0, 3)}-${this.#tail}`;
  }
}

/** The 60-bit timestamp of a v1 id, as 15 hex digits: sorts like the id's time. */
const timestampHex = (id: string): string => id.slice(15, 18) + id.slice(9, 13) + id.slice(0, 8);

/**
 * A string that sorts like the message ids do (time, then clock sequence and node), for stores that
 * order by plain string comparison.
 */
export const messageSortKey = (id: string): string =>
  timestampHex(id).toLowerCase() + id.slice(19, 23).toLowerCase() + id.slice(24).toLowerCase();

export const compareMessageIds = (a: string, b: string): number => {
  const [x, y] = [messageSortKey(a), messageSortKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** When a message id was made, to the millisecond. */
export const messageIdTime = (id: string): Date =>
  new Date(Number((BigInt(`0x${timestampHex(id)}`) - GREGORIAN_OFFSET) / 10_000n));

/**
 * The smallest message id of a millisecond: sorts before every id made at or after `ms`, after every
 * id made before it. Used as a cursor for "since this time" (e.g. when a member joined).
 */
export const messageIdFloor = (ms: number): string => {
  const hex = (BigInt(ms) * 10_000n + GREGORIAN_OFFSET).toString(16).padStart(15, "0");
  return `${hex.slice(7)}-${hex.slice(3, 7)}-1${hex.slice(0, 3)}-8000-000000000000`;
};
