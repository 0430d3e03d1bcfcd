// The Cassandra side of what users do with messages after sending: reactions (beside the messages'
// partitions, claimed by LWT), read markers (forward-only by write timestamp), unread counts.
import { compareMessageIds, isUuid } from "../../domain/ids";
import type { ReactionRecord, UnreadCount } from "../../ports/messages";
import type { MessageBuckets } from "./buckets";
import type { Cql, Row } from "./client";
import { compareKeys, idFromSortKey, keyMicros, MAX_BUCKET, MIN_BUCKET, sortKey } from "./keys";
import { mapLimit } from "./parallel";

/** Message keys per `seq IN (...)` read. */
const IN_LIMIT = 100;

export class CassandraReactions {
  constructor(
    private readonly cql: Cql,
    private readonly buckets: MessageBuckets,
    /** Time-ordered ids recording when a reaction was added. */
    private readonly addedOrder: () => string,
  ) {}

  /** `IF NOT EXISTS` (LOCAL_SERIAL): true for exactly one of concurrent identical adds. */
  async addReaction(roomId: string, reaction: ReactionRecord): Promise<boolean> {
    const key = sortKey(reaction.messageId);
    const { applied } = await this.cql.lwt(
      `INSERT INTO message_reactions (room_id, bucket, seq, emoji, user_id, message_id, added)
       VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
      [roomId, this.buckets.of(key), key, reaction.emoji, reaction.userId, reaction.messageId, this.addedOrder()],
      "room",
    );
    return applied;
  }

  /** `IF EXISTS` (LOCAL_SERIAL): true for exactly one of concurrent identical removals. */
  async removeReaction(roomId: string, reaction: ReactionRecord): Promise<boolean> {
    const key = sortKey(reaction.messageId);
    const { applied } = await this.cql.lwt(
      "DELETE FROM message_reactions WHERE room_id = ? AND bucket = ? AND seq = ? AND emoji = ? AND user_id = ? IF EXISTS",
      [roomId, this.buckets.of(key), key, reaction.emoji, reaction.userId],
      "room",
    );
    return applied;
  }

  /**
   * One `seq IN (...)` read per bucket the messages fall in. Grouped by message in message order, then
   * by emoji in the order each emoji first appeared on that message (among the reactions still
   * present), then by who reacted first.
   */
  async listReactions(roomId: string, messageIds: string[]): Promise<ReactionRecord[]> {
    if (messageIds.length === 0 || !isUuid(roomId)) return [];
    const byBucket = new Map<number, Buffer[]>();
    for (const id of new Set(messageIds.filter(isUuid).map((id) => id.toLowerCase()))) {
      const key = sortKey(id);
      const bucket = this.buckets.of(key);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), key]);
    }
    const reads = [...byBucket].flatMap(([bucket, keys]) =>
      Array.from({ length: Math.ceil(keys.length / IN_LIMIT) }, (_, i) => ({
        bucket,
        keys: keys.slice(i * IN_LIMIT, (i + 1) * IN_LIMIT),
      })),
    );
    const results = await mapLimit(reads, 8, ({ bucket, keys }) =>
      this.cql.read(
        "SELECT seq, emoji, user_id, message_id, added FROM message_reactions WHERE room_id = ? AND bucket = ? AND seq IN ?",
        [roomId, bucket, keys],
      ),
    );
    const rows = results.flatMap((result) => result.rows);
    const wanted = new Set(messageIds.map((id) => id.toLowerCase()));
    const added = (row: Row) => String(row.added);
    const firstOfEmoji = new Map<string, string>();
    for (const row of rows) {
      const group = `${row.message_id}/${row.emoji}`;
      const first = firstOfEmoji.get(group);
      if (!first || compareMessageIds(added(row), first) < 0) firstOfEmoji.set(group, added(row));
    }
    const first = (row: Row) => firstOfEmoji.get(`${row.message_id}/${row.emoji}`)!;
    return rows
      .filter((row) => wanted.has(String(row.message_id)))
      .sort(
        (a, b) =>
          compareKeys(a.seq, b.seq) || compareMessageIds(first(a), first(b)) || compareMessageIds(added(a), added(b)),
      )
      .map((row) => ({ messageId: String(row.message_id), emoji: row.emoji, userId: String(row.user_id) }));
  }

  /**
   * The marker is written with the message's own time (µs) as write timestamp, and Cassandra keeps
   * the cell with the greatest timestamp (on a tie, the greater value — the later sort key): so the
   * stored marker is the newest ever set, on every replica, whatever order writes arrive in, with no
   * LWT. The answer compares with the marker read first: exact for one caller, and two racing calls
   * may both report a move (the stored marker is still the newest).
   */
  async setReadMarker(roomId: string, userId: string, messageId: string): Promise<boolean> {
    const key = sortKey(messageId);
    const current = await this.cql.one("SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?", [
      roomId,
      userId,
    ]);
    if (current?.seq && compareKeys(key, current.seq) <= 0) return false;
    await this.cql.write("INSERT INTO read_markers (room_id, user_id, seq) VALUES (?, ?, ?)", [roomId, userId, key], {
      timestamp: keyMicros(key),
    });
    return true;
  }

  async getReadMarker(roomId: string, userId: string): Promise<string | null> {
    if (!isUuid(roomId) || !isUuid(userId)) return null;
    const row = await this.cql.one("SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?", [roomId, userId]);
    return row?.seq ? idFromSortKey(row.seq) : null;
  }

  /**
   * Walks the room's messages after `after`, oldest first, bucket by bucket and a page at a time,
   * counting others' live ones and stopping at `cap` counted.
   */
  async countUnread(roomId: string, userId: string, after: string | null, cap: number): Promise<UnreadCount> {
    const unread: UnreadCount = { count: 0, mentioned: false };
    if (cap <= 0 || !isUuid(roomId)) return unread;
    const low = after === null ? null : sortKey(after);
    const reader = userId.toLowerCase();
    const select = `SELECT author_id, deleted, mentions FROM messages WHERE room_id = ? AND bucket = ?${
      low ? " AND seq > ?" : ""
    } ORDER BY seq ASC`;
    const buckets = this.buckets.walk(roomId, low ? this.buckets.of(low) : MIN_BUCKET, MAX_BUCKET, "asc");
    for await (const bucket of buckets) {
      for await (const row of this.cql.rows(select, low ? [roomId, bucket, low] : [roomId, bucket], 500)) {
        if (row.deleted || String(row.author_id) === reader) continue;
        unread.count++;
        if ((row.mentions ?? []).some((id: unknown) => String(id) === reader)) unread.mentioned = true;
        if (unread.count >= cap) return unread;
      }
    }
    return unread;
  }
}
