-- Attachments: one row per upload. status: pending (created, bytes not verified) → ready (completed)
-- → deleted (its message was deleted; the object is being removed) → the row is gone. A message
-- claims ready attachments of its author in the append's transaction: room_id and message_id are
-- set together, only while message_id is NULL, so one attachment goes to one message. Times are Unix
-- epoch milliseconds. No foreign keys: an attachment outlives nothing it points at (a deleted room
-- leaves its records to the uploader).
CREATE TABLE attachments (
  id           TEXT PRIMARY KEY,
  uploader_id  TEXT NOT NULL,
  filename     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL CHECK (size >= 0),
  blob_key     TEXT NOT NULL UNIQUE,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'deleted')),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,       -- a pending upload must be completed before this
  deleted_at   INTEGER,                -- set with status 'deleted'
  room_id      TEXT,
  message_id   TEXT
) STRICT;
-- The sweep's two questions: pending uploads by expiry, deleted ones by deletion time.
CREATE INDEX attachments_pending ON attachments (expires_at) WHERE status = 'pending';
CREATE INDEX attachments_deleted ON attachments (deleted_at) WHERE status = 'deleted';
