-- Mentions by user, pinned messages, threads. Times are Unix epoch milliseconds; `seq` columns are
-- messageSortKey(message id), as in 0002. Every row references its room with ON DELETE CASCADE.

-- A thread reply names its root; NULL: not a reply. Summaries are counted from here (live replies).
ALTER TABLE messages ADD COLUMN thread_root TEXT;
CREATE INDEX messages_by_thread ON messages (room_id, thread_root, seq) WHERE thread_root IS NOT NULL;

-- Which messages mention a user, newest first by seq. An index only: the message decides.
CREATE TABLE mentions (
  user_id    TEXT NOT NULL,
  seq        TEXT NOT NULL,
  room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  PRIMARY KEY (user_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX mentions_by_room ON mentions (room_id);

-- At most one pin per (room, message).
CREATE TABLE room_pins (
  room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  seq        TEXT NOT NULL,
  pinned_by  TEXT NOT NULL,
  pinned_at  INTEGER NOT NULL,
  PRIMARY KEY (room_id, message_id)
) STRICT, WITHOUT ROWID;
