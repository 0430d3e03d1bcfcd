// What a WAL checkpoint costs the thread that commits: N commits shaped like chatd's append (an
// IMMEDIATE transaction that moves a room's head and inserts a message row at it), timed one by one,
// with SQLite's default auto-checkpoint (the commit that passes 1,000 WAL pages checkpoints, on the
// committing thread: chatd's event loop) and with chatd's WalCheckpointer (auto-checkpoint off, a
// worker thread checkpoints every second). Modes alternate for `--rounds`, each on a fresh file.
// `bun bench/checkpoints.ts [--commits 20000] [--rounds 2]`
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WalCheckpointer } from "../src/store/sqlite/checkpoints";
import { openDatabase } from "../src/store/sqlite/database";
import { parseCommandLine } from "./lib/args";
import { Histogram } from "./lib/stats";

const o = parseCommandLine("checkpoints", {
  commits: { default: 20_000, min: 1000, max: 1_000_000, help: "timed commits per mode and round" },
  rounds: { default: 2, min: 1, max: 10, help: "rounds of both modes, alternating" },
  contentChars: { default: 300, min: 10, max: 10_000, help: "characters per message row" },
});

async function run(mode: "auto" | "worker") {
  const dir = mkdtempSync(join(tmpdir(), "chatd-bench-checkpoints-"));
  const path = join(dir, "bench.sqlite");
  const db = openDatabase(path);
  if (mode === "auto") db.exec("PRAGMA wal_autocheckpoint = 1000");
  const worker = mode === "worker" ? new WalCheckpointer(path) : null;
  db.exec(`CREATE TABLE rooms (id TEXT PRIMARY KEY, head INTEGER NOT NULL) STRICT;
    CREATE TABLE messages (id TEXT PRIMARY KEY, room_id TEXT NOT NULL, position INTEGER NOT NULL, content TEXT NOT NULL) STRICT;
    CREATE INDEX messages_by_room ON messages (room_id, position);
    INSERT INTO rooms VALUES ('r', 0);`);
  const head = db.query<{ head: number }, []>("UPDATE rooms SET head = head + 1 WHERE id = 'r' RETURNING head");
  const insert = db.query("INSERT INTO messages VALUES (?, 'r', ?, ?)");
  const append = db.transaction((content: string) => insert.run(Bun.randomUUIDv7(), head.get()!.head, content));
  const content = "x".repeat(o.contentChars);
  const latency = new Histogram();
  let slow = 0;
  for (let i = 0; i < o.commits; i++) {
    const t0 = performance.now();
    append.immediate(content);
    const ms = performance.now() - t0;
    latency.record(ms);
    if (ms > 1) slow++;
    // Let the worker's timer and the event loop run now and then, as a server's would.
    if (i % 500 === 0) await Bun.sleep(0);
  }
  await worker?.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { latency, slow };
}

const fmt = (ms: number) => (ms < 1 ? `${Math.round(ms * 1000)} µs` : `${ms.toFixed(2)} ms`);
process.stdout.write(`commits of ${o.contentChars}-character rows, ${o.commits.toLocaleString("en-US")} per run\n`);
process.stdout.write(
  `${"mode".padEnd(34)}${["p50", "p99", "p99.9", "max", "over 1 ms"].map((h) => h.padStart(11)).join("")}\n`,
);
for (let round = 1; round <= o.rounds; round++) {
  for (const mode of ["auto", "worker"] as const) {
    const { latency: h, slow } = await run(mode);
    const label = mode === "auto" ? "SQLite auto-checkpoint (default)" : "WalCheckpointer (chatd)";
    const cells = [h.percentile(50), h.percentile(99), h.percentile(99.9), h.max].map((v) => fmt(v).padStart(11));
    process.stdout.write(`${`${label}, round ${round}`.padEnd(34)}${cells.join("")}${String(slow).padStart(11)}\n`);
  }
}
