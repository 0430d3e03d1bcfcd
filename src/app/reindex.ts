// `chatd reindex [--room ID]`: opens storage (applying pending migrations, as serve does) and the
// configured search index, rebuilds the index from storage, and exits.
import type { Config } from "../config";
import { reindex } from "../domain/reindex";
import type { Logger } from "../log";
import { RoleNotAvailable } from "./server";
import { createSearch, createStore, searchBackend } from "./wire";

export async function runReindex(config: Config, log: Logger, roomId?: string): Promise<number> {
  if (searchBackend(config).kind === "none")
    throw new RoleNotAvailable("reindex: there is no search index: set OPENSEARCH_URL, or use SQLite storage");
  const store = await createStore(config);
  try {
    await store.migrate();
    const index = await createSearch(config, log);
    if (!index) return 2;
    try {
      const started = performance.now();
      const done = await reindex({ store, index, log: log.child({ component: "reindex" }) }, roomId);
      log.info("reindex done", {
        ...done,
        ...(roomId ? { room_id: roomId } : {}),
        seconds: (performance.now() - started) / 1000,
      });
      return 0;
    } finally {
      await index.close();
    }
  } finally {
    await store.close();
  }
}
