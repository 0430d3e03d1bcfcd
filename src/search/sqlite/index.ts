// The embedded search adapter: SQLite FTS5 in chatd's own database file (tables of migration
// 0006_search, applied by the SQLite store), on a connection of its own. Every write is one IMMEDIATE
// transaction, so a batch is all or nothing and visible to search as soon as it returns.
import { Database, SQLiteError } from "bun:sqlite";
import { unavailable } from "../../domain/errors";
import { messageSortKey } from "../../domain/ids";
import type { DocumentChange, RoomState, SearchHit, SearchIndex, SearchQuery } from "../../ports/search";
import { indexableContent, MARK_CLOSE, MARK_OPEN, renderFragment } from "../shared";

/** Tokens around the matches in a highlight fragment (FTS5 snippet()). */
const SNIPPET_TOKENS = 32;

type HitRow = { room_id: string; message_id: string; edited_at: number | null; snippet: string | null };

/** An FTS5 MATCH expression of the terms: each one a quoted string (so never FTS5 syntax), all required. */
export const matchExpression = (query: SearchQuery) =>
  query.terms.map((term) => `"${term.text.replaceAll('"', '""')}"${term.prefix ? "*" : ""}`).join(" AND ");

export class SqliteSearchIndex implements SearchIndex {
  readonly #db: Database;
  readonly #apply: { immediate(changes: DocumentChange[], positions: Map<string, number>): void };
  readonly #deleteRoom: { immediate(roomId: string, position: number): void };

  /** `path`: chatd's SQLite database file (the store's), whose migrations created the search tables. */
  constructor(path: string) {
    this.#db = new Database(path, { create: true, strict: true });
    this.#db.exec("PRAGMA busy_timeout = 5000");
    this.#db.exec("PRAGMA synchronous = NORMAL");
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
    const upsert = db.query(
      `INSERT INTO search_docs (message_id, room_id, sort_key, version, deleted, author_id, created_at, edited_at, content)
       VALUES ($messageId, $roomId, $sortKey, $version, $deleted, $authorId, $createdAt, $editedAt, $content)
       ON CONFLICT (message_id) DO UPDATE SET
         version = excluded.version, deleted = excluded.deleted, edited_at = excluded.edited_at, content = excluded.content
       WHERE excluded.version > search_docs.version`,
    );
    for (const change of changes) {
      const roomId = roomOf(change);
      if (deleted.has(roomId)) continue;
      if (change.type === "put") {
        const { message } = change;
        upsert.run({
          messageId: message.messageId,
          roomId,
          sortKey: messageSortKey(message.messageId),
          version: change.version,
          deleted: 0,
          authorId: message.authorId,
          createdAt: message.createdAt.getTime(),
          editedAt: message.editedAt?.getTime() ?? null,
          content: indexableContent(message.content),
        });
      } else {
        upsert.run({
          messageId: change.messageId,
          roomId,
          sortKey: messageSortKey(change.messageId),
          version: change.version,
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
        .query<HitRow, [string, string, string | null, number]>(
          // The page is chosen first (order and limit over the matches), highlights made for it only.
          `WITH page AS (
             SELECT d.id, d.room_id, d.message_id, d.edited_at, d.sort_key
             FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid
             WHERE search_fts MATCH ?1 AND d.deleted = 0
               AND d.room_id IN (SELECT value FROM json_each(?2))
               AND (?3 IS NULL OR d.sort_key < ?3)
             ORDER BY d.sort_key DESC LIMIT ?4
           )
           SELECT page.room_id, page.message_id, page.edited_at,
             snippet(search_fts, 0, '${MARK_OPEN}', '${MARK_CLOSE}', '…', ${SNIPPET_TOKENS}) AS snippet
           FROM page JOIN search_fts ON search_fts.rowid = page.id
           WHERE search_fts MATCH ?1
           ORDER BY page.sort_key DESC`,
        )
        .all(
          matchExpression(query),
          JSON.stringify(query.roomIds),
          query.before ? messageSortKey(query.before) : null,
          query.limit,
        ),
    );
    return rows.map((row) => ({
      roomId: row.room_id,
      messageId: row.message_id,
      editedAt: row.edited_at === null ? null : new Date(row.edited_at),
      highlights: row.snippet ? [renderFragment(row.snippet)] : [],
    }));
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
    this.#db.close(false);
  }
}

const roomOf = (change: DocumentChange) => (change.type === "put" ? change.message.roomId : change.roomId);
