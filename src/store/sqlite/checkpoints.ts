// SQLite WAL checkpoints off the event loop, a bounded WAL, and read locks without system calls.
//
// Checkpoints. With SQLite's default (wal_autocheckpoint = 1000 pages) the commit that passes 1000
// pages copies the WAL into the database file and syncs it, on the thread that committed: every few
// hundred sends one took milliseconds and delayed every socket. chatd's connections turn that off
// (openDatabase) and a Worker thread with a connection of its own runs `PRAGMA
// wal_checkpoint(PASSIVE)` every interval instead: it copies what no reader still needs, never waits
// for readers or writers, and never blocks them.
//
// A bounded WAL. A passive checkpoint never moves the WAL back to its start; only a writer that
// starts while everything is copied and no reader uses the WAL does. Under a steady flow of writes
// that moment never comes, and the WAL grew by tens of MiB a second (620 MiB after 16 s of sends and
// reads). So once the WAL passes `restartBytes` the worker follows the passive round with
// CATCH_UP_PASSES more and `wal_checkpoint(RESTART)`: it copies the little written since, waits (at
// most RESTART_WAIT_MS) for readers to finish their statement, and makes the next commit write from
// the start of the file again. Writers wait while it runs, which is why the passive rounds have
// copied the bulk first. (TRUNCATE, which also empties the file, doubled the stall: every commit
// after it grows the file again.) The file itself stays at its largest size, which openDatabase caps
// with journal_size_limit (WAL_FILE_LIMIT_BYTES) at each restart.
//
// Read locks. In WAL mode every statement outside a transaction takes and drops a shared lock on one
// of the WAL's read slots: two fcntl system calls, 3–5 µs each on the build machine's VM, most of
// the cost of a point read (11 µs against 1.3 µs inside a transaction) and of GET /v1/users/me.
// SQLite counts these locks per process: when another connection of the process already holds the
// slot, it takes none. So the worker keeps a read transaction open on the newest snapshot, ended
// and begun again every PIN_MS: the event loop's reads of that snapshot share its lock. It is only a
// reader on a snapshot nobody reads from: it never blocks a writer, and it is dropped around each
// checkpoint so the checkpoint copies everything.

/** How often the worker checkpoints, by default. */
export const CHECKPOINT_INTERVAL_MS = 1000;

/** The WAL size past which a checkpoint also moves the WAL back to its start, by default. */
export const WAL_RESTART_BYTES = 64 * 1024 * 1024;

/**
 * What a restarted WAL file is cut back to (journal_size_limit): twice the restart size, so a busy
 * server keeps reusing its file, and one that was busy once gives the space back.
 */
export const WAL_FILE_LIMIT_BYTES = 2 * WAL_RESTART_BYTES;

/** How long the restarting checkpoint waits for readers and writers before trying again next round. */
const RESTART_WAIT_MS = 200;

/** Passive passes between the round that found the WAL past its limit and the restarting one. */
const CATCH_UP_PASSES = 2;

/** How often the worker's read transaction moves to the newest snapshot. */
const PIN_MS = 10;

// The worker's source, run from a Blob URL so the compiled binary needs no second entry point.
const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
let db = null;
let timers = [];
let pinned = false;
let pageSize = 4096;
let restartBytes = 0;
const CATCH_UP_PASSES = ${CATCH_UP_PASSES};
const failed = (error) => postMessage({ type: "failed", message: String(error && error.message ? error.message : error) });
const pin = () => {
  if (pinned) return;
  db.exec("BEGIN");
  // Open from here: unpin ends the transaction also when the read that takes the lock fails.
  pinned = true;
  db.query("SELECT 1 FROM sqlite_schema LIMIT 1").get();
};
const unpin = () => {
  if (!pinned) return;
  pinned = false;
  db.exec("COMMIT");
};
const repin = () => {
  try {
    unpin();
    pin();
  } catch (error) {
    failed(error);
  }
};
const checkpoint = () => {
  try {
    unpin();
    const { log } = db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
    if (log * pageSize > restartBytes) {
      // Each pass copies what was written during the one before, so the restarting round, which
      // writers wait for, has only the last few milliseconds' pages left to copy.
      for (let pass = 0; pass < CATCH_UP_PASSES; pass++) db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      db.exec("PRAGMA busy_timeout = ${RESTART_WAIT_MS}");
      db.query("PRAGMA wal_checkpoint(RESTART)").get();
      db.exec("PRAGMA busy_timeout = 5000");
      // No pin until the next renewal: the first commit after a restart finds no reader in the WAL
      // and writes from its start.
      return;
    }
    pin();
  } catch (error) {
    // SQLITE_BUSY (another checkpoint runs) or a file gone: the next round tries again.
    failed(error);
  }
};
self.onmessage = (event) => {
  const message = event.data;
  if (message.type === "start") {
    db = new Database(message.path, { strict: true });
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA wal_autocheckpoint = 0");
    pageSize = db.query("PRAGMA page_size").get().page_size;
    restartBytes = message.restartBytes;
    timers = [setInterval(checkpoint, message.intervalMs), setInterval(repin, ${PIN_MS})];
    pin();
    postMessage({ type: "started" });
  } else if (message.type === "stop") {
    for (const timer of timers) clearInterval(timer);
    if (db) {
      unpin();
      db.close(false);
    }
    postMessage({ type: "stopped" });
  }
};
`;

let workerUrl: string | undefined;

type Reply = { type: "started" | "stopped" } | { type: "failed"; message: string };

export type CheckpointOptions = {
  intervalMs?: number;
  restartBytes?: number;
  onFailure?: (message: string) => void;
};

/** One checkpointing worker for one database file; `close` stops it and closes its connection. */
export class WalCheckpointer {
  readonly #worker: Worker;
  #stopped: Promise<void> | undefined;
  #onStopped: (() => void) | undefined;

  constructor(path: string, options: CheckpointOptions = {}) {
    const { intervalMs = CHECKPOINT_INTERVAL_MS, restartBytes = WAL_RESTART_BYTES, onFailure = () => {} } = options;
    workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
    this.#worker = new Worker(workerUrl);
    this.#worker.onmessage = (event: MessageEvent<Reply>) => {
      if (event.data.type === "failed") onFailure(event.data.message);
      else if (event.data.type === "stopped") this.#onStopped?.();
    };
    // A store someone forgot to close must not keep the process alive.
    this.#worker.unref();
    this.#worker.postMessage({ type: "start", path, intervalMs, restartBytes });
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
