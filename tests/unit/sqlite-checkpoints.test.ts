// SQLite WAL checkpoints run on the store's worker thread, never inside a commit on the event loop.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite";
import { seedRoom } from "../contract/store-fixtures";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const size = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** A migrated store on a fresh file, and the paths of its database and WAL. */
async function freshStore(checkpointIntervalMs: number) {
  const dir = mkdtempSync(join(tmpdir(), "chatd-checkpoints-"));
  dirs.push(dir);
  const path = join(dir, "chatd.sqlite");
  const store = new SqliteStore(path, { checkpointIntervalMs });
  await store.migrate();
  return { store, db: path, wal: `${path}-wal` };
}

/** Enough commits to pass SQLite's default auto-checkpoint (1,000 pages) several times over. */
async function writeMuch(store: SqliteStore) {
  for (let i = 0; i < 1500; i++) await seedRoom(store, { description: "x".repeat(2000) });
}

test("commits never checkpoint: the WAL grows past SQLite's auto-checkpoint size while no worker round runs", async () => {
  const { store, db, wal } = await freshStore(3_600_000);
  const before = size(db);
  await writeMuch(store);
  // SQLite's own auto-checkpoint would have moved pages into the database file and reused the WAL
  // from its start at about 1,000 pages (4 MiB).
  expect(size(wal)).toBeGreaterThan(8 * 1024 * 1024);
  expect(size(db)).toBe(before);
  await store.close();
});

test("the worker checkpoints the WAL into the database file within its interval", async () => {
  const { store, db } = await freshStore(50);
  await writeMuch(store);
  const deadline = Date.now() + 10_000;
  while (size(db) < 4 * 1024 * 1024 && Date.now() < deadline) await Bun.sleep(50);
  expect(size(db)).toBeGreaterThan(4 * 1024 * 1024);
  // And the store still reads and writes as before.
  const { room } = await seedRoom(store);
  expect((await store.getRoom(room.id))?.id).toBe(room.id);
  await store.close();
});
