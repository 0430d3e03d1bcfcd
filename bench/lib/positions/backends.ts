// The stores the positions benchmark runs on, set up and torn down by the coordinator: a Cassandra
// keyspace of the run's own (chatd's migrations plus two raw tables, dropped at the end) or a SQLite
// file in a temp dir (removed at the end). Each creates rooms, reads a room's log back as stored, and
// names the server process whose CPU matters (Cassandra's JVM when it runs on this machine).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "cassandra-driver";
import { newRoomId } from "../../../src/domain/ids";
import type { Store } from "../../../src/ports/store";
import { CassandraStore } from "../../../src/store/cassandra";
import { SqliteStore } from "../../../src/store/sqlite";
import { openDatabase } from "../../../src/store/sqlite/database";
import { benchKeyspace, cassandraContactPoint, dropKeyspace, once } from "../target";
import type { StoreSpec } from "./protocol";

export type LogRow = { position: number; messageId: string | null };

export type Backend = {
  kind: "cassandra" | "sqlite";
  spec: StoreSpec;
  /** A new public room (with its owner as member), as chatd creates one. */
  newRoom(name: string): Promise<string>;
  /** A key for the raw `lwt` path (SQLite keeps a head row per key). */
  newRawKey(): Promise<string>;
  /** The room's log as stored, in position order (read without chatd's log code). */
  readLog(roomId: string): Promise<LogRow[]>;
  /** The room's head as chatd's store reports it. */
  headPosition(roomId: string): Promise<number>;
  /** The database server's pid when it runs on this machine (its CPU is measured), else none. */
  serverPids: number[];
  info: Record<string, unknown>;
  close(): Promise<void>;
};

async function newRoom(store: Store, name: string) {
  const ownerId = crypto.randomUUID();
  const createdAt = new Date();
  const room = {
    id: newRoomId(),
    type: "public" as const,
    name,
    description: null,
    maxMembers: null,
    ownerId,
    createdAt,
  };
  await store.createRoom(room, {
    roomId: room.id,
    userId: ownerId,
    username: "bench_owner",
    role: "owner",
    joinedAt: createdAt,
  });
  return room.id;
}

/** The pid of a Cassandra JVM on this machine (found by its main class), or none. */
function localCassandraPids(contactPoint: string): number[] {
  if (!/^(127\.0\.0\.1|localhost)(:|$)/.test(contactPoint)) return [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("org.apache.cassandra.service.CassandraDaemon"))
        return [Number(entry)];
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return [];
}

export async function cassandraBackend(): Promise<Backend> {
  const contactPoint = cassandraContactPoint();
  const keyspace = benchKeyspace();
  const store = new CassandraStore({
    contactPoints: [contactPoint],
    keyspace,
    localDataCenter: "datacenter1",
    replication: { class: "SimpleStrategy", replicationFactor: 1 },
    timeoutMs: 10_000,
  });
  const client = new Client({
    contactPoints: [contactPoint],
    localDataCenter: "datacenter1",
    socketOptions: { readTimeout: 60_000 },
  });
  const close = once(async () => {
    await store.close().catch(() => {});
    await client.shutdown().catch(() => {});
    await dropKeyspace(keyspace);
  });
  try {
    await store.migrate();
    for (const table of ["bench_plain", "bench_lwt"])
      await client.execute(
        `CREATE TABLE IF NOT EXISTS ${keyspace}.${table} (room_id uuid, position bigint, payload text, PRIMARY KEY ((room_id), position))`,
      );
    const version = (await client.execute("SELECT release_version FROM system.local")).first()?.release_version;
    const paxos = await client
      .execute("SELECT value FROM system_views.settings WHERE name = 'paxos_variant'")
      .then((r) => r.first()?.value ?? null)
      .catch(() => null);
    return {
      kind: "cassandra",
      spec: { kind: "cassandra", contactPoint, keyspace },
      newRoom: (name) => newRoom(store, name),
      newRawKey: async () => crypto.randomUUID(),
      async readLog(roomId) {
        const blocks = await client.execute(
          `SELECT block FROM ${keyspace}.room_log_blocks WHERE room_id = ?`,
          [roomId],
          {
            prepare: true,
          },
        );
        const rows: LogRow[] = [];
        for (const block of blocks.rows.map((r) => r.block).reverse()) {
          const result = await client.execute(
            `SELECT position, message_id FROM ${keyspace}.room_log WHERE room_id = ? AND block = ?`,
            [roomId, block],
            { prepare: true, fetchSize: 5000 },
          );
          for await (const row of result)
            rows.push({ position: Number(row.position), messageId: row.message_id?.toString() ?? null });
        }
        return rows;
      },
      headPosition: (roomId) => store.headPosition(roomId),
      serverPids: localCassandraPids(contactPoint),
      info: { contact_point: contactPoint, keyspace, release_version: version ?? null, paxos_variant: paxos },
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

export async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "chatd-bench-positions-"));
  const file = join(dir, "chatd.db");
  const store = new SqliteStore(file);
  const close = once(async () => {
    await store.close().catch(() => {});
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let db: ReturnType<typeof openDatabase> | undefined;
  try {
    await store.migrate();
    db = openDatabase(file);
    for (const table of ["bench_plain", "bench_lwt"])
      db.exec(
        `CREATE TABLE ${table} (room_id TEXT NOT NULL, position INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (room_id, position)) STRICT, WITHOUT ROWID`,
      );
    db.exec("CREATE TABLE bench_heads (room_id TEXT PRIMARY KEY, head INTEGER NOT NULL) STRICT");
    const handle = db;
    return {
      kind: "sqlite",
      spec: { kind: "sqlite", file },
      newRoom: (name) => newRoom(store, name),
      async newRawKey() {
        const key = crypto.randomUUID();
        handle.query("INSERT INTO bench_heads (room_id, head) VALUES (?, 0)").run(key);
        return key;
      },
      readLog: async (roomId) =>
        handle
          .query<{ position: number; message_id: string | null }, [string]>(
            "SELECT position, message_id FROM room_log WHERE room_id = ? ORDER BY position",
          )
          .all(roomId)
          .map((r) => ({ position: r.position, messageId: r.message_id })),
      headPosition: (roomId) => store.headPosition(roomId),
      serverPids: [],
      info: {
        file: "a temp dir (WAL, synchronous NORMAL, busy_timeout 5000 ms)",
        sqlite: handle.query("SELECT sqlite_version() AS v").get(),
      },
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
