// The Cassandra side of messages: rows in (room, bucket) partitions ordered by sort key (keys.ts),
// history paged across buckets (buckets.ts), idempotent sends claimed by LWT on (room, author,
// client id), edits and tombstones as compare-and-set so an edit never revives a deleted message.
import { notFound } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type { HistoryQuery, MessageRecord } from "../../ports/messages";
import type { MessageBuckets } from "./buckets";
import type { Cql, Row } from "./client";
import { compareKeys, MAX_BUCKET, MIN_BUCKET, sortKey } from "./keys";
import { mapLimit } from "./parallel";

const COLUMNS =
  "id, room_id, author_id, author_username, content, created_at, edited_at, deleted, reply_to, client_id, mentions, attachment_ids";

const toMessage = (row: Row): MessageRecord => ({
  id: row.id.toString(),
  roomId: row.room_id.toString(),
  authorId: row.author_id.toString(),
  authorUsername: row.author_username,
  content: row.content ?? "",
  createdAt: row.created_at,
  editedAt: row.edited_at ?? null,
  deleted: row.deleted === true,
  replyTo: row.reply_to?.toString() ?? null,
  clientId: row.client_id ?? null,
  mentions: (row.mentions ?? []).map(String),
  attachmentIds: row.attachment_ids ?? [],
});

/** The message as kept with its client-id claim (JSON), and back. */
const encode = (message: MessageRecord) => JSON.stringify(message);
const decode = (json: string): MessageRecord => {
  const m = JSON.parse(json);
  return { ...m, createdAt: new Date(m.createdAt), editedAt: m.editedAt === null ? null : new Date(m.editedAt) };
};

export class CassandraMessages {
  constructor(
    private readonly cql: Cql,
    private readonly buckets: MessageBuckets,
    private readonly roomExists: (roomId: string) => Promise<boolean>,
  ) {}

  /**
   * Without a client id: the bucket row, then the message. With one: first the claim on (room, author,
   * client id) by `INSERT ... IF NOT EXISTS` (LOCAL_SERIAL), which also stores the message; the winner
   * then writes it. A loser returns the claimed message: as stored, or — when the winner has not written
   * it yet, or died first — as claimed, after writing it itself with `IF NOT EXISTS`, so it never
   * overwrites the winner's row nor an edit or delete that came after it.
   * Throws `not_found` when the claim belongs to a room that has been deleted.
   */
  async insertMessage(message: MessageRecord): Promise<{ message: MessageRecord; created: boolean }> {
    if (message.clientId === null) {
      await this.#write(message, "plain");
      return { message, created: true };
    }
    const { applied, row } = await this.cql.lwt(
      `INSERT INTO message_client_ids (room_id, author_id, client_id, message_id, message)
       VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
      [message.roomId, message.authorId, message.clientId, message.id, encode(message)],
      "room",
    );
    if (applied) {
      await this.#write(message, "plain");
      return { message, created: true };
    }
    const first = await this.#claimed(row!);
    if (!first) throw notFound("room");
    return { message: first, created: false };
  }

  /** The message a client-id claim names; null when its room is gone. */
  async #claimed(claim: Row): Promise<MessageRecord | null> {
    const roomId = claim.room_id.toString();
    const stored = await this.getMessage(roomId, claim.message_id.toString());
    if (stored) return stored;
    if (!(await this.roomExists(roomId))) return null;
    const message = decode(claim.message);
    await this.#write(message, "if-absent");
    return (await this.getMessage(roomId, message.id)) ?? message;
  }

  /** The bucket row, then the message row: plainly, or only if there is none yet (LWT). */
  async #write(message: MessageRecord, mode: "plain" | "if-absent") {
    const key = sortKey(message.id);
    const bucket = this.buckets.of(key);
    await this.buckets.record(message.roomId, bucket);
    const insert = `INSERT INTO messages (room_id, bucket, seq, id, author_id, author_username, content, created_at,
                                          edited_at, deleted, reply_to, client_id, mentions, attachment_ids)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const values = [
      message.roomId,
      bucket,
      key,
      message.id,
      message.authorId,
      message.authorUsername,
      message.content,
      message.createdAt,
      message.editedAt,
      message.deleted,
      message.replyTo,
      message.clientId,
      message.mentions,
      message.attachmentIds,
    ];
    if (mode === "plain") await this.cql.write(insert, values);
    else await this.cql.lwt(`${insert} IF NOT EXISTS`, values, "room");
  }

  async getMessage(roomId: string, id: string): Promise<MessageRecord | null> {
    if (!isUuid(roomId) || !isUuid(id)) return null;
    const key = sortKey(id);
    const row = await this.cql.one(`SELECT ${COLUMNS} FROM messages WHERE room_id = ? AND bucket = ? AND seq = ?`, [
      roomId,
      this.buckets.of(key),
      key,
    ]);
    // The key drops the version digit: make sure this is the very id asked for.
    return row && row.id.toString() === id.toLowerCase() ? toMessage(row) : null;
  }

  async findMessageByClientId(roomId: string, authorId: string, clientId: string): Promise<MessageRecord | null> {
    if (!isUuid(roomId) || !isUuid(authorId)) return null;
    const claim = await this.cql.one(
      "SELECT room_id, message_id, message FROM message_client_ids WHERE room_id = ? AND author_id = ? AND client_id = ?",
      [roomId, authorId, clientId],
    );
    return claim ? this.#claimed(claim) : null;
  }

  /**
   * `before`: older than it, newest first. `after`: newer than it, oldest first (with both, the range
   * between them, oldest first). Neither: the newest, newest first. Walks the room's non-empty buckets
   * in that order, a growing number of them at a time, each read bounded by the cursors and by what
   * is still missing from the page. Cursors compare by sort key, so they need not exist.
   */
  async listMessages(roomId: string, query: HistoryQuery): Promise<MessageRecord[]> {
    if (!isUuid(roomId) || query.limit <= 0) return [];
    const ascending = query.after !== undefined;
    const low = query.after === undefined ? null : sortKey(query.after);
    const high = query.before === undefined ? null : sortKey(query.before);
    if (low && high && compareKeys(low, high) >= 0) return [];
    const bounds = [...(low ? [low] : []), ...(high ? [high] : [])];
    const select = `SELECT ${COLUMNS} FROM messages WHERE room_id = ? AND bucket = ?${low ? " AND seq > ?" : ""}${
      high ? " AND seq < ?" : ""
    }${ascending ? " ORDER BY seq ASC" : ""} LIMIT ?`;

    const page: MessageRecord[] = [];
    let window: number[] = [];
    let width = 1;
    const read = async () => {
      const wanted = query.limit - page.length;
      const results = await mapLimit(window, window.length, (bucket) =>
        this.cql.read(select, [roomId, bucket, ...bounds, wanted]),
      );
      for (const result of results)
        for (const row of result.rows) if (page.length < query.limit) page.push(toMessage(row));
      window = [];
      width = Math.min(width * 2, 8);
    };
    const buckets = this.buckets.walk(
      roomId,
      low ? this.buckets.of(low) : MIN_BUCKET,
      high ? this.buckets.of(high) : MAX_BUCKET,
      ascending ? "asc" : "desc",
    );
    for await (const bucket of buckets) {
      window.push(bucket);
      if (window.length < width) continue;
      await read();
      if (page.length >= query.limit) break;
    }
    if (window.length > 0 && page.length < query.limit) await read();
    return page;
  }

  /** Compare-and-set `IF deleted = false`: an edit racing a delete cannot bring the content back. */
  async updateMessage(roomId: string, id: string, patch: { content: string; editedAt: Date; mentions: string[] }) {
    if (!isUuid(roomId) || !isUuid(id)) return null;
    const key = sortKey(id);
    await this.cql.lwt(
      "UPDATE messages SET content = ?, edited_at = ?, mentions = ? WHERE room_id = ? AND bucket = ? AND seq = ? IF deleted = false",
      [patch.content, patch.editedAt, patch.mentions, roomId, this.buckets.of(key), key],
      "room",
    );
    return this.getMessage(roomId, id);
  }

  /** An LWT too (`IF EXISTS`), so it is ordered with edits by Paxos; idempotent. */
  async tombstoneMessage(roomId: string, id: string) {
    if (!isUuid(roomId) || !isUuid(id)) return null;
    const key = sortKey(id);
    await this.cql.lwt(
      `UPDATE messages SET content = '', deleted = true, mentions = [], attachment_ids = []
       WHERE room_id = ? AND bucket = ? AND seq = ? IF EXISTS`,
      [roomId, this.buckets.of(key), key],
      "room",
    );
    return this.getMessage(roomId, id);
  }

  async latestMessage(roomId: string): Promise<MessageRecord | null> {
    return (await this.listMessages(roomId, { limit: 1 }))[0] ?? null;
  }

  /**
   * Deletes the room's message and reaction partitions, bucket by bucket, then the bucket list and the
   * read markers. Client-id claims stay behind: they name a room that no longer exists, which is how
   * they read (null) from then on.
   */
  async purge(roomId: string): Promise<void> {
    const buckets: number[] = [];
    for await (const bucket of this.buckets.walk(roomId, MIN_BUCKET, MAX_BUCKET, "desc")) buckets.push(bucket);
    await mapLimit(buckets, 16, (bucket) =>
      Promise.all([
        this.cql.write("DELETE FROM messages WHERE room_id = ? AND bucket = ?", [roomId, bucket]),
        this.cql.write("DELETE FROM message_reactions WHERE room_id = ? AND bucket = ?", [roomId, bucket]),
      ]),
    );
    await this.buckets.purge(roomId);
    await this.cql.write("DELETE FROM read_markers WHERE room_id = ?", [roomId]);
  }
}
