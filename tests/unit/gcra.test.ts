// The rate-limit arithmetic every limiter adapter shares.
import { expect, test } from "bun:test";
import { gcra, gcraRefund } from "../../src/limits/shared";

test("N per period allows a burst of N, then one per period/N", () => {
  const rule = { limit: 4, periodMs: 1000 };
  let tat: number | undefined;
  for (let i = 0; i < 4; i++) {
    const step = gcra(tat, rule, 0);
    expect(step.decision.allowed).toBe(true);
    tat = step.tat;
  }
  expect(gcra(tat, rule, 0).decision).toEqual({ allowed: false, retryAfterMs: 250 });
  expect(gcra(tat, rule, 249).decision.allowed).toBe(false);
  expect(gcra(tat, rule, 250).decision.allowed).toBe(true);
});

test("an idle key starts afresh", () => {
  const rule = { limit: 2, periodMs: 1000 };
  expect(gcra(500, rule, 10_000)).toEqual({ decision: { allowed: true, retryAfterMs: 0 }, tat: 10_500 });
});

test("a refund takes back exactly one hit", () => {
  const rule = { limit: 4, periodMs: 1000 };
  let tat: number | undefined;
  for (let i = 0; i < 4; i++) tat = gcra(tat, rule, 0).tat;
  tat = gcraRefund(tat, rule, 0);
  expect(tat).toBe(750);
  const again = gcra(tat, rule, 0);
  expect(again.decision.allowed).toBe(true);
  expect(gcra(again.tat, rule, 0).decision.allowed).toBe(false);
});

test("a refund never goes below empty", () => {
  const rule = { limit: 2, periodMs: 1000 };
  expect(gcraRefund(undefined, rule, 0)).toBeUndefined();
  const once = gcra(undefined, rule, 0).tat; // 500
  expect(gcraRefund(once, rule, 0)).toBeUndefined();
  expect(gcraRefund(once, rule, 100)).toBeUndefined();
  expect(gcraRefund(1500, rule, 200)).toBe(1000);
});

test("a refund moves the state back by one interval, and an emptied key is forgotten", () => {
  const rule = { limit: 4, periodMs: 1000 };
  expect(gcraRefund(1000, rule, 0)).toBe(750);
  expect(gcraRefund(250, rule, 0)).toBeUndefined();
  expect(gcraRefund(100, rule, 0)).toBeUndefined();
  expect(gcraRefund(undefined, rule, 0)).toBeUndefined();
  expect(gcraRefund(900, rule, 800)).toBeUndefined();
});
