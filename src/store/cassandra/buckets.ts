// The time buckets messages are partitioned by. A message lives in partition (room_id, bucket) where
// bucket = floor(time of its id / bucket width); message_buckets lists, per room, the buckets that hold
// messages, so reading history walks from one non-empty partition to the next instead of probing
// every empty period in between.
import type { Cql } from "./client";
import { bucketOf } from "./keys";

/** One day: a few thousand messages per partition for a busy room, few partitions for a quiet one. */
export const DEFAULT_BUCKET_MS = 86_400_000;
/** How many bucket numbers one read of message_buckets fetches. */
const BUCKET_PAGE = 64;
/** Remembered (room, bucket) pairs, so a busy room does not rewrite its bucket row per message. */
const KNOWN_LIMIT = 50_000;

export class MessageBuckets {
  readonly #known = new Set<string>();

  constructor(
    private readonly cql: Cql,
    readonly widthMs: number,
  ) {
    if (!Number.isInteger(widthMs) || widthMs < 60_000)
      throw new Error("message buckets must be at least one minute wide");
  }

  /** The bucket of a message sort key. */
  of(key: Buffer): number {
    return bucketOf(key, this.widthMs);
  }

  /** The bucket of messages minted at `ms` (Unix milliseconds). */
  ofTime(ms: number): number {
    return Math.floor(ms / this.widthMs);
  }

  /**
   * Lists the bucket for the room; must complete before the message is written, so that a reader that
   * sees the message also finds its bucket.
   */
  async record(roomId: string, bucket: number): Promise<void> {
    const id = `${roomId}/${bucket}`;
    if (this.#known.has(id)) return;
    await this.cql.write("INSERT INTO message_buckets (room_id, bucket) VALUES (?, ?)", [roomId, bucket]);
    if (this.#known.size >= KNOWN_LIMIT) this.#known.clear();
    this.#known.add(id);
  }

  /** The room's non-empty buckets from `from` to `to` (both inclusive), newest or oldest first. */
  async *walk(roomId: string, from: number, to: number, order: "asc" | "desc"): AsyncGenerator<number> {
    let [low, high] = [from, to];
    while (low <= high) {
      const rows = await this.cql.read(
        `SELECT bucket FROM message_buckets WHERE room_id = ? AND bucket >= ? AND bucket <= ?${
          order === "asc" ? " ORDER BY bucket ASC" : ""
        } LIMIT ?`,
        [roomId, low, high, BUCKET_PAGE],
      );
      for (const { bucket } of rows.rows) yield bucket;
      if (rows.rows.length < BUCKET_PAGE) return;
      const last = rows.rows.at(-1)!.bucket as number;
      if (order === "asc") low = last + 1;
      else high = last - 1;
    }
  }

  /** Drops the room's list (the messages' partitions must be deleted first). */
  async purge(roomId: string): Promise<void> {
    await this.cql.write("DELETE FROM message_buckets WHERE room_id = ?", [roomId]);
    for (const id of this.#known) if (id.startsWith(`${roomId}/`)) this.#known.delete(id);
  }
}
