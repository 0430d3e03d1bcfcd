// Runs the presence contract against every adapter: in memory, and on the real Redis at 127.0.0.1:6379
// (skip rule in tests/support/services.ts) with a key prefix of its own and a short TTL, where a real
// second process killed with SIGKILL stands for a crashed `ws` process.
import { MemoryPresence } from "../../src/limits/memory/presence";
import { RedisPresence } from "../../src/limits/redis/presence";
import { createLogger } from "../../src/log";
import { spawnPresenceProcess } from "../support/presence-process";
import { REDIS_HOST, REDIS_PORT, REDIS_URL, requireService, uniqueKeyPrefix } from "../support/services";
import { runPresenceContract } from "./presence.contract";

runPresenceContract("memory", { open: async () => new MemoryPresence() });

const redis = await requireService("redis", REDIS_HOST, REDIS_PORT);
const keyPrefix = uniqueKeyPrefix("presence");
/** Short enough to test expiry quickly, long enough that a busy machine still refreshes in time. */
const ttlMs = 1500;

runPresenceContract("redis", {
  open: async () =>
    new RedisPresence({ url: REDIS_URL, timeoutMs: 2000, ttlMs, keyPrefix, log: createLogger("silent") }),
  shared: { ttlMs, spawn: () => spawnPresenceProcess({ url: REDIS_URL, keyPrefix, ttlMs }) },
  describe: redis.describe,
});
