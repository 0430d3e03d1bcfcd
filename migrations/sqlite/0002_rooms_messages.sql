-- Rooms (membership, bans, moderation log, DM pairs) and messages (reactions, read markers).
-- Times are Unix epoch milliseconds. Every row of a room references it with ON DELETE CASCADE, so
-- deleting the room removes everything in it. Message order is `seq` = messageSortKey(id): a string
-- that sorts like the UUIDv1 ids do (time first), which the ids themselves do not.

CREATE TABLE rooms (
  id           TEXT PRIMARY KEY,         -- UUIDv7: string order is creation order
  type         TEXT NOT NULL CHECK (type IN ('public', 'private', 'dm')),
  name         TEXT NOT NULL,
  name_key     TEXT NOT NULL,            -- the name lowercased (Unicode), for substring search
  description  TEXT,
  max_members  INTEGER,                  -- NULL: no limit
  owner_id     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  member_count INTEGER NOT NULL CHECK (member_count >= 0)  -- kept in the member write's transaction
) STRICT;
CREATE INDEX rooms_by_type ON rooms (type, id);

CREATE TABLE room_members (
  room_id   TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id   TEXT NOT NULL,
  username  TEXT NOT NULL,
  role      TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT;
CREATE INDEX room_members_by_user ON room_members (user_id);

CREATE TABLE room_bans (
  room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  banned_by  TEXT NOT NULL,
  reason     TEXT,
  expires_at INTEGER,                    -- NULL: until lifted
  created_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT;

CREATE TABLE room_audit (
  id             TEXT PRIMARY KEY,       -- UUIDv7: newest entry has the greatest id
  room_id        TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  actor_id       TEXT NOT NULL,
  action         TEXT NOT NULL,
  target_user_id TEXT,
  message_id     TEXT,
  details        TEXT NOT NULL,          -- JSON object
  created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX room_audit_by_room ON room_audit (room_id, id);

-- The DM room of an unordered user pair; pair_key is the two user ids sorted, joined by ':'.
CREATE TABLE dm_pairs (
  pair_key TEXT PRIMARY KEY,
  room_id  TEXT NOT NULL UNIQUE REFERENCES rooms (id) ON DELETE CASCADE
) STRICT;

CREATE TABLE messages (
  id              TEXT PRIMARY KEY,      -- UUIDv1
  room_id         TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  seq             TEXT NOT NULL,         -- messageSortKey(id)
  author_id       TEXT NOT NULL,
  author_username TEXT NOT NULL,
  content         TEXT NOT NULL,         -- '' once deleted
  created_at      INTEGER NOT NULL,
  edited_at       INTEGER,
  deleted         INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  reply_to        TEXT,
  client_id       TEXT,
  mentions        TEXT NOT NULL,         -- JSON array of user ids
  attachment_ids  TEXT NOT NULL          -- JSON array of attachment ids
) STRICT;
CREATE INDEX messages_by_room ON messages (room_id, seq);  -- seq is unique as the id is
-- Idempotent sends: one message per (room, author, client_id).
CREATE UNIQUE INDEX messages_by_client_id ON messages (room_id, author_id, client_id) WHERE client_id IS NOT NULL;

-- One row per (message, emoji, user); `id` is the insertion order (an alias of rowid, stable across VACUUM).
CREATE TABLE message_reactions (
  id          INTEGER PRIMARY KEY,
  room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  message_id  TEXT NOT NULL,
  message_seq TEXT NOT NULL,             -- messageSortKey(message_id), to list by message order
  emoji       TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (room_id, message_id, emoji, user_id)
) STRICT;

CREATE TABLE read_markers (
  room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq        TEXT NOT NULL,              -- messageSortKey(message_id): the marker only moves up
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT;
