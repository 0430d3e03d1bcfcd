// The production limiter: GCRA in Redis, so a limit holds across every process sharing it. Each call is
// one Lua script, atomic on Redis, with the same arithmetic as limits/shared.ts (gcra, gcraRefund) and
// Redis's clock (see client.ts). A key holds the theoretical arrival time in ms and expires when that
// time passes, so idle keys vanish by themselves.
import type { Logger } from "../../log";
import type { Limiter, RateDecision, RateRule } from "../../ports/limiter";
import { LUA_NOW, RedisConnection } from "./client";

export type RedisLimiterOptions = {
  url: string;
  timeoutMs: number;
  /** Prepended to every key (default "chatd:"): separates deployments, or test suites, on one Redis. */
  keyPrefix?: string;
  log: Logger;
};

/**
 * KEYS[1] the key; ARGV mode ("consume" | "peek" | "refund"), limit, periodMs. Returns {allowed, retryAfterMs}.
 * Mirrors gcra()/gcraRefund(): stored TAT below `now` is the same as none.
 */
const GCRA = `${LUA_NOW}
local mode, limit, period = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local interval = period / limit
local stored = tonumber(redis.call('GET', KEYS[1]))
local function store(tat)
  if tat > now then
    redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now))
  else
    redis.call('DEL', KEYS[1])
  end
end
if mode == 'refund' then
  if stored then store(stored - interval) end
  return {1, 0}
end
local tat = math.max(stored or now, now) + interval
local allow_at = tat - period
if allow_at > now then return {0, math.ceil(allow_at - now)} end
if mode == 'consume' then store(tat) end
return {1, 0}`;

export class RedisLimiter implements Limiter {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(options: RedisLimiterOptions) {
    this.#redis = new RedisConnection({ ...options, backend: "limiter" });
    this.#prefix = `${options.keyPrefix ?? "chatd:"}limit:`;
  }

  consume(key: string, rule: RateRule): Promise<RateDecision> {
    return this.#run("consume", key, rule);
  }

  peek(key: string, rule: RateRule): Promise<RateDecision> {
    return this.#run("peek", key, rule);
  }

  async refund(key: string, rule: RateRule): Promise<void> {
    await this.#run("refund", key, rule);
  }

  reset(key: string): Promise<void> {
    return this.#redis.del(this.#prefix + key);
  }

  ping(): Promise<void> {
    return this.#redis.ping();
  }

  close(): Promise<void> {
    return this.#redis.close();
  }

  async #run(mode: "consume" | "peek" | "refund", key: string, rule: RateRule): Promise<RateDecision> {
    const [allowed, retryAfterMs] = (await this.#redis.eval(
      GCRA,
      [this.#prefix + key],
      [mode, rule.limit, rule.periodMs],
    )) as [number, number];
    return { allowed: allowed === 1, retryAfterMs };
  }
}
