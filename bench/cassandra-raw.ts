// What the raw cassandra-driver sustains on the same Cassandra chatd uses (the limit for chatd's sends):
// loops of message-sized rows with prepared statements, a bounded number in flight and chatd's
// consistency (LOCAL_QUORUM; LOCAL_SERIAL for the compare-and-set), in a keyspace of its own dropped
// at the end. `insert`: one plain INSERT of a messages row. `append`: what a chatd send stores at the
// least, one compare-and-set on the room's log head then the messages row, one chain per room.
// `bun bench/cassandra-raw.ts [--mode insert,append] [--seconds 10] [--in-flight 32] [--rate 0]`.
import { Client, types } from "cassandra-driver";
import { parseCommandLine } from "./lib/args";
import { round } from "./lib/pool";
import { cpuSeconds, machineTicks } from "./lib/proc";
import { formatValue, writeJson } from "./lib/report";
import { log, runMain } from "./lib/scenario";
import { Histogram } from "./lib/stats";
import { cassandraContactPoint } from "./lib/target";

const options = {
  mode: { default: "insert,append", help: "insert (plain INSERT), append (CAS on the log head + INSERT), or both" },
  seconds: { default: 10, min: 1, max: 30, help: "seconds of load per mode" },
  inFlight: { default: 32, min: 1, max: 1024, help: "insert: requests in flight at once" },
  rooms: {
    default: 50,
    min: 1,
    max: 1000,
    help: "rooms written to (append: one chain per room, so in flight = rooms)",
  },
  rate: { default: 0, min: 0, max: 100_000, help: "messages per second to offer (0: as fast as the bound allows)" },
  messageChars: { default: 100, min: 1, max: 4000, help: "characters of content per message" },
};
type Options = ReturnType<typeof parseCommandLine<typeof options>>;

const SCHEMA = [
  `CREATE TABLE messages (room_id uuid, bucket int, seq blob, id timeuuid, position bigint, author_id uuid,
     author_username text, content text, created_at timestamp, edited_at timestamp, deleted boolean,
     reply_to uuid, client_id text, mentions frozen<list<uuid>>, attachment_ids frozen<list<text>>,
     PRIMARY KEY ((room_id, bucket), seq)) WITH CLUSTERING ORDER BY (seq DESC)`,
  `CREATE TABLE room_log (room_id uuid, block bigint, position bigint, head bigint static,
     last_message_id timeuuid static, entry_id uuid, type text, message_id timeuuid, payload text,
     PRIMARY KEY ((room_id, block), position))`,
];
const INSERT = `INSERT INTO messages (room_id, bucket, seq, id, position, author_id, author_username, content,
  created_at, edited_at, deleted, reply_to, client_id, mentions, attachment_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const CAS = `UPDATE room_log SET head = ?, last_message_id = ?, entry_id = ?, type = ?, message_id = ?, payload = ?
  WHERE room_id = ? AND block = 0 AND position = ? IF head = `;

/** The Cassandra JVM's pid (for its CPU), or null when it runs elsewhere. */
function cassandraPid(): number | null {
  const found = Bun.spawnSync(["pgrep", "-f", "CassandraDaemon"]).stdout.toString().trim().split("\n")[0];
  return found ? Number(found) : null;
}

function messageRow(room: string, position: number, chars: number) {
  const id = types.TimeUuid.now();
  const author = types.Uuid.random();
  const content = `raw|${position}|`.padEnd(chars, "x");
  const row = [
    room,
    0,
    id.getBuffer(),
    id,
    position,
    author,
    "raw-user",
    content,
    new Date(),
    null,
    false,
    null,
    null,
    [],
    [],
  ];
  return { id, row, payload: JSON.stringify({ id: id.toString(), content, author_id: author.toString() }) };
}

async function runMode(client: Client, o: Options, mode: "insert" | "append") {
  const rooms = Array.from({ length: o.rooms }, () => types.Uuid.random().toString());
  const latency = new Histogram();
  let done = 0;
  let errors = 0;
  let next = 0;
  const write = { prepare: true, consistency: types.consistencies.localQuorum, isIdempotent: true };
  const cas = { ...write, serialConsistency: types.consistencies.localSerial, isIdempotent: false };
  const started = performance.now();
  const end = started + o.seconds * 1000;
  const cpu = { self: process.cpuUsage(), cassandra: pid ? cpuSeconds(pid) : 0, machine: machineTicks() };
  /** Waits until message n is due (at the offered rate), false when the run is over. */
  const due = async () => {
    const n = next++;
    if (o.rate > 0) {
      const at = started + (n * 1000) / o.rate;
      if (at > performance.now()) await Bun.sleep(at - performance.now());
    }
    return performance.now() < end;
  };
  const timed = async (work: () => Promise<void>) => {
    const t0 = performance.now();
    try {
      await work();
      latency.record(performance.now() - t0);
      done++;
    } catch (error) {
      if (errors++ < 3) log(`${mode}: ${String(error)}`);
    }
  };
  if (mode === "insert") {
    let position = 0;
    const lane = async () => {
      while (await due()) {
        const { row } = messageRow(rooms[position % rooms.length]!, ++position, o.messageChars);
        await timed(async () => {
          await client.execute(INSERT, row, write);
        });
      }
    };
    await Promise.all(Array.from({ length: o.inFlight }, lane));
  } else {
    // One chain per room, as chatd's one writer per room: the head is known, so no read in between.
    const chain = async (room: string) => {
      let head = 0;
      while (await due()) {
        const position = head + 1;
        const { id, row, payload } = messageRow(room, position, o.messageChars);
        await timed(async () => {
          const entry = [position, id, types.Uuid.random(), "message.created", id, payload, room, position];
          const result = await client.execute(
            CAS + (head === 0 ? "null" : "?"),
            head === 0 ? entry : [...entry, head],
            cas,
          );
          if (!result.wasApplied()) throw new Error(`position ${position} of room ${room} taken`);
          await client.execute(INSERT, row, write);
          head = position;
        });
      }
    };
    await Promise.all(rooms.map(chain));
  }
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(cpu.self);
  const machine = machineTicks();
  const cassandraCores = pid ? (cpuSeconds(pid) - cpu.cassandra) / seconds : Number.NaN;
  return {
    mode,
    in_flight: mode === "insert" ? o.inFlight : o.rooms,
    messages: done,
    errors,
    messages_per_second: round(done / seconds, 1),
    latency_ms: {
      p50: round(latency.percentile(50), 3),
      p95: round(latency.percentile(95), 3),
      p99: round(latency.percentile(99), 3),
      max: round(latency.max, 3),
    },
    client_cores: round((self.user + self.system) / 1e6 / seconds, 3),
    client_cpu_us_per_message: round((self.user + self.system) / Math.max(1, done), 1),
    cassandra_cores: round(cassandraCores, 3),
    cassandra_cpu_us_per_message: round((cassandraCores * seconds * 1e6) / Math.max(1, done), 1),
    machine_busy: round((machine.busy - cpu.machine.busy) / Math.max(1, machine.total - cpu.machine.total), 3),
  };
}

const pid = cassandraPid();

async function rawLoop(o: Options) {
  const modes = o.mode.split(",").map((m) => m.trim());
  if (!modes.every((m) => m === "insert" || m === "append")) throw new Error("--mode: insert, append or both");
  const keyspace = `chatd_raw_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const client = new Client({ contactPoints: [cassandraContactPoint()], localDataCenter: "datacenter1" });
  await client.connect();
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).map(Number);
  const results = [];
  try {
    await client.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    for (const ddl of SCHEMA) await client.execute(ddl.replace("TABLE ", `TABLE ${keyspace}.`));
    await client.execute(`USE ${keyspace}`);
    for (const mode of modes as ("insert" | "append")[]) {
      log(`${mode}: ${o.seconds} s`);
      results.push(await runMode(client, o, mode));
    }
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch((e) => log(`drop ${keyspace}: ${e}`));
    await client.shutdown();
  }
  const file = writeJson("cassandra-raw", { options: o, load_average_before: load, cassandra_pid: pid, results });
  for (const r of results) {
    const l = r.latency_ms;
    process.stdout.write(
      `${r.mode.padEnd(7)} ${formatValue(r.messages_per_second, "rate")} (${r.in_flight} in flight, ${r.errors} errors)  ` +
        `p50 ${formatValue(l.p50, "ms")}  p95 ${formatValue(l.p95, "ms")}  p99 ${formatValue(l.p99, "ms")}  ` +
        `client ${r.client_cpu_us_per_message} µs/msg  Cassandra ${r.cassandra_cores} cores, ${r.cassandra_cpu_us_per_message} µs/msg  ` +
        `machine ${Math.round(r.machine_busy * 100)} % busy\n`,
    );
  }
  process.stdout.write(`load average before: ${load.join(" ")}\nresult: ${file}\n`);
  return results.every((r) => r.errors === 0);
}

if (import.meta.main) {
  const o = parseCommandLine("cassandra-raw", options);
  await runMain((o.seconds * 2 + 120) * 1000, async () => {
    const ok = await rawLoop(o);
    return [{ scenario: "cassandra-raw", ok, file: "", title: "", table: [], thresholds: [], warnings: [] }];
  });
}
