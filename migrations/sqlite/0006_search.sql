-- Message search (src/search/sqlite): documents kept by the indexer from room events, an FTS5 index
-- over their content, what the index knows per room, and the indexer's watermark. Deliberately not
-- tied to the storage tables (no foreign keys): the index follows storage through events, like
-- OpenSearch does, and `chatd reindex` rebuilds it from storage.

-- One row per message the indexer has seen; a tombstone (deleted = 1, content '') keeps its version
-- so an older create or edit arriving later cannot bring the content back. `version` is the room
-- position of the event that produced this state.
CREATE TABLE search_docs (
  id         INTEGER PRIMARY KEY,       -- the FTS5 rowid: the message id's time (100 ns units) * 8 + a
                                        -- free slot, so rowid order is newest-first result order
  message_id TEXT NOT NULL UNIQUE,
  room_id    TEXT NOT NULL,
  version    INTEGER NOT NULL,
  deleted    INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  author_id  TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  edited_at  INTEGER,
  content    TEXT NOT NULL
) STRICT;
CREATE INDEX search_docs_by_room ON search_docs (room_id);

-- External-content FTS5 over search_docs.content, kept in step by the triggers below. Case is folded,
-- accents are not (as OpenSearch's standard analyzer); prefix queries of 2+ characters use the
-- prefix index.
CREATE VIRTUAL TABLE search_fts USING fts5(
  content,
  content = 'search_docs',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 0',
  prefix = '2'
);
CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs WHEN new.content <> '' BEGIN
  INSERT INTO search_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs WHEN old.content <> '' BEGIN
  INSERT INTO search_fts (search_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER search_docs_update AFTER UPDATE OF content ON search_docs BEGIN
  INSERT INTO search_fts (search_fts, rowid, content) SELECT 'delete', old.id, old.content WHERE old.content <> '';
  INSERT INTO search_fts (rowid, content) SELECT new.id, new.content WHERE new.content <> '';
END;

-- Per room: every event up to `position` is applied; a deleted room takes no more documents.
CREATE TABLE search_rooms (
  room_id  TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  deleted  INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
) STRICT, WITHOUT ROWID;

-- Small named values: 'watermark' (ms since the epoch), see src/domain/indexer.ts.
CREATE TABLE search_state (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
