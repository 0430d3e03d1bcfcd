// GCRA (generic cell rate algorithm), shared by the limiter adapters so they decide identically.

import type { RateDecision, RateRule } from "../ports/limiter";

/**
 * Given the stored theoretical arrival time (undefined when none), decides one hit at `now` and
 * returns the time to store if the hit is taken. A rule of N per P allows a burst of N, then one
 * every P/N.
 */
export function gcra(stored: number | undefined, rule: RateRule, now: number): { decision: RateDecision; tat: number } {
  const interval = rule.periodMs / rule.limit;
  const tat = Math.max(stored ?? now, now) + interval;
  const allowAt = tat - rule.periodMs;
  if (allowAt > now) return { decision: { allowed: false, retryAfterMs: Math.ceil(allowAt - now) }, tat };
  return { decision: { allowed: true, retryAfterMs: 0 }, tat };
}

/**
 * The stored time after taking back one hit of `rule` at `now`: one interval earlier, or undefined
 * (empty: forget the key) when that reaches `now` or the key was already empty.
 */
export function gcraRefund(stored: number | undefined, rule: RateRule, now: number): number | undefined {
  if (stored === undefined) return undefined;
  const tat = stored - rule.periodMs / rule.limit;
  return tat > now ? tat : undefined;
}
