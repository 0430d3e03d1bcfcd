// One NATS connection for an adapter: servers and credentials from the NATS_URL list, the reconnect
// policy, whether the connection is up right now, and the boundary that turns driver errors into
// catalog errors.
//
// Reconnect policy: after the first connect, reconnect forever, one attempt per server every second
// (plus up to 100 ms jitter). Subscriptions are re-sent by the driver on reconnect. A dead server that
// does not close the socket is noticed after two unanswered pings 5 s apart. While down, `assertUp`
// throws `unavailable` so callers fail fast instead of queueing into a buffer the driver drops anyway.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AppError, unavailable } from "../../domain/errors";
import type { Logger } from "../../log";

export type NatsSettings = {
  /** `nats://[user:pass@|token@]host[:port]` or `tls://...` URLs of one cluster. */
  urls: string[];
  /** Shown by the server's monitoring, e.g. `chatd-all-bus`. */
  name: string;
  /** First connect and handshake timeout; default 5000 ms. */
  connectTimeoutMs?: number;
  log: Logger;
};

type ServerList = { servers: string[]; user?: string; pass?: string; token?: string; tls: boolean };

/** Splits URLs into host:port servers and the credentials and TLS mode they carry. */
export function parseNatsUrls(urls: string[]): ServerList {
  const list: ServerList = { servers: [], tls: false };
  for (const raw of urls) {
    const url = new URL(raw);
    list.servers.push(`${url.hostname}:${url.port || "4222"}`);
    if (url.protocol === "tls:") list.tls = true;
    if (url.username && url.password && !list.user) {
      list.user = decodeURIComponent(url.username);
      list.pass = decodeURIComponent(url.password);
    } else if (url.username && !url.password && !list.token) {
      list.token = decodeURIComponent(url.username);
    }
  }
  return list;
}

export class NatsLink {
  #up = true;
  readonly #resumed = new Set<() => void>();

  private constructor(
    readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {
    this.#watch().catch((error) => log.error("NATS status watch failed", { error }));
  }

  /** Connects once; rejects with `unavailable` (naming the servers, never credentials) when that fails. */
  static async open(settings: NatsSettings): Promise<NatsLink> {
    const { servers, user, pass, token, tls } = parseNatsUrls(settings.urls);
    try {
      const nc = await connect({
        servers,
        name: settings.name,
        ...(user ? { user, pass } : {}),
        ...(token ? { token } : {}),
        ...(tls ? { tls: {} } : {}),
        timeout: settings.connectTimeoutMs ?? 5000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        reconnectJitter: 100,
        pingInterval: 5000,
        maxPingOut: 2,
      });
      return new NatsLink(nc, settings.log);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw unavailable(
        "bus",
        new Error(`cannot connect to NATS at ${servers.join(",")}: ${reason}`, { cause: error }),
      );
    }
  }

  /** True while connected (not during a reconnect, not after close). */
  get up(): boolean {
    return this.#up && !this.nc.isClosed();
  }

  /** Throws `unavailable` unless connected. */
  assertUp(): void {
    if (this.nc.isClosed()) throw unavailable("bus", new Error("NATS connection closed"));
    if (!this.#up) throw unavailable("bus", new Error("disconnected from NATS, reconnecting"));
  }

  /** A server round trip within `timeoutMs`: what subscriptions and readiness wait for. */
  async roundTrip(timeoutMs: number): Promise<void> {
    this.assertUp();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NATS did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.nc.flush(), timeout]);
    } catch (error) {
      throw translate(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls `listener` after every reconnect (the subscriptions are re-established by then). */
  onResume(listener: () => void): () => void {
    this.#resumed.add(listener);
    return () => this.#resumed.delete(listener);
  }

  /** Flushes what was published and closes; a connection that is down is closed at once. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    if (this.up) await this.nc.drain().catch(() => this.nc.close());
    else await this.nc.close();
  }

  async #watch() {
    for await (const status of this.nc.status()) {
      switch (status.type) {
        case "disconnect":
          this.#up = false;
          this.log.warn("disconnected from NATS", { server: status.server });
          break;
        case "reconnect":
          this.#up = true;
          this.log.info("reconnected to NATS", { server: status.server });
          for (const listener of this.#resumed) listener();
          break;
        case "error":
          this.log.error("NATS error", { error: status.error });
          break;
        case "staleConnection":
          this.log.warn("NATS connection stale: reconnecting");
          break;
      }
    }
  }
}

/** The adapter boundary: catalog errors and TypeErrors (our own misuse) pass, any other failure is `unavailable`. */
export function translate(error: unknown): Error {
  if (error instanceof AppError || error instanceof TypeError) return error;
  return unavailable("bus", error);
}
