// The SQLite store lends its connection to the search index of the same process (database.ts,
// lendDatabase): whichever of the two closes first, the other keeps working.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSearchQuery } from "../../src/domain/search-query";
import { SqliteSearchIndex } from "../../src/search/sqlite";
import { SqliteStore } from "../../src/store/sqlite";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "chatd-shared-"));
  path = join(dir, "chatd.sqlite");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const roomId = "0191a3c4-0000-7000-8000-000000000001";
const indexed = (index: SqliteSearchIndex, content: string, position: number) => {
  const messageId = Bun.randomUUIDv7();
  const message = { messageId, roomId, authorId: "author", createdAt: new Date(), editedAt: null, content };
  return index.apply([{ type: "put", version: 1, message }], new Map([[roomId, position]])).then(() => messageId);
};
const found = (index: SqliteSearchIndex, q: string) =>
  index
    .search({ terms: parseSearchQuery(q), roomIds: [roomId], limit: 10 })
    .then((hits) => hits.map((h) => h.messageId));

/** A migrated store and a search index on its file, as chatd opens them. */
const storeAndIndex = async () => {
  const store = new SqliteStore(path);
  await store.migrate();
  return { store, index: new SqliteSearchIndex(path) };
};

test("the search index keeps working after the store it shares a connection with has closed", async () => {
  const { store, index } = await storeAndIndex();
  const first = await indexed(index, "before the store closed", 1);
  await store.close();
  const second = await indexed(index, "after the store closed", 2);
  expect((await found(index, "closed")).sort()).toEqual([first, second].sort());
  await index.close();
});

test("the store keeps working after the search index closed, and a new index after it sees the same file", async () => {
  const { store, index: first } = await storeAndIndex();
  const id = await indexed(first, "written through the first index", 1);
  await first.close();
  expect(await store.headPosition(roomId)).toBe(0);
  const second = new SqliteSearchIndex(path);
  expect(await found(second, "first")).toEqual([id]);
  await second.close();
  await store.close();
});
