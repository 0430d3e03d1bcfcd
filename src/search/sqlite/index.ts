// The embedded search adapter: SQLite FTS5 in chatd's own database file (tables of migration
// 0006_search, applied by the SQLite store), on the store's connection when a store of this process
// has the file open (store/sqlite/database.ts, lendDatabase: two connections would empty each other's
// page cache on every commit), else on a connection of its own. Every write is one IMMEDIATE
// transaction, so a batch is all or nothing and visible to search as soon as it returns.
import { type Database, SQLiteError } from "bun:sqlite";
import { unavailable } from "../../domain/errors";
import { messageSortKey } from "../../domain/ids";
import type { DocumentChange, RoomState, SearchHit, SearchIndex, SearchQuery } from "../../ports/search";
import { borrowDatabase, openDatabase } from "../../store/sqlite/database";
import { indexableContent, MARK_CLOSE, MARK_OPEN, renderFragment } from "../shared";

/** Tokens around the matches in a highlight fragment (FTS5 snippet()). */
const SNIPPET_TOKENS = 32;

type HitRow = { room_id: string; message_id: string; edited_at: number | null; snippet: string | null };

/** An FTS5 MATCH expression of the terms: each one a quoted string (so never FTS5 syntax), all required. */
export const matchExpression = (query: SearchQuery) =>
  query.terms.map((term) => `"${term.text.replaceAll('"', '""')}"${term.prefix ? "*" : ""}`).join(" AND ");

export class SqliteSearchIndex implements SearchIndex {
  readonly #db: Database;
  readonly #close: () => void;
  readonly #apply: { immediate(changes: DocumentChange[], positions: Map<string, number>): void };
  readonly #deleteRoom: { immediate(roomId: string, position: number): void };

  /** `path`: chatd's SQLite database file (the store's), whose migrations created the search tables. */
  constructor(path: string) {
    const borrowed = borrowDatabase(path);
    this.#db = borrowed?.db ?? openDatabase(path);
    this.#close = borrowed?.release ?? (() => this.#db.close(false));
    this.#apply = this.#db.transaction((changes: DocumentChange[], positions: Map<string, number>) =>
      this.#write(changes, positions),
    );
    this.#deleteRoom = this.#db.transaction((roomId: string, position: number) => {
      this.#db.query("DELETE FROM search_docs WHERE room_id = ?").run(roomId);
      this.#db
        .query(
          `INSERT INTO search_rooms (room_id, position, deleted) VALUES (?1, ?2, 1)
           ON CONFLICT (room_id) DO UPDATE SET deleted = 1, position = max(position, excluded.position)`,
        )
        .run(roomId, position);
    });
  }

  #run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (
        error instanceof SQLiteError &&
        (error.code?.startsWith("SQLITE_BUSY") || error.code?.startsWith("SQLITE_LOCKED"))
      )
        throw unavailable("search", error);
      throw error;
    }
  }

  async rooms(roomIds: string[]) {
    const rows = this.#run(() =>
      this.#db
        .query<{ room_id: string; position: number; deleted: number }, [string]>(
          "SELECT room_id, position, deleted FROM search_rooms WHERE room_id IN (SELECT value FROM json_each(?))",
        )
        .all(JSON.stringify(roomIds)),
    );
    return new Map<string, RoomState>(
      rows.map((row) => [row.room_id, { position: row.position, deleted: row.deleted === 1 }]),
    );
  }

  async apply(changes: DocumentChange[], positions: Map<string, number>) {
    if (changes.length > 0 || positions.size > 0) this.#run(() => this.#apply.immediate(changes, positions));
    return { failed: new Set<string>() };
  }

  #write(changes: DocumentChange[], positions: Map<string, number>) {
    const db = this.#db;
    const rooms = new Set([...changes.map((change) => roomOf(change)), ...positions.keys()]);
    const deleted = new Set(
      db
        .query<{ room_id: string }, [string]>(
          "SELECT room_id FROM search_rooms WHERE deleted = 1 AND room_id IN (SELECT value FROM json_each(?))",
        )
        .all(JSON.stringify([...rooms]))
        .map((row) => row.room_id),
    );
    for (const change of changes) {
      const roomId = roomOf(change);
      if (deleted.has(roomId)) continue;
      if (change.type === "put") {
        const { message } = change;
        this.#upsert(message.messageId, roomId, change.version, {
          deleted: 0,
          authorId: message.authorId,
          createdAt: message.createdAt.getTime(),
          editedAt: message.editedAt?.getTime() ?? null,
          content: indexableContent(message.content),
        });
      } else {
        this.#upsert(change.messageId, roomId, change.version, {
          deleted: 1,
          authorId: "",
          createdAt: 0,
          editedAt: null,
          content: "",
        });
      }
    }
    const move = db.query(
      `INSERT INTO search_rooms (room_id, position) VALUES (?1, ?2)
       ON CONFLICT (room_id) DO UPDATE SET position = excluded.position
       WHERE excluded.position > search_rooms.position AND search_rooms.deleted = 0`,
    );
    for (const [roomId, position] of positions) if (!deleted.has(roomId)) move.run(roomId, position);
  }

  /**
   * Stores a document's state at `version` unless the stored one is as new. A new document's rowid is
   * its message id's time (100 ns since 1582) times 8 plus a free slot of the 8 (messages stamped in
   * the same 100 ns by different processes), so FTS5's own rowid order is newest-first order.
   */
  #upsert(
    messageId: string,
    roomId: string,
    version: number,
    state: { deleted: number; authorId: string; createdAt: number; editedAt: number | null; content: string },
  ) {
    const db = this.#db;
    const current = db
      .query<{ version: number }, [string]>("SELECT version FROM search_docs WHERE message_id = ?")
      .get(messageId);
    if (current) {
      if (version <= current.version) return;
      db.query(
        `UPDATE search_docs SET version = $version, deleted = $deleted, edited_at = $editedAt, content = $content
         WHERE message_id = $messageId`,
      ).run({ messageId, version, deleted: state.deleted, editedAt: state.editedAt, content: state.content });
      return;
    }
    const base = rowBase(messageId);
    const taken = new Set(
      db
        .query<{ id: bigint }, [bigint, bigint]>("SELECT id FROM search_docs WHERE id BETWEEN ? AND ?")
        .safeIntegers(true)
        .all(base, base + 7n)
        .map((row) => row.id),
    );
    let id = base;
    while (taken.has(id)) id++;
    if (id > base + 7n) throw new Error(`more than 8 messages stamped in the same 100 ns (${messageId})`);
    db.query(
      `INSERT INTO search_docs (id, message_id, room_id, version, deleted, author_id, created_at, edited_at, content)
       VALUES ($id, $messageId, $roomId, $version, $deleted, $authorId, $createdAt, $editedAt, $content)`,
    ).run({ id, messageId, roomId, version, ...state });
  }

  async deleteRoom(roomId: string, position: number) {
    this.#run(() => this.#deleteRoom.immediate(roomId, position));
  }

  async clearRoom(roomId: string) {
    this.#run(() =>
      this.#db
        .transaction(() => {
          this.#db.query("DELETE FROM search_docs WHERE room_id = ?").run(roomId);
          this.#db.query("DELETE FROM search_rooms WHERE room_id = ? AND deleted = 0").run(roomId);
        })
        .immediate(),
    );
  }

  async clear() {
    this.#run(() =>
      this.#db
        .transaction(() => {
          this.#db.exec("DELETE FROM search_docs");
          this.#db.exec("DELETE FROM search_rooms WHERE deleted = 0");
          this.#db.exec("INSERT INTO search_fts (search_fts) VALUES ('optimize')");
        })
        .immediate(),
    );
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    if (query.terms.length === 0 || query.roomIds.length === 0 || query.limit <= 0) return [];
    const rows = this.#run(() =>
      this.#db
        .query<HitRow, [string, string, bigint | null, number]>(
          // FTS5 walks the matches newest first (rowid order, see #upsert) and stops at the limit, so a
          // common word costs about `limit` matches of the caller's rooms, not every match.
          `SELECT d.room_id, d.message_id, d.edited_at,
             snippet(search_fts, 0, '${MARK_OPEN}', '${MARK_CLOSE}', '…', ${SNIPPET_TOKENS}) AS snippet
           FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid
           WHERE search_fts MATCH ?1 AND (?3 IS NULL OR search_fts.rowid < ?3)
             AND d.deleted = 0 AND d.room_id IN (SELECT value FROM json_each(?2))
           ORDER BY search_fts.rowid DESC LIMIT ?4`,
        )
        .all(matchExpression(query), JSON.stringify(query.roomIds), this.#cursorRow(query.before), query.limit),
    );
    return rows.map((row) => ({
      roomId: row.room_id,
      messageId: row.message_id,
      editedAt: row.edited_at === null ? null : new Date(row.edited_at),
      highlights: row.snippet ? [renderFragment(row.snippet)] : [],
    }));
  }

  /** The rowid results continue below: the cursor message's own, else where its time would put it. */
  #cursorRow(before: string | undefined): bigint | null {
    if (before === undefined) return null;
    const row = this.#db
      .query<{ id: bigint }, [string]>("SELECT id FROM search_docs WHERE message_id = ?")
      .safeIntegers(true)
      .get(before);
    return row?.id ?? rowBase(before);
  }

  async flush() {}

  async watermark() {
    const row = this.#run(() =>
      this.#db.query<{ value: number }, []>("SELECT value FROM search_state WHERE key = 'watermark'").get(),
    );
    return row ? new Date(row.value) : null;
  }

  async setWatermark(at: Date) {
    this.#run(() =>
      this.#db
        .query(
          `INSERT INTO search_state (key, value) VALUES ('watermark', ?1)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > search_state.value`,
        )
        .run(at.getTime()),
    );
  }

  async ping() {
    try {
      this.#db.query("SELECT 1 FROM search_state LIMIT 1").get();
    } catch (error) {
      throw unavailable("search", error);
    }
  }

  async close() {
    this.#close();
  }
}

/** The first rowid a message can have: its id's 60-bit timestamp times 8. */
const rowBase = (messageId: string) => BigInt(`0x${messageSortKey(messageId).slice(0, 15)}`) << 3n;

const roomOf = (change: DocumentChange) => (change.type === "put" ? change.message.roomId : change.roomId);
