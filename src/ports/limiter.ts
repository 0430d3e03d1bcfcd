// The rate-limit port. A rule allows `limit` hits per `periodMs`, spread evenly (GCRA: a burst of up to
// `limit`, then one every periodMs/limit). Keys are shared by every process using the same backend, and
// every adapter decides with the same arithmetic (limits/shared.ts), so a rule means the same anywhere.
//
// Each call is atomic per key: concurrent calls from any number of processes behave as if made one
// after another (N parallel consumes past the limit allow exactly `limit`). A backend that cannot
// answer makes the call reject with the catalog's `unavailable` (retryable): limits fail closed, a
// caller never treats a failed call as "allowed".

export type RateRule = { limit: number; periodMs: number };

export type RateDecision = {
  allowed: boolean;
  /** When not allowed: how long until one more hit would be. 0 when allowed. */
  retryAfterMs: number;
};

export interface Limiter {
  /** Records a hit when allowed; a denied hit records nothing. */
  consume(key: string, rule: RateRule): Promise<RateDecision>;
  /** What `consume` would answer now, recording nothing. */
  peek(key: string, rule: RateRule): Promise<RateDecision>;
  /**
   * Takes back one hit that consume recorded (a reserved failure that turned out to be a success): the
   * key's GCRA state moves back by one interval, never below empty. Refunding a key with no hits does
   * nothing.
   */
  refund(key: string, rule: RateRule): Promise<void>;
  /** Forgets every hit of the key. */
  reset(key: string): Promise<void>;
  /** Resolves when the backend answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
