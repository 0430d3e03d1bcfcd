// The Cassandra side of messages: appended at the room's next position (room-log.ts), then stored in
// (room, bucket) partitions ordered by sort key (keys.ts), history paged across buckets (buckets.ts),
// idempotent sends claimed by LWT on (room, author, client id), edits and tombstones as compare-and-set
// so an edit never revives a deleted message.
import { conflict, notFound } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type { HistoryQuery, MessageRecord } from "../../ports/messages";
import type { LogEntry, MessageDraft, MintMessageId } from "../../ports/room-log";
import { mintedAfter } from "../shared";
import type { CassandraAttachments } from "./attachments";
import type { MessageBuckets } from "./buckets";
import type { Cql, Row } from "./client";
import { compareKeys, MAX_BUCKET, MIN_BUCKET, sortKey } from "./keys";
import { mapLimit } from "./parallel";
import { type CassandraRoomLog, type LogTicket, toEntry } from "./room-log";
import type { CassandraThreads } from "./threads";

/** A client-id claim waits this long for its message before a retry may claim it again. */
const PENDING_CLAIM_TTL_SECONDS = 600;
/** How long a repeated send waits for the first one, still being stored, before answering `conflict`. */
const CLAIM_WAIT_MS = 3000;

const COLUMNS =
  "id, position, room_id, author_id, author_username, content, created_at, edited_at, deleted, reply_to, thread_root, client_id, mentions, attachment_ids";

const toMessage = (row: Row): MessageRecord => ({
  id: row.id.toString(),
  seq: Number(row.position ?? 0),
  roomId: row.room_id.toString(),
  authorId: row.author_id.toString(),
  authorUsername: row.author_username,
  content: row.content ?? "",
  createdAt: row.created_at,
  editedAt: row.edited_at ?? null,
  deleted: row.deleted === true,
  replyTo: row.reply_to?.toString() ?? null,
  threadRoot: row.thread_root?.toString() ?? null,
  clientId: row.client_id ?? null,
  mentions: (row.mentions ?? []).map(String),
  attachmentIds: row.attachment_ids ?? [],
});

/** The message as kept with its client-id claim (JSON), and back. */
const encode = (message: MessageRecord) => JSON.stringify(message);
const decode = (json: string): MessageRecord => {
  const m = JSON.parse(json);
  return {
    ...m,
    seq: m.seq ?? 0,
    threadRoot: m.threadRoot ?? null,
    createdAt: new Date(m.createdAt),
    editedAt: m.editedAt === null ? null : new Date(m.editedAt),
  };
};

export class CassandraMessages {
  constructor(
    private readonly cql: Cql,
    private readonly buckets: MessageBuckets,
    private readonly log: CassandraRoomLog,
    private readonly attachments: CassandraAttachments,
    private readonly roomExists: (roomId: string) => Promise<boolean>,
    /** Set right after construction (it reads messages through this class). */
    public threads: CassandraThreads | null = null,
  ) {}

  /**
   * Without a client id: the log entry (which takes the position and mints the id), then the bucket row
   * and the message row. With one: first a pending claim on (room, author, client id) by `INSERT ... IF
   * NOT EXISTS USING TTL` (LOCAL_SERIAL); the winner appends, then records the message in the claim. A
   * loser returns the claimed message once the claim names it, waiting up to CLAIM_WAIT_MS for that,
   * else `conflict` (retry). A pending claim whose winner died expires, and the next retry claims again.
   * Throws `not_found` when the claim belongs to a room that has been deleted.
   */
  async appendMessage(
    draft: MessageDraft,
    mintId: MintMessageId,
  ): Promise<{ message: MessageRecord; created: boolean }> {
    // The room's place in this process's order of appends is taken now, before any claim.
    const ticket = this.log.reserve(draft.roomId);
    try {
      return await this.#claimAndAppend(draft, mintId, ticket);
    } finally {
      ticket.cancel();
    }
  }

  async #claimAndAppend(
    draft: MessageDraft,
    mintId: MintMessageId,
    ticket: LogTicket,
  ): Promise<{ message: MessageRecord; created: boolean }> {
    if (draft.clientId === null) {
      return { message: await this.#append(draft, mintId, await this.#claimAttachments(draft), ticket), created: true };
    }
    const claimKey = [draft.roomId, draft.authorId, draft.clientId];
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (;;) {
      const { applied, row } = await this.cql.lwt(
        `INSERT INTO message_client_ids (room_id, author_id, client_id) VALUES (?, ?, ?)
         IF NOT EXISTS USING TTL ${PENDING_CLAIM_TTL_SECONDS}`,
        claimKey,
        "room",
      );
      if (applied) {
        const claim = await this.#claimAttachments(draft).catch(async (error) => {
          // Nothing was appended: the client id is free again for a corrected retry.
          await this.cql.lwt(
            "DELETE FROM message_client_ids WHERE room_id = ? AND author_id = ? AND client_id = ? IF message_id = null",
            claimKey,
            "room",
          );
          throw error;
        });
        const message = await this.#append(draft, mintId, claim, ticket);
        await this.cql.lwt(
          "UPDATE message_client_ids SET message_id = ?, message = ? WHERE room_id = ? AND author_id = ? AND client_id = ? IF EXISTS",
          [message.id, encode(message), ...claimKey],
          "room",
        );
        return { message, created: true };
      }
      // Someone else's send: waiting for it must not hold up the room's other appends.
      ticket.cancel();
      if (row?.message_id) {
        const first = await this.#claimed(row);
        if (!first) throw notFound("room");
        return { message: first, created: false };
      }
      if (Date.now() > deadline) throw conflict("a message with this client_id is still being stored; retry");
      await Bun.sleep(50);
    }
  }

  /** The claim id of the draft's attachments, claimed for its room (see attachments.ts); null: none. */
  async #claimAttachments(draft: MessageDraft): Promise<string | null> {
    if (draft.attachmentIds.length === 0) return null;
    return this.attachments.claim(draft.attachmentIds, draft.authorId, draft.roomId);
  }

  /**
   * Takes the room's next position and mints the id, then names the message on its claimed
   * attachments, then stores the message row: a message row that exists has its attachments bound
   * (a restore binds them too). A failed append gives the claims back.
   */
  async #append(
    draft: MessageDraft,
    mintId: MintMessageId,
    claim: string | null,
    ticket: LogTicket,
  ): Promise<MessageRecord> {
    let message: MessageRecord | undefined;
    try {
      await ticket.append((head) => {
        const id = mintedAfter(mintId, head.lastMessageId);
        message = { ...draft, id, seq: head.position + 1 };
        return { type: "message.created", messageId: id, payload: encode(message), lastMessageId: id };
      });
    } catch (error) {
      if (claim) await this.attachments.release(draft.attachmentIds, claim);
      throw error;
    }
    if (claim) await this.attachments.bind(draft.attachmentIds, claim, message!.id);
    await this.#write(message!, "plain");
    await this.threads?.added(message!);
    return message!;
  }

  /** Appends an event that is not a message; the room's last message id carries over. */
  async appendEvent(roomId: string, type: string, payload: string): Promise<number> {
    const { position } = await this.log.append(roomId, (head) => ({
      type,
      messageId: null,
      payload,
      lastMessageId: head.lastMessageId,
    }));
    return position;
  }

  /**
   * Entries after `after` by position. A message.created entry whose message row is missing (its writer
   * died between the two writes) is restored from the entry, with `IF NOT EXISTS`.
   */
  async readLog(roomId: string, after: number, limit: number): Promise<LogEntry[]> {
    if (!isUuid(roomId) || limit <= 0) return [];
    const rows = await this.log.read(roomId, after, limit);
    return mapLimit(rows, 16, async (row) => {
      const { messageId, ...entry } = toEntry(row);
      if (entry.type !== "message.created" || messageId === null) return { ...entry, message: null };
      return { ...entry, message: await this.#restored(roomId, messageId, row.payload) };
    });
  }

  async headPosition(roomId: string): Promise<number> {
    if (!isUuid(roomId)) return 0;
    return (await this.log.findHead(roomId)).position;
  }

  /**
   * Rooms in the token order of their partition keys, a page of the driver's paging at a time (the
   * cursor is its page state), each with its head read from the log.
   */
  async scanRooms(cursor: string | null, limit: number) {
    const result = await this.cql.read("SELECT id FROM rooms", [], {
      fetchSize: Math.max(1, limit),
      ...(cursor ? { pageState: cursor } : {}),
    });
    const rooms = await mapLimit(result.rows, 16, async (row) => {
      const roomId = row.id.toString();
      return { roomId, head: (await this.log.findHead(roomId)).position };
    });
    return { rooms, next: result.pageState ?? null };
  }

  /** The message of a log entry; restored from the entry when its row was never written. */
  async #restored(roomId: string, messageId: string, snapshot: string | null): Promise<MessageRecord | null> {
    const stored = await this.getMessage(roomId, messageId);
    if (stored) return stored;
    if (!snapshot) return null;
    const message = decode(snapshot);
    await this.attachments.rebind(message.attachmentIds, roomId, message.id);
    await this.#write(message, "if-absent");
    await this.threads?.added(message);
    return (await this.getMessage(roomId, messageId)) ?? message;
  }

  /** The message a client-id claim names; null when its room is gone. */
  async #claimed(claim: Row): Promise<MessageRecord | null> {
    const roomId = claim.room_id.toString();
    const stored = await this.getMessage(roomId, claim.message_id.toString());
    if (stored) return stored;
    if (!(await this.roomExists(roomId))) return null;
    const message = decode(claim.message);
    await this.attachments.rebind(message.attachmentIds, roomId, message.id);
    await this.#write(message, "if-absent");
    await this.threads?.added(message);
    return (await this.getMessage(roomId, message.id)) ?? message;
  }

  /** The bucket row, then the message row: plainly, or only if there is none yet (LWT). */
  async #write(message: MessageRecord, mode: "plain" | "if-absent") {
    const key = sortKey(message.id);
    const bucket = this.buckets.of(key);
    await this.buckets.record(message.roomId, bucket);
    const insert = `INSERT INTO messages (room_id, bucket, seq, id, position, author_id, author_username, content,
                                          created_at, edited_at, deleted, reply_to, thread_root, client_id, mentions,
                                          attachment_ids)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const values = [
      message.roomId,
      bucket,
      key,
      message.id,
      message.seq,
      message.authorId,
      message.authorUsername,
      message.content,
      message.createdAt,
      message.editedAt,
      message.deleted,
      message.replyTo,
      message.threadRoot,
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

  /** Null also while the first send with this client id is still being stored (its claim is pending). */
  async findMessageByClientId(roomId: string, authorId: string, clientId: string): Promise<MessageRecord | null> {
    if (!isUuid(roomId) || !isUuid(authorId)) return null;
    const claim = await this.cql.one(
      "SELECT room_id, message_id, message FROM message_client_ids WHERE room_id = ? AND author_id = ? AND client_id = ?",
      [roomId, authorId, clientId],
    );
    return claim?.message_id ? this.#claimed(claim) : null;
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

    // The walk's first bucket is most often the cursor's or, for the newest page, today's: that one is
    // read while the walk is, and its rows kept when the walk names it first (one round trip less).
    const guess = low ? this.buckets.of(low) : high ? this.buckets.of(high) : this.buckets.ofTime(Date.now());
    let guessed: ReturnType<Cql["read"]> | null = this.cql.read(select, [roomId, guess, ...bounds, query.limit]);
    guessed.catch(() => {}); // a guess the walk does not name first is dropped, its failure with it

    const page: MessageRecord[] = [];
    let window: number[] = [];
    let width = 1;
    const read = async () => {
      const wanted = query.limit - page.length;
      const speculative = guessed;
      guessed = null;
      const results = await mapLimit(window, window.length, (bucket) =>
        speculative && bucket === guess ? speculative : this.cql.read(select, [roomId, bucket, ...bounds, wanted]),
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

  /**
   * An LWT too (`IF EXISTS`), so it is ordered with edits by Paxos; idempotent. A thread reply then
   * leaves its thread's live replies (once, see threads.ts).
   */
  async tombstoneMessage(roomId: string, id: string) {
    if (!isUuid(roomId) || !isUuid(id)) return null;
    const key = sortKey(id);
    await this.cql.lwt(
      `UPDATE messages SET content = '', deleted = true, mentions = [], attachment_ids = []
       WHERE room_id = ? AND bucket = ? AND seq = ? IF EXISTS`,
      [roomId, this.buckets.of(key), key],
      "room",
    );
    const message = await this.getMessage(roomId, id);
    if (message?.threadRoot) await this.threads?.removed(roomId, message.threadRoot, id);
    return message;
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
    await this.threads?.purge(roomId);
    await this.log.purge(roomId);
    await this.cql.write("DELETE FROM read_markers WHERE room_id = ?", [roomId]);
  }
}
