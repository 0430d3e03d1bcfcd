-- Notifications (issue 15): dispatcher leases, when users were last connected and last mailed, their
-- mail preferences, outbound webhooks and how far each hook has delivered each room. Times are Unix
-- epoch milliseconds. No foreign keys: a hook of a deleted room is dropped with its room's route
-- (the dispatcher skips rooms that are gone).
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE notify_users (
  user_id      TEXT PRIMARY KEY,
  seen_at      INTEGER,            -- last time a WebSocket connection of the user was live
  digest_at    INTEGER,            -- last digest claimed for the user
  email        INTEGER,            -- NULL: the default (on)
  include_text INTEGER             -- NULL: the default (off)
) STRICT;

CREATE TABLE webhooks (
  id            TEXT PRIMARY KEY,
  room_id       TEXT NOT NULL,
  url           TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX webhooks_by_room ON webhooks (room_id, created_at);

CREATE TABLE webhook_positions (
  hook_id  TEXT NOT NULL,
  room_id  TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (hook_id, room_id)
) STRICT;
