// Runs the storage contract against every adapter (the Cassandra one joins when it exists).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite";
import { runStoreContract } from "./store.contract";

const dir = await mkdtemp(join(tmpdir(), "chatd-store-"));
runStoreContract(
  "sqlite",
  async () => new SqliteStore(join(dir, "contract.sqlite")),
  () => rm(dir, { recursive: true, force: true }),
);
