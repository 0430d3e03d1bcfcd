// The in-process event stream's byte limit: what every consumer name has acked is dropped past
// maxBytes, so memory stays flat while consumers keep up; what some consumer has not acked is kept.
import { expect, test } from "bun:test";
import { MemoryEventStream } from "../../src/bus/memory";
import { createLogger } from "../../src/log";
import type { StreamMessage } from "../../src/ports/stream";

const KIB = new Uint8Array(1024);

/** Appends `count` 1 KiB messages, each with an id of its own. */
async function fill(stream: MemoryEventStream, count: number, from = 0) {
  for (let i = from; i < from + count; i++) await stream.append("t.events.r", KIB, { msgId: `m${i}` });
}

/** The sequences a new consumer name is handed at once: what the stream keeps. */
async function kept(stream: MemoryEventStream, name: string) {
  const seen: number[] = [];
  const consumer = await stream.consume(name, async (batch) => {
    for (const m of batch) seen.push(m.seq);
  });
  await Bun.sleep(20);
  await consumer.stop();
  return seen;
}

/** A consumer that acks everything, resolved once it has acked up to `seq`. */
async function acking(stream: MemoryEventStream, name: string) {
  let acked = 0;
  const consumer = await stream.consume(name, async (batch: StreamMessage[]) => {
    for (const m of batch) {
      await m.ack();
      acked = m.seq;
    }
  });
  return {
    consumer,
    through: async (seq: number) => {
      while (acked < seq) await Bun.sleep(1);
    },
  };
}

test("past maxBytes the messages every consumer acked are dropped, oldest first; the newest stay", async () => {
  const stream = new MemoryEventStream({ subjects: "t.events.>", maxBytes: 10 * 1024, log: createLogger("silent") });
  const reader = await acking(stream, "indexer");
  await fill(stream, 100);
  await reader.through(100);
  await fill(stream, 1, 100); // the limit applies on append
  const seqs = await kept(stream, "late");
  expect(seqs.length).toBeGreaterThan(0);
  expect(seqs.length).toBeLessThanOrEqual(11);
  expect(seqs.at(-1)).toBe(101);
  await reader.consumer.stop();
  await stream.close();
});

test("what a consumer name has not acked is kept past maxBytes, and delivered to it in full", async () => {
  const stream = new MemoryEventStream({ subjects: "t.events.>", maxBytes: 10 * 1024, log: createLogger("silent") });
  const fast = await acking(stream, "fast");
  // "slow" exists (it was handed nothing yet) and has acked nothing: nothing it will need is dropped.
  await (await stream.consume("slow", async () => {})).stop();
  await fill(stream, 50);
  await fast.through(50);
  const seqs = await kept(stream, "slow");
  expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  await fast.consumer.stop();
  await stream.close();
});

test("with no consumer name yet nothing is dropped by bytes: the first consumer gets every message", async () => {
  const stream = new MemoryEventStream({ subjects: "t.events.>", maxBytes: 4 * 1024, log: createLogger("silent") });
  await fill(stream, 30);
  expect(await kept(stream, "first")).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  await stream.close();
});

test("a message dropped by the byte limit is no longer held: its bytes are garbage at once", async () => {
  const stream = new MemoryEventStream({ subjects: "t.events.>", maxBytes: 10 * 1024, log: createLogger("silent") });
  const reader = await acking(stream, "indexer");
  const early: WeakRef<Uint8Array>[] = [];
  for (let i = 0; i < 300; i++) {
    const data = new Uint8Array(1024);
    if (i < 50) early.push(new WeakRef(data));
    await stream.append("t.events.r", data, { msgId: `m${i}` });
  }
  await reader.through(300);
  await fill(stream, 1, 300);
  Bun.gc(true);
  // The stream keeps about 10 messages; the first 50 were dropped long ago. (A few may still be
  // reachable from a stack the collector scans conservatively.)
  expect(early.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(5);
  await reader.consumer.stop();
  await stream.close();
});
