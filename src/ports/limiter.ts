// The rate-limit port. A rule allows `limit` hits per `periodMs`, spread evenly (GCRA: a burst of up to
// `limit`, then one every periodMs/limit). Keys are shared by every process using the same backend.

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
   * key's GCRA state moves back by one interval, never below empty. On an empty key it does nothing.
   */
  refund(key: string, rule: RateRule): Promise<void>;
  /** Forgets every hit of the key. */
  reset(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
