// The bus contract (ports/bus.ts) for every Bus adapter: confirmed subscriptions, subject and wildcard
// rules, headers, order per subject, unsubscribe, failing handlers, close.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { AppError } from "../../src/domain/errors";
import type { Logger } from "../../src/log";
import type { Bus, BusHeaders } from "../../src/ports/bus";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Waits until `check` holds, polling; buses may deliver asynchronously. */
export async function eventually(check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

/** A logger that keeps what is logged at error level. */
export function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const log = {
    errors,
    debug() {},
    info() {},
    warn() {},
    error: (msg: string) => errors.push(msg),
    child: () => log,
  };
  return log;
}

/**
 * `bus` is the adapter under test; `other` reaches the same bus over its own connection (for an
 * in-process bus, the same instance), to publish as another process would.
 */
export type BusPair = { bus: Bus; other: Bus };

export function runBusContract(name: string, factory: (log: Logger) => Promise<BusPair>) {
  describe(`Bus contract: ${name}`, () => {
    let bus: Bus;
    let other: Bus;
    let log: ReturnType<typeof recordingLogger>;
    const subject = () => `test.${crypto.randomUUID().replaceAll("-", "")}`;
    beforeEach(async () => {
      log = recordingLogger();
      ({ bus, other } = await factory(log));
    });
    afterEach(async () => {
      await Promise.all([bus.close(), other === bus ? undefined : other.close()]);
    });

    test("once ready resolves, a message another connection publishes right away is received", async () => {
      // Each subscription queues behind a large publish on the same connection, and is published to by
      // another connection the moment its ready resolves: an adapter that resolved before the server
      // registered the subscription would lose these.
      const subjects = Array.from({ length: 10 }, subject);
      const got = new Set<string>();
      const bulk = new Uint8Array(900 * 1024);
      for (const s of subjects) {
        for (let i = 0; i < 8; i++) await bus.publish(`${s}.bulk`, bulk);
        await bus.subscribe(s, (received) => got.add(received)).ready;
        await other.publish(s, bytes("x"));
      }
      await eventually(() => got.size === subjects.length);
      expect([...got].sort()).toEqual([...subjects].sort());
    });

    test("one publisher's messages on a subject arrive in publish order (10000 messages)", async () => {
      const s = subject();
      const got: number[] = [];
      await bus.subscribe(s, (_subject, data) => got.push(Number(text(data)))).ready;
      for (let i = 0; i < 10_000; i++) await other.publish(s, bytes(String(i)));
      await eventually(() => got.length === 10_000, 20_000);
      expect(got).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    });

    test("other subjects are not delivered; a `>` subscription gets every subject under its prefix, not the prefix itself", async () => {
      const base = subject();
      const exact: string[] = [];
      const wildcard: string[] = [];
      await bus.subscribe(`${base}.a`, (s) => exact.push(s)).ready;
      await bus.subscribe(`${base}.>`, (s) => wildcard.push(s)).ready;
      await other.publish(`${base}.a`, bytes("1"));
      await other.publish(`${base}.b.c`, bytes("2"));
      await other.publish(base, bytes("3"));
      await other.publish(`${subject()}.a`, bytes("4"));
      await other.publish(`${base}a.b`, bytes("5"));
      const marker = `${base}.end`;
      await other.publish(marker, bytes("6"));
      await eventually(() => wildcard.includes(marker));
      expect(exact).toEqual([`${base}.a`]);
      expect(wildcard).toEqual([`${base}.a`, `${base}.b.c`, marker]);
    });

    test("a lone `>` subscription receives every subject", async () => {
      const got: string[] = [];
      await bus.subscribe(">", (s) => got.push(s)).ready;
      const s = subject();
      await other.publish(`${s}.deep.er`, bytes("1"));
      await eventually(() => got.includes(`${s}.deep.er`));
    });

    test("headers arrive as published; a message without headers has none", async () => {
      const s = subject();
      const got: BusHeaders[] = [];
      await bus.subscribe(s, (_s, _d, headers) => got.push(headers)).ready;
      await other.publish(s, bytes("with"), { "Chatd-Event-Id": "e-1", "x-seq": "42" });
      await other.publish(s, bytes("without"));
      await eventually(() => got.length === 2);
      expect(got[0]).toEqual({ "Chatd-Event-Id": "e-1", "x-seq": "42" });
      expect(got[1]).toEqual({});
    });

    test("invalid subjects and headers are refused as programming errors", async () => {
      for (const bad of ["", "a b", "a..b", ".a", "a.", "a.*.b", "a.>", "a\tb"]) {
        await expect(bus.publish(bad, bytes("x"))).rejects.toBeInstanceOf(TypeError);
      }
      for (const bad of ["", "a b", "a.>.b", "a..>", "a>"]) {
        expect(() => bus.subscribe(bad, () => {})).toThrow(TypeError);
      }
      await expect(bus.publish(subject(), bytes("x"), { "bad name": "v" })).rejects.toBeInstanceOf(TypeError);
      await expect(bus.publish(subject(), bytes("x"), { good: "line\r\nbreak" })).rejects.toBeInstanceOf(TypeError);
    });

    test("after unsubscribe nothing more arrives; other subscribers, even with the same handler, go on", async () => {
      const s = subject();
      const first: string[] = [];
      const second: string[] = [];
      const handler = (_s: string, d: Uint8Array) => first.push(text(d));
      const sub = bus.subscribe(s, handler);
      const same = bus.subscribe(s, handler);
      await Promise.all([sub.ready, same.ready, bus.subscribe(s, (_s, d) => second.push(text(d))).ready]);
      await other.publish(s, bytes("before"));
      await eventually(() => first.length === 2 && second.length === 1);
      sub.unsubscribe();
      sub.unsubscribe();
      await other.publish(s, bytes("after"));
      await eventually(() => second.length === 2);
      await Bun.sleep(50);
      expect(first).toEqual(["before", "before", "after"]);
    });

    test("a handler that throws is logged and stops nothing: later messages and other subscribers still arrive", async () => {
      const s = subject();
      const got: string[] = [];
      await bus.subscribe(s, () => {
        throw new Error("handler bug");
      }).ready;
      await bus.subscribe(s, (_s, d) => got.push(text(d))).ready;
      await other.publish(s, bytes("1"));
      await other.publish(s, bytes("2"));
      await eventually(() => got.length === 2);
      expect(got).toEqual(["1", "2"]);
      expect(log.errors.length).toBeGreaterThanOrEqual(2);
      await bus.ping();
    });

    test("ping resolves while the bus answers; after close, ping and publish fail with unavailable", async () => {
      await bus.ping();
      await bus.close();
      for (const call of [() => bus.ping(), () => bus.publish(subject(), bytes("x"))]) {
        const error = await call().catch((e) => e);
        expect(error).toBeInstanceOf(AppError);
        expect(error.code).toBe("unavailable");
      }
    });
  });
}
