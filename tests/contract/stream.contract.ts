// The event stream contract (ports/stream.ts) for every EventStream adapter: sequences, msgId dedupe,
// expected last subject sequence, durable consumers with explicit acks, redelivery, resume, lag.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { AppError, SequenceConflict } from "../../src/domain/errors";
import type { Logger } from "../../src/log";
import type { ConsumeOptions, EventStream, StreamConsumer, StreamMessage } from "../../src/ports/stream";
import { eventually, recordingLogger } from "./bus.contract";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/**
 * One empty stream holding `test.events.>`. `restart` stands for a process restart: it closes the
 * adapter and opens a new one on the same backend (the in-process stream lives as long as its process,
 * so there it hands back the same instance, its consumers already stopped by the test).
 */
export type StreamScope = {
  open(): Promise<EventStream>;
  restart(stream: EventStream): Promise<EventStream>;
  dispose(): Promise<void>;
};

type Received = { seq: number; subject: string; text: string; deliveries: number };

/** A consumer that records what it gets and acks each message when `ack(message)` says so. */
async function record(
  stream: EventStream,
  name: string,
  ack: (message: StreamMessage) => boolean,
  options: ConsumeOptions = {},
) {
  const got: Received[] = [];
  const batches: number[] = [];
  const consumer = await stream.consume(
    name,
    async (messages) => {
      batches.push(messages.length);
      for (const m of messages) {
        got.push({ seq: m.seq, subject: m.subject, text: text(m.data), deliveries: m.deliveries });
        if (ack(m)) await m.ack();
      }
    },
    options,
  );
  return { got, batches, consumer };
}

/** The consumer's progress once its lag is `lag` (acks are recorded a moment after the handler sent them). */
async function progressWhen(consumer: StreamConsumer, lag: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await consumer.progress();
    if (progress.lag === lag || Date.now() > deadline) return progress;
    await Bun.sleep(10);
  }
}

export function runStreamContract(name: string, newScope: (log: Logger) => Promise<StreamScope>) {
  describe(`EventStream contract: ${name}`, () => {
    let scope: StreamScope;
    let stream: EventStream;
    const consumers: StreamConsumer[] = [];
    const durable = () => `d${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const append = (subject: string, body: string, msgId: string = crypto.randomUUID()) =>
      stream.append(subject, bytes(body), { msgId });

    beforeEach(async () => {
      scope = await newScope(recordingLogger());
      stream = await scope.open();
    });
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.stop()));
      await stream.close();
      await scope.dispose();
    });

    test("appends get increasing sequences; a consumer receives them in order and acks them, leaving no lag", async () => {
      const a = await append("test.events.a", "one");
      const b = await append("test.events.b", "two");
      const c = await append("test.events.a", "three");
      expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
      expect([a.duplicate, b.duplicate, c.duplicate]).toEqual([false, false, false]);
      const { got, consumer } = await record(stream, durable(), () => true);
      consumers.push(consumer);
      await eventually(() => got.length === 3);
      expect(got).toEqual([
        { seq: 1, subject: "test.events.a", text: "one", deliveries: 1 },
        { seq: 2, subject: "test.events.b", text: "two", deliveries: 1 },
        { seq: 3, subject: "test.events.a", text: "three", deliveries: 1 },
      ]);
      expect(await consumer.lag()).toBe(0);
      const d = await append("test.events.c", "four");
      await eventually(() => got.length === 4);
      expect(got[3]).toMatchObject({ seq: d.seq, text: "four" });
    });

    test("a delivered message carries when the stream stored it, growing with its sequence", async () => {
      const before = Date.now();
      for (const body of ["1", "2", "3"]) await append("test.events.a", body);
      const after = Date.now();
      const stamps: number[] = [];
      const consumer = await stream.consume(durable(), async (messages) => {
        for (const m of messages) {
          stamps.push(m.timestamp);
          await m.ack();
        }
      });
      consumers.push(consumer);
      await eventually(() => stamps.length === 3);
      // The same machine's clock (the server's for JetStream), to the millisecond.
      for (const stamp of stamps) {
        expect(stamp).toBeGreaterThanOrEqual(before - 1);
        expect(stamp).toBeLessThanOrEqual(after + 1);
      }
      expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    });

    test("progress names the oldest message not acked under the name, also one a stopped consumer held", async () => {
      const name = durable();
      for (const body of ["1", "2", "3"]) await append("test.events.a", body);
      const stamps = new Map<string, number>();
      // Acks "1" and "3", holds "2" (delivered, never acked), as a consumer that then dies would.
      const first = await stream.consume(
        name,
        async (messages) => {
          for (const m of messages) {
            stamps.set(text(m.data), m.timestamp);
            if (text(m.data) !== "2") await m.ack();
          }
        },
        { ackWaitMs: 60_000 },
      );
      await eventually(() => stamps.size === 3);
      expect(await progressWhen(first, 1)).toEqual({ lag: 1, oldestUnackedAt: stamps.get("2") as number });
      await first.stop();
      const second = await stream.consume(name, async () => {}, { ackWaitMs: 60_000 });
      consumers.push(second);
      expect(await second.progress()).toEqual({ lag: 1, oldestUnackedAt: stamps.get("2") as number });
      const other = await record(stream, durable(), () => true);
      consumers.push(other.consumer);
      expect(await progressWhen(other.consumer, 0)).toEqual({ lag: 0, oldestUnackedAt: null });
    });

    test("waiting messages come in batches of at most `batch`, oldest first", async () => {
      for (let i = 1; i <= 7; i++) await append("test.events.a", String(i));
      const { got, batches, consumer } = await record(stream, durable(), () => true, { batch: 3 });
      consumers.push(consumer);
      await eventually(() => got.length === 7);
      expect(got.map((m) => m.text)).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
      expect(Math.max(...batches)).toBeLessThanOrEqual(3);
    });

    test("a repeated msgId stores nothing and returns the first append's sequence", async () => {
      const first = await append("test.events.a", "once", "id-1");
      const again = await append("test.events.a", "twice", "id-1");
      const other = await append("test.events.a", "other", "id-2");
      expect(again).toEqual({ seq: first.seq, duplicate: true });
      expect(other).toEqual({ seq: first.seq + 1, duplicate: false });
      const { got, consumer } = await record(stream, durable(), () => true);
      consumers.push(consumer);
      await eventually(() => got.length === 2);
      expect(got.map((m) => m.text)).toEqual(["once", "other"]);
      expect(await consumer.lag()).toBe(0);
    });

    test("an append expecting the wrong last sequence of its subject is refused with the actual one", async () => {
      const subject = "test.events.room1";
      const first = await stream.append(subject, bytes("a"), { msgId: "m1", expectedLastSubjectSeq: 0 });
      await append("test.events.room2", "elsewhere");
      const error = await stream
        .append(subject, bytes("b"), { msgId: "m2", expectedLastSubjectSeq: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SequenceConflict);
      expect(error).toMatchObject({ code: "conflict", status: 409, subject, expected: 0, lastSeq: first.seq });
      const stale = await stream
        .append(subject, bytes("b"), { msgId: "m3", expectedLastSubjectSeq: first.seq + 1 })
        .catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(SequenceConflict);
      const second = await stream.append(subject, bytes("b"), { msgId: "m4", expectedLastSubjectSeq: first.seq });
      expect(second).toEqual({ seq: first.seq + 2, duplicate: false });
      // Another subject's last sequence is its own.
      await stream.append("test.events.room3", bytes("c"), { msgId: "m5", expectedLastSubjectSeq: 0 });
    });

    test("messages not acked when the consumer stops are redelivered to the next consumer of that name", async () => {
      const name = durable();
      for (const body of ["1", "2"]) await append("test.events.a", body);
      const first = await record(stream, name, () => false, { ackWaitMs: 1000 });
      await eventually(() => first.got.length === 2);
      await first.consumer.stop();
      const second = await record(stream, name, () => true, { ackWaitMs: 1000 });
      consumers.push(second.consumer);
      await eventually(() => second.got.length === 2);
      expect(second.got.map((m) => [m.text, m.deliveries])).toEqual([
        ["1", 2],
        ["2", 2],
      ]);
      expect(await second.consumer.lag()).toBe(0);
    });

    test("after a restart a consumer resumes after the last message it acked", async () => {
      const name = durable();
      for (const body of ["1", "2", "3"]) await append("test.events.a", body);
      const before = await record(stream, name, () => true);
      await eventually(() => before.got.length === 3);
      await before.consumer.stop();
      stream = await scope.restart(stream);
      for (const body of ["4", "5"]) await append("test.events.a", body);
      const after = await record(stream, name, () => true);
      consumers.push(after.consumer);
      await eventually(() => after.got.length === 2);
      expect(after.got.map((m) => [m.seq, m.text, m.deliveries])).toEqual([
        [4, "4", 1],
        [5, "5", 1],
      ]);
      expect(await after.consumer.lag()).toBe(0);
    });

    test("lag counts messages waiting and delivered but not acked", async () => {
      for (let i = 1; i <= 5; i++) await append("test.events.a", String(i));
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const held: StreamMessage[] = [];
      const consumer = await stream.consume(
        durable(),
        async (messages) => {
          held.push(...messages);
          await gate;
          for (const m of messages) await m.ack();
        },
        { batch: 2 },
      );
      consumers.push(consumer);
      await eventually(() => held.length === 2);
      expect(await consumer.lag()).toBe(5);
      release();
      await eventually(() => held.length === 5);
      let lag = -1;
      for (const deadline = Date.now() + 5000; lag !== 0 && Date.now() < deadline; await Bun.sleep(20))
        lag = await consumer.lag();
      expect(lag).toBe(0);
    });

    test("when the handler rejects, the messages it did not ack come again after the retry delay", async () => {
      await append("test.events.a", "fine");
      await append("test.events.a", "poison");
      const got: Received[] = [];
      const consumer = await stream.consume(
        durable(),
        async (messages) => {
          for (const m of messages) {
            got.push({ seq: m.seq, subject: m.subject, text: text(m.data), deliveries: m.deliveries });
            if (text(m.data) === "fine") await m.ack();
            else if (m.deliveries === 1) throw new Error("indexing failed");
            else await m.ack();
          }
        },
        { retryDelayMs: 100, ackWaitMs: 30_000 },
      );
      consumers.push(consumer);
      await eventually(() => got.length === 3);
      expect(got.map((m) => [m.text, m.deliveries])).toEqual([
        ["fine", 1],
        ["poison", 1],
        ["poison", 2],
      ]);
    });

    test("a nakked message is redelivered", async () => {
      await append("test.events.a", "again");
      const got: number[] = [];
      const consumer = await stream.consume(durable(), async (messages) => {
        for (const m of messages) {
          got.push(m.deliveries);
          if (m.deliveries === 1) m.nak();
          else await m.ack();
        }
      });
      consumers.push(consumer);
      await eventually(() => got.length === 2);
      expect(got).toEqual([1, 2]);
    });

    test("subjects outside the stream and bad consumer names are programming errors", async () => {
      await expect(append("other.events.a", "x")).rejects.toBeInstanceOf(TypeError);
      await expect(append("test.events", "x")).rejects.toBeInstanceOf(TypeError);
      await expect(stream.consume("bad.name", async () => {})).rejects.toBeInstanceOf(TypeError);
    });

    test("ping resolves while the stream answers; after close it fails with unavailable", async () => {
      await stream.ping();
      await stream.close();
      const error = await stream.ping().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("unavailable");
    });
  });
}
