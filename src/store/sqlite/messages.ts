// The SQLite side of MessageStore: messages in `seq` (= messageSortKey) order, reactions, read markers.
import type { Database } from "bun:sqlite";
import { notFound } from "../../domain/errors";
import { messageSortKey } from "../../domain/ids";
import type { HistoryQuery, MessageRecord, MessageStore, ReactionRecord, UnreadCount } from "../../ports/messages";
import type { MessageDraft, MintMessageId } from "../../ports/room-log";
import { mintedAfter } from "../shared";
import { claimAttachments } from "./attachments";

/** Runs a statement with the adapter's error translation. */
type Run = <T>(work: (db: Database) => T) => T;

export type MessageRow = {
  id: string;
  position: number;
  room_id: string;
  author_id: string;
  author_username: string;
  content: string;
  created_at: number;
  edited_at: number | null;
  deleted: number;
  reply_to: string | null;
  thread_root: string | null;
  client_id: string | null;
  mentions: string;
  attachment_ids: string;
};

/** The columns a message is made of; a room's history page reads its lists as NULL when empty. */
type StoredMessage = Omit<MessageRow, "room_id" | "mentions" | "attachment_ids"> & {
  mentions: string | null;
  attachment_ids: string | null;
};

export const toMessage = (row: MessageRow): MessageRecord => messageOf(row, row.room_id);

const messageOf = (row: StoredMessage, roomId: string): MessageRecord => ({
  id: row.id,
  seq: row.position,
  roomId,
  authorId: row.author_id,
  authorUsername: row.author_username,
  content: row.content,
  createdAt: new Date(row.created_at),
  editedAt: row.edited_at === null ? null : new Date(row.edited_at),
  deleted: row.deleted === 1,
  replyTo: row.reply_to,
  threadRoot: row.thread_root,
  clientId: row.client_id,
  mentions: jsonList(row.mentions),
  attachmentIds: jsonList(row.attachment_ids),
});

/**
 * A JSON array column; most messages carry none, and "[]" (or the NULL a page reads it as) needs no
 * parser (a fresh array each time).
 */
const jsonList = (text: string | null): string[] => (text === null || text === "[]" ? [] : JSON.parse(text));

export const COLUMNS =
  "id, position, room_id, author_id, author_username, content, created_at, edited_at, deleted, reply_to, thread_root, client_id, mentions, attachment_ids";

/** Most message ids listReactions binds one by one (a history page has at most 200). */
const MAX_BOUND_IDS = 200;

type Inserted = { message: MessageRecord; created: boolean };

export class SqliteMessages implements MessageStore {
  readonly #db: Database;
  readonly #run: Run;
  /** appendMessage's transaction, made once: bun:sqlite builds several wrapper functions per `transaction()`. */
  readonly #append: { immediate(draft: MessageDraft, mintId: MintMessageId): Inserted };

  constructor(db: Database, run: Run) {
    this.#db = db;
    this.#run = run;
    this.#append = db.transaction((draft: MessageDraft, mintId: MintMessageId) => this.#appendOrFind(draft, mintId));
  }

  /**
   * One IMMEDIATE transaction (so one writer at a time, across processes too): a message with the same
   * (room, author, clientId) is returned as it is; otherwise the room's head moves to the next position
   * and the message, its id minted after the room's last message id, is stored there with its log row,
   * its attachments claimed in the same transaction (a refused claim rolls it all back).
   */
  async appendMessage(draft: MessageDraft, mintId: MintMessageId) {
    return this.#run(() => this.#append.immediate(draft, mintId));
  }

  async getMessage(roomId: string, id: string) {
    const row = this.#run((db) =>
      db
        .query<MessageRow, [string, string]>(`SELECT ${COLUMNS} FROM messages WHERE room_id = ? AND id = ?`)
        .get(roomId, id),
    );
    return row ? toMessage(row) : null;
  }

  async findMessageByClientId(roomId: string, authorId: string, clientId: string) {
    return this.#run(() => this.#byClientId(roomId, authorId, clientId));
  }

  /**
   * `before`: older than it, newest first. `after`: newer than it, oldest first (with both, the range
   * between them, oldest first). Neither: the newest, newest first. Cursors compare by sort key, so
   * they need not exist; a page is one range scan of (room_id, seq), starting at the cursor: only the
   * bounds given are in the statement, so SQLite seeks to them instead of filtering from an end.
   */
  async listMessages(roomId: string, query: HistoryQuery) {
    return this.#run((db) => historyPage(db, "room_id = $roomId", { roomId }, query));
  }

  /** Also applies to a tombstone; the domain refuses edits of deleted messages. */
  async updateMessage(roomId: string, id: string, patch: { content: string; editedAt: Date; mentions: string[] }) {
    const row = this.#run((db) =>
      db
        .query<MessageRow, [string, number, string, string, string]>(
          `UPDATE messages SET content = ?, edited_at = ?, mentions = ? WHERE room_id = ? AND id = ? AND deleted = 0
           RETURNING ${COLUMNS}`,
        )
        .get(patch.content, patch.editedAt.getTime(), JSON.stringify(patch.mentions), roomId, id),
    );
    // No row: missing, or a tombstone, which an edit racing a delete must not bring back.
    return row ? toMessage(row) : this.getMessage(roomId, id);
  }

  async tombstoneMessage(roomId: string, id: string) {
    const row = this.#run((db) =>
      db
        .query<MessageRow, [string, string]>(
          `UPDATE messages SET content = '', deleted = 1, mentions = '[]', attachment_ids = '[]'
           WHERE room_id = ? AND id = ? RETURNING ${COLUMNS}`,
        )
        .get(roomId, id),
    );
    return row ? toMessage(row) : null;
  }

  async latestMessage(roomId: string) {
    const row = this.#run((db) =>
      db
        .query<MessageRow, [string]>(`SELECT ${COLUMNS} FROM messages WHERE room_id = ? ORDER BY seq DESC LIMIT 1`)
        .get(roomId),
    );
    return row ? toMessage(row) : null;
  }

  /** Does not check that the message exists; the domain does. */
  async addReaction(roomId: string, reaction: ReactionRecord) {
    const { changes } = this.#run((db) =>
      db
        .query(
          `INSERT INTO message_reactions (room_id, message_id, message_seq, emoji, user_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room_id, message_id, emoji, user_id) DO NOTHING`,
        )
        .run(
          roomId,
          reaction.messageId,
          messageSortKey(reaction.messageId),
          reaction.emoji,
          reaction.userId,
          Date.now(),
        ),
    );
    return changes === 1;
  }

  async removeReaction(roomId: string, reaction: ReactionRecord) {
    const { changes } = this.#run((db) =>
      db
        .query("DELETE FROM message_reactions WHERE room_id = ? AND message_id = ? AND emoji = ? AND user_id = ?")
        .run(roomId, reaction.messageId, reaction.emoji, reaction.userId),
    );
    return changes === 1;
  }

  /**
   * Grouped by message in message order (whatever order `messageIds` has), then by emoji in the order
   * each emoji first appeared on that message (among the reactions still present), then by insertion.
   */
  /**
   * One statement for all the ids. Up to MAX_BOUND_IDS they are bound one per placeholder (SQLite
   * seeks each in the index; about half the cost of reading a JSON array through json_each, which a
   * page of 50 messages without reactions spent as much time on as on its messages); more go as one
   * JSON array.
   */
  async listReactions(roomId: string, messageIds: string[]): Promise<ReactionRecord[]> {
    if (messageIds.length === 0) return [];
    const bound = messageIds.length <= MAX_BOUND_IDS;
    const ids = bound ? messageIds.map(() => "?").join(", ") : "SELECT value FROM json_each(?)";
    return this.#run((db) =>
      db
        .query<ReactionRecord, string[]>(
          `SELECT message_id AS messageId, emoji, user_id AS userId FROM message_reactions
           WHERE room_id = ? AND message_id IN (${ids})
           ORDER BY message_seq, MIN(id) OVER (PARTITION BY message_id, emoji), id`,
        )
        .all(roomId, ...(bound ? messageIds : [JSON.stringify(messageIds)])),
    );
  }

  /** Compare-and-set on the sort key: an older or equal id changes nothing. */
  async setReadMarker(roomId: string, userId: string, messageId: string) {
    const { changes } = this.#run((db) =>
      db
        .query(
          `INSERT INTO read_markers (room_id, user_id, message_id, seq, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
           ON CONFLICT (room_id, user_id) DO UPDATE
             SET message_id = excluded.message_id, seq = excluded.seq, updated_at = excluded.updated_at
             WHERE excluded.seq > read_markers.seq`,
        )
        .run(roomId, userId, messageId, messageSortKey(messageId), Date.now()),
    );
    return changes === 1;
  }

  async getReadMarker(roomId: string, userId: string) {
    const row = this.#run((db) =>
      db
        .query<{ message_id: string }, [string, string]>(
          "SELECT message_id FROM read_markers WHERE room_id = ? AND user_id = ?",
        )
        .get(roomId, userId),
    );
    return row?.message_id ?? null;
  }

  /**
   * Counts at most `cap` rows: the first `cap` qualifying messages after `after`, oldest first, and
   * `mentioned` looks only at those.
   */
  async countUnread(roomId: string, userId: string, after: string | null, cap: number): Promise<UnreadCount> {
    const row = this.#run((db) =>
      db
        .query<{ count: number; mentioned: number }, [string, string, string, number]>(
          `SELECT COUNT(*) AS count, COALESCE(MAX(mentioned), 0) AS mentioned FROM (
             SELECT EXISTS (SELECT 1 FROM json_each(mentions) WHERE value = ?2) AS mentioned FROM messages
             WHERE room_id = ?1 AND seq > ?3 AND deleted = 0 AND author_id <> ?2
             ORDER BY seq LIMIT ?4)`,
        )
        .get(roomId, userId, after === null ? "" : messageSortKey(after), Math.max(0, cap)),
    );
    return { count: row?.count ?? 0, mentioned: row?.mentioned === 1 };
  }

  #appendOrFind(draft: MessageDraft, mintId: MintMessageId): Inserted {
    if (draft.clientId !== null) {
      const first = this.#byClientId(draft.roomId, draft.authorId, draft.clientId);
      if (first) return { message: first, created: false };
    }
    const head = this.#db
      .query<{ head: number; last_message_id: string | null }, [string]>(
        "SELECT head, last_message_id FROM rooms WHERE id = ?",
      )
      .get(draft.roomId);
    if (!head) throw notFound("room");
    const message: MessageRecord = { ...draft, id: mintedAfter(mintId, head.last_message_id), seq: head.head + 1 };
    claimAttachments(this.#db, {
      ids: message.attachmentIds,
      authorId: message.authorId,
      roomId: message.roomId,
      messageId: message.id,
    });
    this.#db
      .query(
        `INSERT INTO messages (${COLUMNS}, seq)
         VALUES ($id, $position, $roomId, $authorId, $authorUsername, $content, $createdAt, $editedAt, $deleted,
                 $replyTo, $threadRoot, $clientId, $mentions, $attachmentIds, $seq)`,
      )
      .run({
        id: message.id,
        position: message.seq,
        roomId: message.roomId,
        authorId: message.authorId,
        authorUsername: message.authorUsername,
        content: message.content,
        createdAt: message.createdAt.getTime(),
        editedAt: message.editedAt?.getTime() ?? null,
        deleted: message.deleted ? 1 : 0,
        replyTo: message.replyTo,
        threadRoot: message.threadRoot,
        clientId: message.clientId,
        mentions: JSON.stringify(message.mentions),
        attachmentIds: JSON.stringify(message.attachmentIds),
        seq: messageSortKey(message.id),
      });
    this.#db
      .query("UPDATE rooms SET head = ?, last_message_id = ? WHERE id = ?")
      .run(message.seq, message.id, message.roomId);
    this.#db
      .query("INSERT INTO room_log (room_id, position, type, message_id) VALUES (?, ?, 'message.created', ?)")
      .run(message.roomId, message.seq, message.id);
    return { message, created: true };
  }

  #byClientId(roomId: string, authorId: string, clientId: string) {
    const row = this.#db
      .query<MessageRow, [string, string, string]>(
        `SELECT ${COLUMNS} FROM messages WHERE room_id = ? AND author_id = ? AND client_id = ?`,
      )
      .get(roomId, authorId, clientId);
    return row ? toMessage(row) : null;
  }
}

/**
 * What a history page reads of each row. Every text value read costs a string made on the JS side
 * (the most of a page's time in bun:sqlite), so a page reads none it can do without: not the room id,
 * which the query names, and NULL for the empty lists most messages carry.
 */
const PAGE_COLUMNS =
  "id, position, author_id, author_username, content, created_at, edited_at, deleted, reply_to, thread_root, client_id, " +
  "nullif(mentions, '[]') AS mentions, nullif(attachment_ids, '[]') AS attachment_ids, reaction_count, reply_count";

/**
 * One page of the room's messages matching `where` (its parameters in `params`) within history's
 * bounds: newest first (below `before` when given), or oldest first above `after` when given; at most
 * `limit`.
 */
export function historyPage(
  db: Database,
  where: string,
  params: { roomId: string } & Record<string, string | number>,
  query: HistoryQuery,
): MessageRecord[] {
  const bound: Record<string, string | number> = { ...params, limit: query.limit };
  let clause = where;
  if (query.after !== undefined) {
    clause += " AND seq > $after";
    bound.after = messageSortKey(query.after);
  }
  if (query.before !== undefined) {
    clause += " AND seq < $before";
    bound.before = messageSortKey(query.before);
  }
  const order = query.after !== undefined ? "ASC" : "DESC";
  const rows = db
    .query<PageRow, [Record<string, string | number>]>(
      `SELECT ${PAGE_COLUMNS} FROM messages WHERE ${clause} ORDER BY seq ${order} LIMIT $limit`,
    )
    .all(bound);
  return rows.map((row) => toPageMessage(params.roomId, row));
}

/** A page's row (PAGE_COLUMNS). */
type PageRow = StoredMessage & { reaction_count: number; reply_count: number };

/** A page's message with the hints of migration 0010: no reaction rows, no live thread replies. */
const toPageMessage = (roomId: string, row: PageRow): MessageRecord => {
  const message = messageOf(row, roomId);
  message.hasReactions = row.reaction_count > 0;
  message.hasReplies = row.reply_count > 0;
  return message;
};
