// The full-text search port (SQLite FTS5 embedded, OpenSearch in production): message documents kept
// by the indexer (domain/indexer.ts) from room events, searched by the api (domain/search.ts).
//
// Versions. Every document carries the room position (ports/room-log.ts) of the event that produced
// its state: message.created's position, then that of each message.updated / message.deleted. Positions
// only grow within a room, so a change whose version is not greater than the stored one is older news
// (a redelivered or repaired event) and is ignored: nothing old ever overwrites something newer. A
// deletion is a versioned tombstone, kept, so an old create or edit arriving after it cannot revive
// the content. A room deleted with deleteRoom loses its documents and ignores every later change.
//
// Positions. The index also remembers, per room, the position it has applied every event up to, so
// the indexer can tell a gap (an event that never reached it) from a duplicate.

/** One term of a query: matched as a phrase of the tokens of `text`; with `prefix`, the last token is a prefix. */
export type QueryTerm = { text: string; prefix: boolean };

export type SearchQuery = {
  /** Every term must match (1..MAX_TERMS of domain/search-query.ts, each already bounded). */
  terms: QueryTerm[];
  /** Only documents of these rooms (the caller's rooms at query time). Empty: nothing matches. */
  roomIds: string[];
  /** Cursor: only messages whose id sorts before this message id (messageSortKey order). */
  before?: string;
  limit: number;
};

export type SearchHit = {
  roomId: string;
  messageId: string;
  /** The edit the indexed content is from (null: never edited); lets a reader tell a stale document. */
  editedAt: Date | null;
  /**
   * At most 3 fragments of the content, each at most about 300 characters, HTML-escaped (`&`, `<`, `>`,
   * `"`, `'`), with each matched token wrapped in `<mark>` and `</mark>` (the only markup in them).
   */
  highlights: string[];
};

export type IndexedMessage = {
  roomId: string;
  messageId: string;
  authorId: string;
  content: string;
  createdAt: Date;
  editedAt: Date | null;
};

export type DocumentChange =
  /** The message's state at `version`: created (or as read back from the log) or edited. */
  | { type: "put"; version: number; message: IndexedMessage }
  /** The message was deleted at `version`: its content leaves the index, its version stays. */
  | { type: "tombstone"; version: number; roomId: string; messageId: string };

/** What the index knows of a room: every event up to `position` is applied; `deleted` is final. */
export type RoomState = { position: number; deleted: boolean };

export interface SearchIndex {
  /** The state of each room asked for that the index knows; a room missing from the map has position 0. */
  rooms(roomIds: string[]): Promise<Map<string, RoomState>>;
  /**
   * Applies the changes (each only when its version is greater than the stored document's, see the
   * versions rule above), then moves each room in `positions` forward to the given position (never
   * back). Changes and positions of rooms marked deleted are ignored. Per room, all or nothing as far
   * as the position goes: a room whose changes were not all stored is returned in `failed` and keeps
   * its old position (some of its changes may be stored; applying them again is harmless). Rejects
   * (nothing can be assumed stored) when the backend cannot be reached.
   */
  apply(changes: DocumentChange[], positions: Map<string, number>): Promise<{ failed: Set<string> }>;
  /** Removes every document of the room and marks it deleted at `position`, for good. Idempotent. */
  deleteRoom(roomId: string, position: number): Promise<void>;
  /** Forgets the room's documents and position (not a deleted room's marker), before a reindex of it. */
  clearRoom(roomId: string): Promise<void>;
  /** Forgets every document and position (deleted rooms stay marked), before a full reindex. */
  clear(): Promise<void>;
  /**
   * Messages matching every term, from `roomIds` only, newest first (message id order), at most
   * `limit`, never a tombstone. What `apply` stored is found once `flush` resolved (at once on SQLite).
   */
  search(query: SearchQuery): Promise<SearchHit[]>;
  /** Makes everything applied so far visible to search (OpenSearch: a refresh). */
  flush(): Promise<void>;
  /** The indexer's watermark (see domain/indexer.ts); null before it ever set one. */
  watermark(): Promise<Date | null>;
  /** Moves the watermark forward to `at` (never back). */
  setWatermark(at: Date): Promise<void>;
  /** Resolves while the backend answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
