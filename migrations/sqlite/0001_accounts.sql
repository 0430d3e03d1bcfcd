-- Accounts: users, rotating refresh tokens grouped in families, single-use action tokens.
-- Times are Unix epoch milliseconds. Secrets are stored only as SHA-256 hashes.

CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  username       TEXT NOT NULL,
  username_key   TEXT NOT NULL UNIQUE,   -- lower(username): case-insensitive uniqueness
  email          TEXT NOT NULL,
  email_key      TEXT NOT NULL UNIQUE,   -- lower(email)
  password_hash  TEXT NOT NULL,
  email_verified INTEGER NOT NULL DEFAULT 0,
  display_name   TEXT,
  created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE refresh_families (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX refresh_families_by_user ON refresh_families (user_id);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id  TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE action_tokens (
  token_hash TEXT PRIMARY KEY,
  kind       TEXT NOT NULL,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
