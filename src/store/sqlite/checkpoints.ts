// SQLite WAL checkpoints off the event loop. With SQLite's default (wal_autocheckpoint = 1000 pages)
// the commit that passes 1000 pages copies the WAL into the database file and syncs it, on the thread
// that committed: every few hundred sends one took milliseconds and delayed every socket. chatd's
// connections turn that off (openDatabase) and a Worker thread with a connection of its own runs
// `PRAGMA wal_checkpoint(PASSIVE)` every interval instead: it copies what no reader still needs,
// never waits for readers or writers, and never blocks them.

/** How often the worker checkpoints, by default. */
export const CHECKPOINT_INTERVAL_MS = 1000;

// The worker's source, run from a Blob URL so the compiled binary needs no second entry point.
const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
let db = null;
let timer = null;
const checkpoint = () => {
  try {
    db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
  } catch (error) {
    // SQLITE_BUSY (another checkpoint runs) or a file gone: the next round tries again.
    postMessage({ type: "failed", message: String(error && error.message ? error.message : error) });
  }
};
self.onmessage = (event) => {
  const message = event.data;
  if (message.type === "start") {
    db = new Database(message.path, { strict: true });
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA wal_autocheckpoint = 0");
    timer = setInterval(checkpoint, message.intervalMs);
    postMessage({ type: "started" });
  } else if (message.type === "stop") {
    clearInterval(timer);
    if (db) db.close(false);
    postMessage({ type: "stopped" });
  }
};
`;

let workerUrl: string | undefined;

type Reply = { type: "started" | "stopped" } | { type: "failed"; message: string };

/** One checkpointing worker for one database file; `close` stops it and closes its connection. */
export class WalCheckpointer {
  readonly #worker: Worker;
  #stopped: Promise<void> | undefined;
  #onStopped: (() => void) | undefined;

  constructor(path: string, intervalMs = CHECKPOINT_INTERVAL_MS, onFailure: (message: string) => void = () => {}) {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
    this.#worker = new Worker(workerUrl);
    this.#worker.onmessage = (event: MessageEvent<Reply>) => {
      if (event.data.type === "failed") onFailure(event.data.message);
      else if (event.data.type === "stopped") this.#onStopped?.();
    };
    // A store someone forgot to close must not keep the process alive.
    this.#worker.unref();
    this.#worker.postMessage({ type: "start", path, intervalMs });
  }

  /** Stops checkpointing; resolves once the worker closed its connection. Idempotent. */
  close(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      this.#onStopped = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#worker.postMessage({ type: "stop" });
    }).then(() => this.#worker.terminate());
    return this.#stopped;
  }
}
