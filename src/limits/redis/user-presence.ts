// The production user-level presence: each user's connections in Redis, shared by every process, each
// expiring unless its process refreshes it (the contract in ports/presence.ts). Part of RedisPresence,
// which owns the connection and the refresh timer.
//
// Layout, per user (one hash tag, so a user's keys stay in one cluster slot):
//   <prefix>presence:user:{<user>}          sorted set: connection id -> when its entry expires (ms)
//   <prefix>presence:user:{<user>}:status   hash: connection id -> "online" | "idle"
//   <prefix>presence:user:{<user>}:seen     string: last_seen_at (ms), no expiry
// Expiry is on Redis's clock; last_seen_at on the callers' (it is what they observed). connect and
// disconnect are one Lua script each, dropping expired entries first, so the status before and after
// is decided atomically whichever processes race. Every write renews the two entry keys' TTL, so an
// abandoned user's entries vanish by themselves; the seen key stays.
import type { ConnectionStatus, UserPresence, UserPresenceChange, UserStatus } from "../../ports/presence";
import { LUA_NOW, type RedisConnection } from "./client";

const COMMON = `${LUA_NOW}
local function prune()
  local dead = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE')
  if #dead > 0 then
    redis.call('ZREM', KEYS[1], unpack(dead))
    redis.call('HDEL', KEYS[2], unpack(dead))
  end
end
local function status()
  local live = redis.call('ZRANGE', KEYS[1], '(' .. string.format('%.3f', now), '+inf', 'BYSCORE')
  if #live == 0 then return 'offline' end
  local statuses = redis.call('HMGET', KEYS[2], unpack(live))
  for i = 1, #statuses do if statuses[i] == 'online' then return 'online' end end
  return 'idle'
end
local function seen(at)
  if at > tonumber(redis.call('GET', KEYS[3]) or '0') then redis.call('SET', KEYS[3], string.format('%d', at)) end
  return redis.call('GET', KEYS[3]) or ''
end`;

/** KEYS entries, statuses, seen; ARGV connection, status, ttlMs, seenAt. Returns {before, after, seen}. */
const CONNECT = `${COMMON}
local ttl = tonumber(ARGV[3])
prune()
local before = status()
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
local last = seen(tonumber(ARGV[4]))
return {before, status(), last}`;

/** KEYS entries, statuses, seen; ARGV connection, seenAt. Returns {before, after, seen}. */
const DISCONNECT = `${COMMON}
prune()
local before = status()
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local last = seen(tonumber(ARGV[2]))
return {before, status(), last}`;

/** KEYS entries, statuses, seen. Returns {status, seen}. */
const READ = `${COMMON}
return {status(), redis.call('GET', KEYS[3]) or ''}`;

type Entry = { userId: string; status: ConnectionStatus };

export class RedisUserPresence {
  /** This process's connections, by id, with their last status. */
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  async connect(userId: string, connectionId: string, status: ConnectionStatus, seenAt: number) {
    this.#entries.set(connectionId, { userId, status });
    return this.#connect(userId, connectionId, status, seenAt);
  }

  async disconnect(userId: string, connectionId: string, seenAt: number): Promise<UserPresenceChange> {
    this.#entries.delete(connectionId);
    return change(await this.redis.eval(DISCONNECT, this.#keys(userId), [connectionId, Math.floor(seenAt)]));
  }

  async users(userIds: string[]): Promise<UserPresence[]> {
    return Promise.all(
      userIds.map(async (userId) => {
        const [status, seen] = (await this.redis.eval(READ, this.#keys(userId), [])) as [UserStatus, string];
        return { userId, status, lastSeenAt: seen ? Number(seen) : null };
      }),
    );
  }

  /** Re-registers every connection of this process; an online one counts as seen now. */
  refresh(): Promise<unknown>[] {
    const now = Date.now();
    return [...this.#entries].map(([connectionId, e]) =>
      this.#connect(e.userId, connectionId, e.status, e.status === "online" ? now : 0),
    );
  }

  /** Removes this process's connections (shutdown); online ones count as seen now. */
  close(): Promise<unknown>[] {
    const now = Date.now();
    const entries = [...this.#entries];
    this.#entries.clear();
    return entries.map(([connectionId, e]) =>
      this.redis.eval(DISCONNECT, this.#keys(e.userId), [connectionId, e.status === "online" ? now : 0]),
    );
  }

  get size() {
    return this.#entries.size;
  }

  async #connect(userId: string, connectionId: string, status: ConnectionStatus, seenAt: number) {
    const args = [connectionId, status, this.ttlMs, Math.floor(seenAt)];
    return change(await this.redis.eval(CONNECT, this.#keys(userId), args));
  }

  #keys(userId: string) {
    const base = `${this.prefix}user:{${userId}}`;
    return [base, `${base}:status`, `${base}:seen`];
  }
}

const change = (reply: unknown): UserPresenceChange => {
  const [before, after, seen] = reply as [UserStatus, UserStatus, string];
  return { before, after, lastSeenAt: seen ? Number(seen) : null };
};
