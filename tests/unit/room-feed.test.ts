// The room feed's ordering rules on the in-process bus, with a room log held in an array: events
// delivered in position order whatever order the bus brings them in, duplicates dropped, gaps read
// from the log, positions the caller knows are stored fetched on demand, a bus outage caught up.
import { afterEach, expect, test } from "bun:test";
import { MemoryBus } from "../../src/bus/memory";
import { encodeEvent, type PositionedEvent, roomSubject } from "../../src/domain/events";
import { createLogger } from "../../src/log";
import { type Delivery, RoomFeed } from "../../src/ws/room-feed";

const log = createLogger("silent");
const roomId = crypto.randomUUID();
const event = (seq: number): PositionedEvent => ({
  type: "message.deleted",
  room_id: roomId,
  message_id: crypto.randomUUID(),
  seq,
});

/** The room's log: what storage holds. `failures` reads fail before it answers again. */
function roomLog(entries: PositionedEvent[]) {
  const state = { entries, reads: 0, failures: 0 };
  return {
    state,
    source: {
      head: async () => state.entries.at(-1)?.seq ?? 0,
      after: async (_room: string, after: number, limit: number) => {
        state.reads++;
        if (state.failures > 0) {
          state.failures--;
          throw new Error("storage is unavailable");
        }
        return state.entries.filter((e) => e.seq > after).slice(0, limit);
      },
    },
  };
}

const feeds: RoomFeed[] = [];
afterEach(() => {
  for (const feed of feeds.splice(0)) feed.close();
});

async function start(initial: PositionedEvent[]) {
  const bus = new MemoryBus(log);
  const store = roomLog(initial);
  const delivered: Delivery[] = [];
  const feed = new RoomFeed(roomId, {
    bus,
    source: store.source,
    log,
    subject: roomSubject(roomId),
    deliver: (d) => delivered.push(d),
    repairDelayMs: 20,
  });
  feeds.push(feed);
  await feed.ready;
  const publish = async (e: PositionedEvent, stored = true) => {
    if (stored && !store.state.entries.some((x) => x.seq === e.seq)) store.state.entries.push(e);
    const { data, headers } = encodeEvent(e);
    await bus.publish(roomSubject(roomId), data, headers);
  };
  const seqs = () => delivered.map((d) => d.seq);
  return { bus, store, feed, delivered, publish, seqs };
}

async function until(check: () => boolean, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await Bun.sleep(5);
  }
}

test("a feed starts after the room's head: what was stored before it is not delivered again", async () => {
  const { feed, publish, seqs } = await start([event(1), event(2)]);
  expect(feed.position).toBe(2);
  await publish(event(2));
  await publish(event(3));
  expect(seqs()).toEqual([3]);
});

test("events published out of order are delivered in position order, without reading the log", async () => {
  const { store, publish, seqs } = await start([]);
  const [one, two, three] = [event(1), event(2), event(3)];
  store.state.entries.push(one, two, three);
  await publish(three);
  await publish(one);
  expect(seqs()).toEqual([1]);
  await publish(two);
  expect(seqs()).toEqual([1, 2, 3]);
  expect(store.state.reads).toBe(0);
});

test("a duplicate is dropped", async () => {
  const { publish, seqs } = await start([]);
  const one = event(1);
  await publish(one);
  await publish(one);
  await publish(event(2));
  await publish(one);
  expect(seqs()).toEqual([1, 2]);
});

test("a position the bus lost is read from the log, and delivered before what came after it", async () => {
  const { store, publish, seqs, delivered } = await start([]);
  const lost = event(1);
  store.state.entries.push(lost);
  await publish(event(2));
  expect(seqs()).toEqual([]);
  await until(() => seqs().length === 2);
  expect(seqs()).toEqual([1, 2]);
  expect(JSON.parse(delivered[0]!.raw)).toEqual(lost);
  expect(store.state.reads).toBeGreaterThanOrEqual(1);
});

test("a failing log read is retried; the events after the gap wait meanwhile", async () => {
  const { store, publish, seqs } = await start([]);
  store.state.entries.push(event(1));
  store.state.failures = 2;
  await publish(event(2));
  await until(() => seqs().length === 2, 5000);
  expect(seqs()).toEqual([1, 2]);
  expect(store.state.reads).toBeGreaterThanOrEqual(3);
});

test("through(p) resolves once p is delivered, reading the log for what the bus has not brought", async () => {
  const { feed, store, seqs } = await start([]);
  store.state.entries.push(event(1), event(2), event(3));
  await feed.through(3);
  expect(seqs()).toEqual([1, 2, 3]);
  await feed.through(2);
});

test("after a bus outage the feed compares with the log and delivers what it missed", async () => {
  const { feed, store, seqs } = await start([event(1)]);
  store.state.entries.push(event(2), event(3)); // stored while the bus was down: never published
  feed.resume();
  await until(() => seqs().length === 2);
  expect(seqs()).toEqual([2, 3]);
});

test("ephemeral events pass through at once, between positioned ones", async () => {
  const { bus, publish, delivered } = await start([]);
  await publish(event(2)); // waits for position 1
  const typing = encodeEvent({ type: "typing", room_id: roomId, user_id: "u1", username: "ana" });
  await bus.publish(roomSubject(roomId), typing.data, typing.headers);
  expect(delivered.map((d) => d.type)).toEqual(["typing"]);
  expect(delivered[0]).toMatchObject({ seq: null, user: "u1" });
});
