// Keys the Cassandra schema orders and partitions by: message sort keys and time buckets, UUIDv7 cursor
// bounds, write timestamps. Pure functions; no driver here.
import { messageSortKey } from "../../domain/ids";

/** 100-ns intervals from the Gregorian epoch (1582-10-15) to the Unix epoch. */
const GREGORIAN_OFFSET = 122_192_928_000_000_000n;

/**
 * The clustering key of a message: 16 bytes, its 60-bit timestamp (big-endian, first) then clock
 * sequence and node. Cassandra compares blobs as unsigned bytes, so this sorts exactly like
 * `compareMessageIds`. A `timeuuid` column would not: on equal timestamps Cassandra breaks the tie on
 * the clock sequence and node as *signed* bytes, which two processes minting ids in one 100-ns tick
 * can hit. Any UUID maps to a key, so a cursor need not be a message (nor a v1 id).
 */
export const sortKey = (id: string): Buffer => Buffer.from(`0${messageSortKey(id)}`, "hex");

/** The message id (UUIDv1) a sort key was made from. */
export function idFromSortKey(key: Buffer): string {
  const hex = key.toString("hex").slice(1); // 15 time digits, 4 clock sequence, 12 node
  return `${hex.slice(7, 15)}-${hex.slice(3, 7)}-1${hex.slice(0, 3)}-${hex.slice(15, 19)}-${hex.slice(19)}`;
}

/** The key's timestamp in 100-ns units since the Unix epoch (negative before 1970). */
const keyTime = (key: Buffer): bigint => BigInt(`0x${key.toString("hex").slice(1, 16)}`) - GREGORIAN_OFFSET;

/** Floor division, also for negative dividends. */
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/**
 * The time bucket of a message key: whole `bucketMs` periods since the Unix epoch. Monotonic in key
 * order, so the buckets of a key range are a contiguous range of buckets.
 */
export const bucketOf = (key: Buffer, bucketMs: number): number =>
  Number(floorDiv(keyTime(key), BigInt(bucketMs) * 10_000n));

/** The key's time in microseconds since the Unix epoch: the write timestamp of a read marker. */
export const keyMicros = (key: Buffer): number => Number(floorDiv(keyTime(key), 10n));

/** Compares two sort keys (unsigned bytes), i.e. two message ids in `compareMessageIds` order. */
export const compareKeys = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/** Cassandra `int` bounds, for open-ended bucket scans. */
export const MAX_BUCKET = 2_147_483_647;
export const MIN_BUCKET = -2_147_483_648;

/**
 * Room and audit ids are UUIDv7, which Cassandra's `uuid` type orders like their strings. A cursor of
 * another version sorts by version first there, so it is mapped to the v7 bound that selects the same
 * v7 ids as comparing strings would (what the SQLite adapter does).
 */
export function v7Bound(cursor: string, direction: "after" | "before"): { op: ">" | ">=" | "<" | "<="; bound: string } {
  const id = cursor.toLowerCase();
  const version = id[14] ?? "7";
  if (version === "7") return { op: direction === "after" ? ">" : "<", bound: id };
  const prefix = id.slice(0, 14);
  if (version < "7") {
    // Every v7 id sharing the cursor's time prefix sorts after the cursor.
    return { op: direction === "after" ? ">=" : "<", bound: `${prefix}7000-0000-000000000000` };
  }
  return { op: direction === "after" ? ">" : "<=", bound: `${prefix}7fff-ffff-ffffffffffff` };
}

/** Months since 1970-01 of a UUIDv7's time: the partition of the public-room directory it sits in. */
export function monthOfV7(id: string): number {
  const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  const date = new Date(ms);
  return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth();
}
