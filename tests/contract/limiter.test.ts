// Runs the limiter contract against every adapter: in memory, and on the real Redis at 127.0.0.1:6379
// (skip rule in tests/support/services.ts), with a key prefix of its own.
import { expect, test } from "bun:test";
import { Redis } from "ioredis";
import { MemoryLimiter } from "../../src/limits/memory";
import { RedisLimiter } from "../../src/limits/redis/limiter";
import { createLogger } from "../../src/log";
import { REDIS_HOST, REDIS_PORT, REDIS_URL, requireService, uniqueKeyPrefix } from "../support/services";
import { runLimiterContract } from "./limiter.contract";

runLimiterContract("memory", async () => new MemoryLimiter());

const redis = await requireService("redis", REDIS_HOST, REDIS_PORT);
const keyPrefix = uniqueKeyPrefix("limiter");
const openRedis = async () =>
  new RedisLimiter({ url: REDIS_URL, timeoutMs: 2000, keyPrefix, log: createLogger("silent") });

runLimiterContract("redis", openRedis, { shared: true, describe: redis.describe });

redis.describe("Redis limiter storage", () => {
  test("a key lives only as long as it matters: it expires when its hits are spent, and reset deletes it", async () => {
    const limiter = await openRedis();
    const raw = new Redis(REDIS_URL);
    try {
      const rule = { limit: 4, periodMs: 2000 };
      await limiter.consume("ttl", rule);
      await limiter.consume("ttl", rule);
      const ttl = await raw.pttl(`${keyPrefix}limit:ttl`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000); // two hits of 500 ms each
      await limiter.refund("ttl", rule);
      await limiter.refund("ttl", rule);
      expect(await raw.exists(`${keyPrefix}limit:ttl`)).toBe(0);
      await limiter.consume("gone", rule);
      await limiter.reset("gone");
      expect(await raw.exists(`${keyPrefix}limit:gone`)).toBe(0);
    } finally {
      raw.disconnect();
      await limiter.close();
    }
  });
});
