// In-process timings of chatd's hot paths, without sockets or other processes, so a change to one of
// them shows up above the noise of a shared machine: sending a message through the domain, one room
// event through the bus and the hub, and history pages (newest, and deep behind a cursor).
// `bun bench/hot-paths.ts [--messages 5000] [--rounds 5]`; prints the median of the rounds, µs per op.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerWebSocket } from "bun";
import { createBackends, createServices } from "../src/app/wire";
import { defaultConfig } from "../src/config";
import { type RoomEvent, roomSubject } from "../src/domain/events";
import { MessageIdGenerator } from "../src/domain/ids";
import { messageView } from "../src/domain/views";
import { createLogger } from "../src/log";
import { createMetrics } from "../src/metrics";
import { Connection } from "../src/ws/connection";
import { Fanout } from "../src/ws/fanout";
import { Hub } from "../src/ws/hub";
import { parseArgs } from "./lib/args";

const o = parseArgs("hot-paths", {
  messages: { default: 5000, min: 100, max: 200_000, help: "messages in the room before timing history" },
  rounds: { default: 5, min: 1, max: 50, help: "rounds per timing (the median is shown)" },
});

/** Median over rounds of µs per call, after a warm-up round. */
async function time(label: string, calls: number, work: (i: number) => unknown) {
  const rounds: number[] = [];
  for (let round = -1; round < o.rounds; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) await work(i);
    if (round >= 0) rounds.push(((performance.now() - started) * 1000) / calls);
  }
  rounds.sort((a, b) => a - b);
  const median = rounds[Math.floor(rounds.length / 2)]!;
  process.stdout.write(`${label.padEnd(48)} ${median.toFixed(1).padStart(8)} µs\n`);
  return median;
}

const dataDir = mkdtempSync(join(tmpdir(), "chatd-hot-paths-"));
const config = defaultConfig({
  dataDir,
  jwtSecret: "hot-paths-secret-that-is-long-enough-to-use",
  passwordMemoryKib: 1024,
  passwordTimeCost: 1,
  messagesPerMinute: 1_000_000,
});
const log = createLogger("silent");
const backends = await createBackends(config, log);
await backends.store.migrate();
const services = createServices(config, backends, log);
const user = await services.accounts.signup({
  username: "hot_paths",
  email: "hot@bench.invalid",
  password: "password-1",
});
const room = await services.rooms.create(user.id, { name: "hot", type: "public" });
const content = "bench|0|1|1795215727547.608|".padEnd(100, "x");

// The hub with 100 subscribers behind a server whose publish does nothing: what chatd adds per event.
const metrics = createMetrics();
const fanout = new Fanout({ metrics, log, maxBufferedBytes: 1 << 20, onSlow: () => {} });
const hub = new Hub({
  bus: backends.bus,
  source: services.timeline,
  fanout,
  metrics,
  log,
  subjectOf: roomSubject,
  onEvicted: () => {},
});
let published = 0;
fanout.attach({ publish: () => ++published, subscriberCount: () => 100 });
for (let i = 0; i < 100; i++) {
  const ws = { subscribe() {}, unsubscribe() {}, send() {}, getBufferedAmount: () => 0 };
  const connection = new Connection(`c${i}`, user.id, user.username, ws as unknown as ServerWebSocket<unknown>);
  await hub.join(connection, room.id, () => "{}");
}

process.stdout.write(`chatd hot paths (median of ${o.rounds} rounds)\n`);
await time("send a message (domain: checks, insert, event)", 2000, () =>
  services.messages.send(user.id, room.id, { content }),
);
const sample = (await backends.store.listMessages(room.id, { limit: 1 }))[0]!;
const event: RoomEvent = {
  type: "message.created",
  room_id: room.id,
  message: messageView(sample),
  seq: sample.seq,
};
// Consecutive positions, as the room feed expects them (it reads the log only on a gap).
let position = sample.seq;
await time("publish one event (encode, bus, feed, hub, publish)", 20_000, () =>
  services.events.publish({ ...event, seq: ++position }),
);
const ids = new MessageIdGenerator();
const { id: _id, seq: _seq, ...draft } = sample;
await time("append a message (store)", 2000, () =>
  backends.store.appendMessage({ ...draft, createdAt: new Date() }, (after) => ids.nextAfter(after)),
);

for (let i = 0; i < o.messages; i++) await services.messages.send(user.id, room.id, { content });
const all = await backends.store.listMessages(room.id, { limit: o.messages + 10_000 });
const deep = all[Math.floor(all.length * 0.9)]!.id;
await time("history: newest page of 51 (store)", 2000, () => backends.store.listMessages(room.id, { limit: 51 }));
await time(`history: 51 before a cursor 90 % deep (store)`, 500, () =>
  backends.store.listMessages(room.id, { before: deep, limit: 51 }),
);
await time(`history: 51 after a cursor 90 % deep (store)`, 500, () =>
  backends.store.listMessages(room.id, { after: deep, limit: 51 }),
);
await time("history page of 50 (domain, with reactions)", 1000, () =>
  services.messages.history(user.id, room.id, { limit: 50 }),
);
hub.close();
await backends.store.close();
rmSync(dataDir, { recursive: true, force: true });
