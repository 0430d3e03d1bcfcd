// The limiter contract: GCRA semantics every Limiter adapter must share, so limits mean the same on
// every backend. With `shared`, two limiters from the factory stand for two processes on one backend.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Limiter } from "../../src/ports/limiter";

export function runLimiterContract(
  name: string,
  factory: () => Promise<Limiter>,
  options: { shared?: boolean; describe?: typeof describe } = {},
) {
  (options.describe ?? describe)(`Limiter contract: ${name}`, () => {
    let limiter: Limiter;
    const key = () => `test:${crypto.randomUUID()}`;
    beforeEach(async () => {
      limiter = await factory();
    });
    afterEach(() => limiter.close());

    test("allows a burst of `limit`, then refuses with a retry time within one interval", async () => {
      const k = key();
      const rule = { limit: 5, periodMs: 60_000 };
      for (let i = 0; i < 5; i++) expect((await limiter.consume(k, rule)).allowed).toBe(true);
      const denied = await limiter.consume(k, rule);
      expect(denied.allowed).toBe(false);
      expect(denied.retryAfterMs).toBeGreaterThan(0);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(12_000);
    });

    test("a refused hit costs nothing, and room comes back as time passes", async () => {
      const k = key();
      const rule = { limit: 2, periodMs: 400 };
      await limiter.consume(k, rule);
      await limiter.consume(k, rule);
      for (let i = 0; i < 3; i++) expect((await limiter.consume(k, rule)).allowed).toBe(false);
      await Bun.sleep(250);
      expect((await limiter.consume(k, rule)).allowed).toBe(true);
    });

    test("peek answers like consume without recording a hit", async () => {
      const k = key();
      const rule = { limit: 1, periodMs: 60_000 };
      for (let i = 0; i < 3; i++) expect((await limiter.peek(k, rule)).allowed).toBe(true);
      await limiter.consume(k, rule);
      expect((await limiter.peek(k, rule)).allowed).toBe(false);
    });

    test("reset forgets a key; other keys are untouched", async () => {
      const [a, b] = [key(), key()];
      const rule = { limit: 1, periodMs: 60_000 };
      await limiter.consume(a, rule);
      await limiter.consume(b, rule);
      await limiter.reset(a);
      expect((await limiter.consume(a, rule)).allowed).toBe(true);
      expect((await limiter.consume(b, rule)).allowed).toBe(false);
    });

    test("refund takes back one recorded hit: a full key has room for exactly one more", async () => {
      const k = key();
      const rule = { limit: 3, periodMs: 60_000 };
      for (let i = 0; i < 3; i++) await limiter.consume(k, rule);
      await limiter.refund(k, rule);
      expect((await limiter.consume(k, rule)).allowed).toBe(true);
      expect((await limiter.consume(k, rule)).allowed).toBe(false);
    });

    test("refund never goes below empty: refunds on a fresh key add no room", async () => {
      const [fresh, used] = [key(), key()];
      const rule = { limit: 2, periodMs: 60_000 };
      for (let i = 0; i < 3; i++) await limiter.refund(fresh, rule);
      await limiter.consume(used, rule);
      for (let i = 0; i < 3; i++) await limiter.refund(used, rule);
      for (const k of [fresh, used]) {
        expect((await limiter.consume(k, rule)).allowed).toBe(true);
        expect((await limiter.consume(k, rule)).allowed).toBe(true);
        expect((await limiter.consume(k, rule)).allowed).toBe(false);
      }
    });

    test("concurrent consumes and refunds: every refund returns one place, no more", async () => {
      const k = key();
      const rule = { limit: 10, periodMs: 60_000 };
      for (let i = 0; i < 10; i++) await limiter.consume(k, rule);
      await Promise.all([
        ...Array.from({ length: 4 }, () => limiter.refund(k, rule)),
        ...Array.from({ length: 4 }, () => limiter.peek(k, rule)),
      ]);
      const decisions = await Promise.all(Array.from({ length: 10 }, () => limiter.consume(k, rule)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(4);
    });

    test("concurrent hits never exceed the limit", async () => {
      const k = key();
      const rule = { limit: 10, periodMs: 60_000 };
      const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.consume(k, rule)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    });

    test("a refund gives back exactly one hit", async () => {
      const k = key();
      const rule = { limit: 3, periodMs: 60_000 };
      for (let i = 0; i < 3; i++) await limiter.consume(k, rule);
      expect((await limiter.consume(k, rule)).allowed).toBe(false);
      await limiter.refund(k, rule);
      expect((await limiter.peek(k, rule)).allowed).toBe(true);
      expect((await limiter.consume(k, rule)).allowed).toBe(true);
      const denied = await limiter.consume(k, rule);
      expect(denied.allowed).toBe(false);
      expect(denied.retryAfterMs).toBeGreaterThan(15_000);
    });

    test("refunds never go below empty: a key never gets more than its burst", async () => {
      const [fresh, used] = [key(), key()];
      const rule = { limit: 2, periodMs: 60_000 };
      await limiter.refund(fresh, rule);
      await limiter.consume(used, rule);
      for (let i = 0; i < 3; i++) await limiter.refund(used, rule);
      for (const k of [fresh, used]) {
        const decisions = [];
        for (let i = 0; i < 3; i++) decisions.push((await limiter.consume(k, rule)).allowed);
        expect(decisions).toEqual([true, true, false]);
      }
    });

    if (options.shared) {
      test("a limit holds across processes: two limiters on one backend allow `limit` in total", async () => {
        const other = await factory();
        try {
          const k = key();
          const rule = { limit: 8, periodMs: 60_000 };
          const decisions = await Promise.all(
            Array.from({ length: 30 }, (_, i) => (i % 2 ? other : limiter).consume(k, rule)),
          );
          expect(decisions.filter((d) => d.allowed)).toHaveLength(8);
          await other.reset(k);
          expect((await limiter.consume(k, rule)).allowed).toBe(true);
        } finally {
          await other.close();
        }
      });
    }
  });
}
