// A writer process of the positions benchmark (spawned by bench/positions.ts, several at once): opens
// its own chatd store (CassandraStore or SqliteStore, so its own driver session or file handle), then
// times sequential writes or appends as fast as one caller can, and reports every position it was
// given so the coordinator can prove the log is dense and no position went to two appends.
import type { Database } from "bun:sqlite";
import { Client, policies, types } from "cassandra-driver";
import { MessageIdGenerator } from "../../../src/domain/ids";
import type { MessageDraft } from "../../../src/ports/room-log";
import type { Store } from "../../../src/ports/store";
import { CassandraStore } from "../../../src/store/cassandra";
import { Cql } from "../../../src/store/cassandra/client";
import { SqliteStore } from "../../../src/store/sqlite";
import { openDatabase } from "../../../src/store/sqlite/database";
import { Histogram } from "../stats";
import type { Appended, LatencyResult, RunResult, StoreSpec, WritePath, WriterCommand, WriterReply } from "./protocol";

// Counts and times the statements chatd's Cassandra session issues (instrumentation only: same
// calls, same results), so a run can say how many reads, writes and compare-and-sets one append
// costs, and how long Cassandra took for each kind.
const statements: Record<string, number> = {};
let statementTimes: Record<string, Histogram> = {};
const count = (kind: string, started: number) => {
  statements[kind] = (statements[kind] ?? 0) + 1;
  const times = statementTimes[kind] ?? new Histogram();
  statementTimes[kind] = times;
  times.record(performance.now() - started);
};
const original = { read: Cql.prototype.read, write: Cql.prototype.write, lwt: Cql.prototype.lwt };
Cql.prototype.read = async function (...args) {
  const started = performance.now();
  const result = await original.read.apply(this, args);
  count("read", started);
  return result;
};
Cql.prototype.write = async function (...args) {
  const started = performance.now();
  await original.write.apply(this, args);
  count("write", started);
};
Cql.prototype.lwt = async function (...args) {
  const started = performance.now();
  const result = await original.lwt.apply(this, args);
  count(result.applied ? "lwt applied" : "lwt not applied", started);
  return result;
};

type Raw = { plain(key: string, position: number, payload: string): Promise<void>; lwt: Raw["plain"] };

let store: Store | undefined;
let raw: Raw | undefined;
let close: () => Promise<void> = async () => {};
let stopped = false;
const ids = new MessageIdGenerator();
const authorId = crypto.randomUUID();

/** A raw cassandra-driver session with chatd's session settings (cassandra/client.ts), and its two writes. */
function rawCassandra(spec: Extract<StoreSpec, { kind: "cassandra" }>): { raw: Raw; client: Client } {
  const client = new Client({
    contactPoints: [spec.contactPoint],
    localDataCenter: "datacenter1",
    keyspace: spec.keyspace,
    policies: {
      loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
        new policies.loadBalancing.DCAwareRoundRobinPolicy("datacenter1"),
      ),
      timestampGeneration: null as unknown as policies.timestampGeneration.TimestampGenerator,
    },
    socketOptions: { readTimeout: 5000 },
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      serialConsistency: types.consistencies.localSerial,
      prepare: true,
    },
  });
  const insert = "INSERT INTO bench_plain (room_id, position, payload) VALUES (?, ?, ?)";
  const ifAbsent = "INSERT INTO bench_lwt (room_id, position, payload) VALUES (?, ?, ?) IF NOT EXISTS";
  return {
    client,
    raw: {
      plain: async (key, position, payload) => {
        await client.execute(insert, [key, position, payload], { isIdempotent: true });
      },
      lwt: async (key, position, payload) => {
        const result = await client.execute(ifAbsent, [key, position, payload], { isIdempotent: false });
        if (!result.wasApplied()) throw new Error(`bench_lwt ${key}/${position} already exists`);
      },
    },
  };
}

/** bun:sqlite on the same file with chatd's pragmas (WAL, synchronous NORMAL, busy timeout). */
function rawSqlite(db: Database): Raw {
  const insert = db.query("INSERT INTO bench_plain (room_id, position, payload) VALUES (?, ?, ?)");
  const move = db.query<{ head: number }, [string]>(
    "UPDATE bench_heads SET head = head + 1 WHERE room_id = ? RETURNING head",
  );
  const insertAt = db.query("INSERT INTO bench_lwt (room_id, position, payload) VALUES (?, ?, ?)");
  const dense = db.transaction((key: string, payload: string) => {
    const head = move.get(key);
    if (!head) throw new Error(`no bench_heads row for ${key}`);
    insertAt.run(key, head.head, payload);
  });
  return {
    plain: async (key, position, payload) => {
      insert.run(key, position, payload);
    },
    lwt: async (key, _position, payload) => {
      dense.immediate(key, payload);
    },
  };
}

async function open(spec: StoreSpec) {
  if (spec.kind === "cassandra") {
    store = new CassandraStore({
      contactPoints: [spec.contactPoint],
      keyspace: spec.keyspace,
      localDataCenter: "datacenter1",
      replication: { class: "SimpleStrategy", replicationFactor: 1 },
      timeoutMs: 5000,
    });
    const session = rawCassandra(spec);
    raw = session.raw;
    await session.client.connect();
    close = async () => {
      await store?.close();
      await session.client.shutdown();
    };
  } else {
    store = new SqliteStore(spec.file);
    const db = openDatabase(spec.file);
    raw = rawSqlite(db);
    close = async () => {
      await store?.close();
      db.close();
    };
  }
  // Connects the store's session (and finds the keyspace ready) before anything is timed.
  await store.headPosition(crypto.randomUUID());
  return {};
}

const draft = (roomId: string, chars: number): MessageDraft => ({
  roomId,
  authorId,
  authorUsername: "bench_writer",
  content: `positions bench ${roomId}`.padEnd(chars, "x"),
  createdAt: new Date(),
  editedAt: null,
  deleted: false,
  replyTo: null,
  threadRoot: null,
  clientId: null,
  mentions: [],
  attachmentIds: [],
});

/** chatd's append exactly as the domain calls it (ids minted after the room's last message). */
async function append(roomId: string, chars: number) {
  const d = draft(roomId, chars);
  const { message } = await store!.appendMessage(d, (after) => ids.nextAfter(after, d.createdAt.getTime()));
  return message;
}

/** Gives IPC (a `stop`) a turn: SQLite appends are synchronous and would never yield otherwise. */
const yieldTurn = () => new Promise((resolve) => setImmediate(resolve));

async function latency(cmd: Extract<WriterCommand, { op: "latency" }>): Promise<LatencyResult> {
  const histogram = new Histogram();
  // The same bytes a message's log entry carries.
  const payload = JSON.stringify({ ...draft(cmd.roomId, cmd.chars), id: ids.next(), seq: 1 });
  const call = (path: WritePath, i: number): Promise<unknown> =>
    path === "append" ? append(cmd.roomId, cmd.chars) : raw![path](cmd.roomId, i + 1, payload);
  let errors = 0;
  const errorSamples: string[] = [];
  const appended: Appended[] = [];
  for (let i = 0; i < cmd.warmup + cmd.samples; i++) {
    const started = performance.now();
    try {
      const result = await call(cmd.path, i);
      if (i >= cmd.warmup) histogram.record(performance.now() - started);
      if (cmd.path === "append") {
        const message = result as Awaited<ReturnType<typeof append>>;
        appended.push([0, message.seq, message.id]);
      }
    } catch (error) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(String(error).slice(0, 300));
    }
    if (i % 50 === 0) await yieldTurn();
  }
  return { latency: histogram.toJSON(), appended, errors, errorSamples };
}

async function run(cmd: Extract<WriterCommand, { op: "run" }>): Promise<RunResult> {
  if (cmd.roomIds.length === 0) throw new Error("a run needs at least one room");
  stopped = false;
  const histogram = new Histogram();
  const appended: Appended[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let measured = 0;
  await Bun.sleep(Math.max(0, cmd.startAt - Date.now()));
  for (const key of Object.keys(statements)) delete statements[key];
  statementTimes = {};
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const measureFrom = cmd.startAt + cmd.warmupMs;
  const end = measureFrom + cmd.durationMs;
  const payload = JSON.stringify({ ...draft(cmd.roomIds[0]!, cmd.chars), id: ids.next(), seq: 1 });
  for (let i = 0; !stopped && Date.now() < end; i++) {
    const room = i % cmd.roomIds.length;
    const began = Date.now();
    const started = performance.now();
    try {
      if (cmd.path === "lwt") await raw!.lwt(cmd.roomIds[room]!, cmd.positionBase + i + 1, payload);
      else {
        const message = await append(cmd.roomIds[room]!, cmd.chars);
        appended.push([room, message.seq, message.id]);
      }
      if (began >= measureFrom) {
        histogram.record(performance.now() - started);
        measured++;
      }
    } catch (error) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(String(error).slice(0, 300));
    }
    if (i % 50 === 0) await yieldTurn();
  }
  const used = process.cpuUsage(cpuStart);
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const seconds = (used.user + used.system) / 1e6;
  return {
    measured,
    measuredSeconds: Math.max(0.001, Math.min(Date.now(), end) - measureFrom) / 1000,
    latency: histogram.toJSON(),
    appended,
    errors,
    errorSamples,
    statements: { ...statements },
    statementLatency: Object.fromEntries(Object.entries(statementTimes).map(([kind, h]) => [kind, h.toJSON()])),
    cpu: { seconds, wallSeconds, share: seconds / wallSeconds },
  };
}

async function handle(cmd: WriterCommand): Promise<unknown> {
  switch (cmd.op) {
    case "open":
      return open(cmd.store);
    case "latency":
      return latency(cmd);
    case "run":
      return run(cmd);
    case "stop":
      stopped = true;
      return {};
    case "exit":
      await close().catch(() => {});
      setTimeout(() => process.exit(0), 10);
      return {};
  }
}

process.on("message", (message: { id: number; cmd: WriterCommand }) => {
  handle(message.cmd).then(
    (result) => process.send!({ id: message.id, ok: true, result } satisfies WriterReply),
    (error) => process.send!({ id: message.id, ok: false, error: String(error?.stack ?? error) } satisfies WriterReply),
  );
});
// The coordinator going away ends the writer too, and its life is bounded whatever happens.
process.on("disconnect", () => process.exit(0));
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 500).unref();
setTimeout(() => process.exit(3), Number(process.env.BENCH_WRITER_MAX_MS ?? 1_800_000)).unref();
process.send!({ id: 0, ok: true, result: "ready" } satisfies WriterReply);
