// Opening the SQLite database (WAL, busy timeout) and applying migrations exactly once across processes.
import { Database, SQLiteError } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { AppError, conflict, unavailable } from "../../domain/errors";
import { WAL_FILE_LIMIT_BYTES } from "./checkpoints";
import type { Migration } from "./migrations";

/**
 * A connection with chatd's settings. Checkpoints are not run by commits on it (wal_autocheckpoint
 * off): a WalCheckpointer does them on its own thread (checkpoints.ts); a commit that restarts the
 * WAL cuts the file back to WAL_FILE_LIMIT_BYTES.
 */
export function openDatabase(path: string): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA busy_timeout = 5000");
  withBusyRetry(() => db.exec("PRAGMA journal_mode = WAL"));
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA wal_autocheckpoint = 0");
  db.exec(`PRAGMA journal_size_limit = ${WAL_FILE_LIMIT_BYTES}`);
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

type Lent = { db: Database; holders: number };
/** Store connections lent by path to the search index of the same process (lendDatabase). */
const lent = new Map<string, Lent>();

/**
 * Lends the store's connection to `path` to the search index of this process (borrowDatabase), and
 * returns the store's close: the connection closes once the borrowers are done with it too. Two
 * connections to one file each drop their page cache whenever the other commits (a WAL reader that
 * finds the log changed starts from an empty cache), so with the indexer committing a batch every
 * 50 ms and the store every send, both re-read their pages from the file, about 8 reads per message
 * under fan-out. One connection is safe to share: every transaction on it is synchronous (bun:sqlite),
 * so none spans an await. A second store on the same path (tests run several "processes" in one)
 * keeps its connection to itself.
 */
export function lendDatabase(path: string, db: Database): () => void {
  if (path === ":memory:" || lent.has(path)) return once(() => db.close(false));
  const entry = { db, holders: 1 };
  lent.set(path, entry);
  return once(() => {
    if (lent.get(path) === entry) lent.delete(path);
    releaseLent(entry);
  });
}

/** The store's connection to `path` and a release for it, or null when no store of this process lends one. */
export function borrowDatabase(path: string): { db: Database; release: () => void } | null {
  const entry = lent.get(path);
  if (!entry) return null;
  entry.holders++;
  return { db: entry.db, release: once(() => releaseLent(entry)) };
}

function releaseLent(entry: Lent) {
  if (--entry.holders === 0) entry.db.close(false);
}

const once = (work: () => void) => {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    work();
  };
};

/**
 * Switching to WAL takes an exclusive lock and SQLite does not apply the busy timeout to it, so a
 * second process opening a fresh database at the same moment gets SQLITE_BUSY at once: retry briefly.
 */
function withBusyRetry(work: () => void, attempts = 100) {
  for (let attempt = 1; ; attempt++) {
    try {
      return work();
    } catch (error) {
      if (!(error instanceof SQLiteError && error.code?.startsWith("SQLITE_BUSY")) || attempt >= attempts) throw error;
      Bun.sleepSync(20);
    }
  }
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own IMMEDIATE
 * transaction so a second process starting at the same moment waits, then sees it applied.
 */
export function applyMigrations(db: Database, migrations: Migration[]): string[] {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const isApplied = db.query<{ one: number }, [string]>("SELECT 1 AS one FROM schema_migrations WHERE version = ?");
  const record = db.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
  const applied: string[] = [];
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (isApplied.get(migration.version)) return false;
      db.exec(migration.sql);
      record.run(migration.version, Date.now());
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}

/** Translates a driver error into the error catalog; anything unexpected is rethrown unchanged. */
export function translate(error: unknown): never {
  if (error instanceof AppError) throw error;
  if (error instanceof SQLiteError) {
    if (error.code === "SQLITE_CONSTRAINT_UNIQUE" || error.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      const column = /UNIQUE constraint failed: \w+\.(\w+)/.exec(error.message)?.[1];
      const field = column?.replace(/_key$/, "");
      throw conflict(
        field ? `${field} is already taken` : "already exists",
        field ? [{ field, message: "taken" }] : undefined,
      );
    }
    if (error.code?.startsWith("SQLITE_BUSY") || error.code?.startsWith("SQLITE_LOCKED")) {
      throw unavailable("storage", error);
    }
  }
  throw error;
}
