// The Redis connection of one Redis adapter (limiter or presence): ioredis with bounded waiting, and the
// one boundary that turns driver failures into the error catalog.
//
// Waiting policy — no call ever waits on Redis for long, and the client heals by itself:
// - A call made while a connection attempt is under way (at boot, or reconnecting after Redis
//   returned) waits for it in ioredis's offline queue; a call made while the client is between
//   attempts (Redis is known to be down) fails at once. Either way `timeoutMs` bounds every call
//   (`commandTimeout`), and connecting (`connectTimeout`).
// - `maxRetriesPerRequest: 0`: a call never rides along across a reconnection; when a connection
//   drops or an attempt fails, every call waiting on it is rejected right then.
// - `autoResendUnfulfilledCommands: false`: a script in flight when the connection dropped is not sent
//   again after reconnecting, so no decision is ever made twice.
// - Reconnection never gives up: 100 ms after the first failure, growing to one attempt per second.
// Failures become `unavailable(<backend>)` (HTTP 503, retryable). A call that failed may still have
// been applied by Redis (the reply was lost): for limits that only ever errs on the strict side, and
// presence entries expire by themselves. Errors Redis answers that mean a bug (a script error, a
// wrong type) pass unchanged.
//
// Time: scripts read Redis's own clock (`TIME`), so every process decides with one clock whatever the
// skew between application hosts. Scripts run with EVAL (the body travels with each call, a few
// hundred bytes): calls then reach Redis in the order they were made, which EVALSHA's retry on
// NOSCRIPT after a Redis restart would not guarantee.
import { Redis, ReplyError } from "ioredis";
import { AppError, unavailable } from "../../domain/errors";
import type { Logger } from "../../log";

export type RedisConnectionOptions = {
  /** redis:// or rediss:// URL (the path selects the database). */
  url: string;
  /** Bounds every call and each connection attempt. */
  timeoutMs: number;
  /** Which backend this connection serves, as `unavailable` and /readyz name it. */
  backend: "limiter" | "presence";
  log: Logger;
};

/** Server answers that say Redis cannot serve right now (as opposed to a bug in the request). */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS)\b/;

/** The Lua prelude every script shares: `now`, Redis's clock in milliseconds (with microseconds). */
export const LUA_NOW =
  "local clock = redis.call('TIME'); local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000";

export class RedisConnection {
  readonly #client: Redis;
  readonly #backend: RedisConnectionOptions["backend"];
  #down = false;

  constructor(options: RedisConnectionOptions) {
    this.#backend = options.backend;
    this.#client = new Redis(options.url, {
      connectTimeout: options.timeoutMs,
      commandTimeout: options.timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      connectionName: `chatd-${options.backend}`,
    });
    const log = options.log;
    this.#client.on("error", (error: Error) => {
      if (this.#down) return;
      this.#down = true;
      log.warn("redis unreachable; retrying in the background", { backend: this.#backend, error: error.message });
    });
    this.#client.on("ready", () => {
      if (!this.#down) return;
      this.#down = false;
      log.info("redis reachable again", { backend: this.#backend });
    });
  }

  /** Runs a Lua script; see the waiting policy above. */
  async eval(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.#call(() => this.#client.eval(script, keys.length, ...keys, ...args));
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#client.ping());
  }

  async del(key: string): Promise<void> {
    await this.#call(() => this.#client.del(key));
  }

  /** Ends the connection: politely when connected, at once otherwise (never waits for a dead Redis). */
  async close(): Promise<void> {
    if (this.#client.status === "end") return;
    if (this.#client.status === "ready") {
      try {
        await this.#client.quit();
        return;
      } catch {
        // Lost the connection while quitting: nothing left to be polite to.
      }
    }
    this.#client.disconnect();
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    const status = this.#client.status;
    if (status === "reconnecting" || status === "close")
      throw unavailable(this.#backend, new Error("redis connection is down (reconnecting)"));
    if (status === "end") throw unavailable(this.#backend, new Error("redis connection is closed"));
    try {
      return await run();
    } catch (error) {
      throw this.#translate(error);
    }
  }

  #translate(error: unknown): unknown {
    if (error instanceof AppError) return error;
    if (error instanceof ReplyError && !TRANSIENT_REPLIES.test((error as Error).message)) return error;
    return unavailable(this.#backend, error);
  }
}
