// The production presence: entries in Redis, shared by every process, each expiring unless the process
// that registered it keeps refreshing it (see the contract in ports/presence.ts).
//
// Layout, per room (one hash tag, so a room's keys stay in one cluster slot):
//   <prefix>presence:{<room>}            sorted set: user id -> when the user's last entry expires (ms)
//   <prefix>presence:{<room>}:<user>     sorted set: connection id -> when that entry expires (ms)
// Expiry times are on Redis's clock. enter and leave are one Lua script each, so "joined" and "left"
// are decided atomically whichever processes race; both first drop the user's expired entries. Every
// write renews the key's own TTL, so the keys of an empty or abandoned room vanish by themselves.
//
// Users (online/idle/offline, last_seen_at) are user-presence.ts's, under presence:user:{<user>}.
//
// Refresh: every TTL/3 this process re-enters every entry it registered (the enter script is
// idempotent), which also re-creates them after Redis lost its data. An entry this process failed
// to leave (Redis down) is simply no longer refreshed and expires within the TTL.
import type { Logger } from "../../log";
import type { ConnectionStatus, Presence, PresenceChange } from "../../ports/presence";
import { LUA_NOW, RedisConnection } from "./client";
import { RedisUserPresence } from "./user-presence";

export type RedisPresenceOptions = {
  url: string;
  timeoutMs: number;
  /** How long an entry outlives its last refresh; refreshed every ttlMs/3. */
  ttlMs: number;
  /** Prepended to every key (default "chatd:"): separates deployments, or test suites, on one Redis. */
  keyPrefix?: string;
  log: Logger;
};

/** KEYS room, user; ARGV user, connection, ttlMs. Returns "joined" | "unchanged". */
const ENTER = `${LUA_NOW}
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local before = redis.call('ZCARD', KEYS[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[1], 'GT', now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
if before == 0 then return 'joined' end
return 'unchanged'`;

/** KEYS room, user; ARGV user, connection. Returns "left" | "unchanged". */
const LEAVE = `${LUA_NOW}
local expires = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[2]))
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #last == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
  if expires and expires > now then return 'left' end
  return 'unchanged'
end
redis.call('ZADD', KEYS[1], last[2], ARGV[1])
return 'unchanged'`;

/** KEYS room. The users whose last entry has not expired. */
const ONLINE = `${LUA_NOW}
return redis.call('ZRANGE', KEYS[1], '(' .. string.format('%.3f', now), '+inf', 'BYSCORE')`;

type Entry = { roomId: string; userId: string; connectionId: string };

export class RedisPresence implements Presence {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #log: Logger;
  /** The entries this process registered and keeps alive, by `entryId`. */
  readonly #entries = new Map<string, Entry>();
  readonly #timer: ReturnType<typeof setInterval>;
  /** The user-level part (user-presence.ts), on the same connection and refresh timer. */
  readonly #users: RedisUserPresence;
  #refreshing = false;
  #refreshFailing = false;

  constructor(options: RedisPresenceOptions) {
    this.#redis = new RedisConnection({ ...options, backend: "presence" });
    this.#prefix = `${options.keyPrefix ?? "chatd:"}presence:`;
    this.#ttlMs = options.ttlMs;
    this.#log = options.log;
    this.#users = new RedisUserPresence(this.#redis, this.#prefix, options.ttlMs);
    this.#timer = setInterval(() => this.#refresh(), Math.max(1, Math.floor(options.ttlMs / 3)));
    this.#timer.unref?.();
  }

  async enter(roomId: string, userId: string, connectionId: string): Promise<PresenceChange> {
    const entry = { roomId, userId, connectionId };
    this.#entries.set(entryId(entry), entry);
    return (await this.#redis.eval(ENTER, this.#keys(entry), [userId, connectionId, this.#ttlMs])) as PresenceChange;
  }

  async leave(roomId: string, userId: string, connectionId: string): Promise<PresenceChange> {
    const entry = { roomId, userId, connectionId };
    this.#entries.delete(entryId(entry));
    return (await this.#redis.eval(LEAVE, this.#keys(entry), [userId, connectionId])) as PresenceChange;
  }

  async online(roomId: string): Promise<string[]> {
    return (await this.#redis.eval(ONLINE, [this.#roomKey(roomId)], [])) as string[];
  }

  connect(userId: string, connectionId: string, status: ConnectionStatus, seenAt: number) {
    return this.#users.connect(userId, connectionId, status, seenAt);
  }

  disconnect(userId: string, connectionId: string, seenAt: number) {
    return this.#users.disconnect(userId, connectionId, seenAt);
  }

  users(userIds: string[]) {
    return this.#users.users(userIds);
  }

  ping(): Promise<void> {
    return this.#redis.ping();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.allSettled([
      ...entries.map((e) => this.#redis.eval(LEAVE, this.#keys(e), [e.userId, e.connectionId])),
      ...this.#users.close(),
    ]);
    await this.#redis.close();
  }

  /**
   * Re-enters every entry of this process. All calls are issued in one tick, so each reaches Redis in
   * order with the enters and leaves made around it (a connection that left is not revived).
   */
  async #refresh() {
    if (this.#refreshing || this.#entries.size + this.#users.size === 0) return;
    this.#refreshing = true;
    try {
      const results = await Promise.allSettled([
        ...[...this.#entries.values()].map((e) =>
          this.#redis.eval(ENTER, this.#keys(e), [e.userId, e.connectionId, this.#ttlMs]),
        ),
        ...this.#users.refresh(),
      ]);
      const failed = results.filter((r) => r.status === "rejected").length;
      if (failed > 0 && !this.#refreshFailing)
        this.#log.warn("presence refresh failing; entries expire unless it recovers", { failed });
      else if (failed === 0 && this.#refreshFailing) this.#log.info("presence refresh recovered");
      this.#refreshFailing = failed > 0;
    } finally {
      this.#refreshing = false;
    }
  }

  #roomKey(roomId: string) {
    return `${this.#prefix}{${roomId}}`;
  }

  #keys(entry: Entry) {
    const room = this.#roomKey(entry.roomId);
    return [room, `${room}:${entry.userId}`];
  }
}

const entryId = (e: Entry) => `${e.roomId}\n${e.userId}\n${e.connectionId}`;
