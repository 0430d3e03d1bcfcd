// Runs the search index contract against SQLite FTS5 (a fresh database file migrated by the SQLite
// store, as chatd does) and against the OpenSearch on 127.0.0.1:9200 (indices of its own per test).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenSearchIndex } from "../../src/search/opensearch";
import { SqliteSearchIndex } from "../../src/search/sqlite";
import { SqliteStore } from "../../src/store/sqlite";
import {
  deleteIndices,
  OPENSEARCH_HOST,
  OPENSEARCH_PORT,
  OPENSEARCH_URL,
  uniqueIndexPrefix,
} from "../support/opensearch";
import { requireService } from "../support/services";
import { runSearchContract } from "./search.contract";

runSearchContract("sqlite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "chatd-search-"));
  const path = join(dir, "chatd.sqlite");
  const store = new SqliteStore(path);
  await store.migrate();
  await store.close();
  return { index: new SqliteSearchIndex(path), dispose: () => rm(dir, { recursive: true, force: true }) };
});

// As chatd runs it: the store stays open and lends the index its connection (store/sqlite/database.ts).
runSearchContract("sqlite, on the store's connection", async () => {
  const dir = await mkdtemp(join(tmpdir(), "chatd-search-"));
  const store = new SqliteStore(join(dir, "chatd.sqlite"));
  await store.migrate();
  return {
    index: new SqliteSearchIndex(join(dir, "chatd.sqlite")),
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const opensearch = await requireService("opensearch", OPENSEARCH_HOST, OPENSEARCH_PORT);

if (opensearch.up) {
  runSearchContract("opensearch", async () => {
    const indexPrefix = uniqueIndexPrefix();
    const index = await OpenSearchIndex.open({ urls: [OPENSEARCH_URL], indexPrefix, timeoutMs: 10_000 });
    return { index, dispose: () => deleteIndices(indexPrefix) };
  });
}
