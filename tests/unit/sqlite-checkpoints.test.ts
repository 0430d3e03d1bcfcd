// SQLite WAL checkpoints run on the store's worker thread, never inside a commit on the event loop;
// the WAL stays bounded under a steady flow of writes; the worker's read transaction (which lets the
// event loop's reads skip their lock system calls) never shows the store an old snapshot.
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
async function freshStore(intervalMs: number, restartBytes?: number) {
  const dir = mkdtempSync(join(tmpdir(), "chatd-checkpoints-"));
  dirs.push(dir);
  const path = join(dir, "chatd.sqlite");
  const store = new SqliteStore(path, { checkpoints: { intervalMs, restartBytes } });
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

test("under a steady flow of writes the WAL goes back to its start once past its limit: the file stops growing, nothing is lost", async () => {
  const { store, wal } = await freshStore(50, 1024 * 1024);
  const rooms: string[] = [];
  // Three batches of about 20 MiB of commits each, back to back, so the worker never finds the WAL
  // idle. A passive checkpoint alone never moves the WAL back to its start: the file would grow by
  // each batch. With the restarting rounds it reaches its size in the first batch and is reused.
  const sizes: number[] = [];
  for (let batch = 0; batch < 3; batch++) {
    for (let i = 0; i < 1500; i++) rooms.push((await seedRoom(store, { description: "x".repeat(2000) })).room.id);
    sizes.push(size(wal));
  }
  expect(sizes[2]!).toBeLessThan(2 * sizes[0]!);
  for (const id of [rooms[0]!, rooms[2250]!, rooms.at(-1)!]) expect((await store.getRoom(id))?.id).toBe(id);
  await store.close();
});

test("reads on the event loop see every write at once while the worker holds its snapshot", async () => {
  const { store } = await freshStore(1000);
  // The worker renews its read transaction every few ms; each write here lands between renewals, so
  // a read that came from the worker's snapshot would miss it.
  for (let i = 0; i < 200; i++) {
    const { room } = await seedRoom(store);
    await store.updateRoom(room.id, { description: `v${i}` });
    expect((await store.getRoom(room.id))?.description).toBe(`v${i}`);
    if (i % 20 === 0) await Bun.sleep(15);
  }
  await store.close();
});
