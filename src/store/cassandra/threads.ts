// The Cassandra side of threads (migrations/cassandra/0008): a thread's live replies in one partition
// (thread_replies), its summary by compare-and-set on reply_count (thread_summaries). A reply is
// counted when its row is inserted (IF NOT EXISTS) and uncounted when it is deleted (IF EXISTS), so a
// retried or restored append, or a repeated tombstone, changes nothing twice.
import { types } from "cassandra-driver";
import { unavailable } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type { HistoryQuery, MessageRecord } from "../../ports/messages";
import type { ThreadStore, ThreadSummary } from "../../ports/threads";
import type { Cql } from "./client";
import { sortKey } from "./keys";
import { mapLimit } from "./parallel";

/** Root ids per `root_id IN ?` read. */
const IN_LIMIT = 100;
const MAX_ATTEMPTS = 64;

export class CassandraThreads implements ThreadStore {
  constructor(
    private readonly cql: Cql,
    private readonly getMessage: (roomId: string, id: string) => Promise<MessageRecord | null>,
  ) {}

  /** Counts a newly stored reply in its root's summary (once). */
  async added(message: MessageRecord): Promise<void> {
    if (!message.threadRoot) return;
    const { applied } = await this.cql.lwt(
      `INSERT INTO thread_replies (room_id, root_id, seq, message_id, created_at) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
      [message.roomId, message.threadRoot, sortKey(message.id), message.id, message.createdAt],
      "room",
    );
    if (applied) await this.#adjust(message.roomId, message.threadRoot, 1);
  }

  /** Takes a deleted reply out of its root's summary (once). */
  async removed(roomId: string, rootId: string, replyId: string): Promise<void> {
    const { applied } = await this.cql.lwt(
      "DELETE FROM thread_replies WHERE room_id = ? AND root_id = ? AND seq = ? IF EXISTS",
      [roomId, rootId, sortKey(replyId)],
      "room",
    );
    if (applied) await this.#adjust(roomId, rootId, -1);
  }

  /** reply_count += delta by compare-and-set; last_reply_at read after this call's own change. */
  async #adjust(roomId: string, rootId: string, delta: number) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.cql.one(
        "SELECT reply_count FROM thread_summaries WHERE room_id = ? AND root_id = ?",
        [roomId, rootId],
        { consistency: types.consistencies.localSerial },
      );
      const newest = await this.cql.one(
        "SELECT created_at FROM thread_replies WHERE room_id = ? AND root_id = ? ORDER BY seq DESC LIMIT 1",
        [roomId, rootId],
      );
      const last = newest?.created_at ?? null;
      const count = Math.max(0, (current?.reply_count ?? 0) + delta);
      const { applied } = current
        ? await this.cql.lwt(
            "UPDATE thread_summaries SET reply_count = ?, last_reply_at = ? WHERE room_id = ? AND root_id = ? IF reply_count = ?",
            [count, last, roomId, rootId, current.reply_count],
            "room",
          )
        : await this.cql.lwt(
            "INSERT INTO thread_summaries (room_id, root_id, reply_count, last_reply_at) VALUES (?, ?, ?, ?) IF NOT EXISTS",
            [roomId, rootId, count, last],
            "room",
          );
      if (applied) return;
    }
    throw unavailable("storage", new Error("thread summary contended"));
  }

  async threadSummaries(roomId: string, rootIds: string[]): Promise<Map<string, ThreadSummary>> {
    const summaries = new Map<string, ThreadSummary>();
    const ids = [...new Set(rootIds.filter(isUuid).map((id) => id.toLowerCase()))];
    if (!isUuid(roomId) || ids.length === 0) return summaries;
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += IN_LIMIT) chunks.push(ids.slice(i, i + IN_LIMIT));
    const results = await mapLimit(chunks, 4, (chunk) =>
      this.cql.read(
        "SELECT root_id, reply_count, last_reply_at FROM thread_summaries WHERE room_id = ? AND root_id IN ?",
        [roomId, chunk],
      ),
    );
    for (const result of results)
      for (const row of result.rows)
        if (row.reply_count > 0 && row.last_reply_at)
          summaries.set(row.root_id.toString(), { replyCount: row.reply_count, lastReplyAt: row.last_reply_at });
    return summaries;
  }

  /** The thread's reply ids by key range in the page's order, then each message read (bounded fan-out). */
  async listThreadMessages(roomId: string, rootId: string, query: HistoryQuery): Promise<MessageRecord[]> {
    if (!isUuid(roomId) || !isUuid(rootId) || query.limit <= 0) return [];
    const ascending = query.after !== undefined;
    const bounds: Buffer[] = [];
    let where = "room_id = ? AND root_id = ?";
    if (query.after !== undefined) {
      where += " AND seq > ?";
      bounds.push(sortKey(query.after));
    }
    if (query.before !== undefined) {
      where += " AND seq < ?";
      bounds.push(sortKey(query.before));
    }
    if (bounds.length === 2 && Buffer.compare(bounds[0]!, bounds[1]!) >= 0) return [];
    const rows = await this.cql.read(
      `SELECT message_id FROM thread_replies WHERE ${where} ORDER BY seq ${ascending ? "ASC" : "DESC"} LIMIT ?`,
      [roomId, rootId, ...bounds, query.limit],
    );
    const messages = await mapLimit(rows.rows, 16, (row) => this.getMessage(roomId, row.message_id.toString()));
    return messages.filter((m): m is MessageRecord => m !== null && !m.deleted);
  }

  /** Drops the room's threads (its summaries name every thread that had a reply). */
  async purge(roomId: string): Promise<void> {
    const roots: string[] = [];
    for await (const row of this.cql.rows("SELECT root_id FROM thread_summaries WHERE room_id = ?", [roomId]))
      roots.push(row.root_id.toString());
    await mapLimit(roots, 16, (rootId) =>
      this.cql.write("DELETE FROM thread_replies WHERE room_id = ? AND root_id = ?", [roomId, rootId]),
    );
    await this.cql.write("DELETE FROM thread_summaries WHERE room_id = ?", [roomId]);
  }
}
