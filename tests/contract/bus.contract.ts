// The bus contract: subject matching, order per subject, headers and unsubscribe, for every Bus adapter.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Bus } from "../../src/ports/bus";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Waits until `check` holds, polling; buses may deliver asynchronously. */
async function eventually(check: () => boolean, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

export function runBusContract(name: string, factory: () => Promise<Bus>) {
  describe(`Bus contract: ${name}`, () => {
    let bus: Bus;
    const subject = () => `test.${crypto.randomUUID().replaceAll("-", "")}`;
    beforeEach(async () => {
      bus = await factory();
    });
    afterEach(() => bus.close());

    test("a subscriber receives what is published on its subject, in publish order", async () => {
      const s = subject();
      const got: string[] = [];
      bus.subscribe(s, (_subject, data) => got.push(text(data)));
      for (let i = 0; i < 100; i++) await bus.publish(s, bytes(String(i)));
      await eventually(() => got.length === 100);
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    });

    test("other subjects are not delivered; a `>` subscription gets every subject under its prefix", async () => {
      const base = subject();
      const exact: string[] = [];
      const wildcard: string[] = [];
      bus.subscribe(`${base}.a`, (s) => exact.push(s));
      bus.subscribe(`${base}.>`, (s) => wildcard.push(s));
      await bus.publish(`${base}.a`, bytes("1"));
      await bus.publish(`${base}.b`, bytes("2"));
      await bus.publish(`${subject()}.a`, bytes("3"));
      await eventually(() => wildcard.length === 2);
      await Bun.sleep(50);
      expect(exact).toEqual([`${base}.a`]);
      expect(wildcard).toEqual([`${base}.a`, `${base}.b`]);
    });

    test("after unsubscribe nothing more arrives; other subscribers go on", async () => {
      const s = subject();
      const first: string[] = [];
      const second: string[] = [];
      const sub = bus.subscribe(s, (_s, d) => first.push(text(d)));
      bus.subscribe(s, (_s, d) => second.push(text(d)));
      await bus.publish(s, bytes("before"));
      await eventually(() => first.length === 1 && second.length === 1);
      sub.unsubscribe();
      await bus.publish(s, bytes("after"));
      await eventually(() => second.length === 2);
      await Bun.sleep(50);
      expect(first).toEqual(["before"]);
    });

    test("headers travel with the message to every subscriber; a message without them has none", async () => {
      const s = subject();
      const got: { data: string; headers: Record<string, string> | undefined }[] = [];
      bus.subscribe(s, (_s, data, headers) => got.push({ data: text(data), headers }));
      bus.subscribe(`${s.split(".")[0]}.>`, (_s, data, headers) => got.push({ data: text(data), headers }));
      await bus.publish(s, bytes("with"), { "Chatd-Created-At": "1796150000000" });
      await bus.publish(s, bytes("without"));
      await eventually(() => got.length === 4);
      const withHeaders = got.filter((g) => g.data === "with");
      expect(withHeaders.map((g) => g.headers?.["Chatd-Created-At"])).toEqual(["1796150000000", "1796150000000"]);
      for (const g of got.filter((g) => g.data === "without")) expect(g.headers?.["Chatd-Created-At"]).toBeUndefined();
    });

    test("ping resolves", async () => {
      await bus.ping();
    });
  });
}
