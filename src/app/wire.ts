// The composition root: the only place that picks adapters, from config. Everything else receives ports.
import { join } from "node:path";
import { MemoryBus } from "../bus/memory";
import type { Config } from "../config";
import { AccessTokens } from "../domain/access-tokens";
import { Accounts } from "../domain/accounts";
import { Conversations } from "../domain/conversations";
import { busSink, type EventSink } from "../domain/events";
import { MessageIdGenerator } from "../domain/ids";
import { Messages } from "../domain/messages";
import { Passwords } from "../domain/passwords";
import { Rooms } from "../domain/rooms";
import { MemoryLimiter } from "../limits/memory";
import { MemoryPresence } from "../limits/memory/presence";
import type { Logger } from "../log";
import { OutboxMailer } from "../mail/outbox";
import { SmtpMailer } from "../mail/smtp";
import type { Bus, Limiter, Mailer, Presence, Store } from "../ports";
import { CassandraStore } from "../store/cassandra";
import { SqliteStore } from "../store/sqlite";
import { resolveJwtSecret } from "./secrets";

export type Backends = { store: Store; bus: Bus; limiter: Limiter; presence: Presence; mailer: Mailer };

export type Services = {
  accounts: Accounts;
  accessTokens: AccessTokens;
  rooms: Rooms;
  messages: Messages;
  emit: EventSink;
  conversations: Conversations;
};

export const databasePath = (config: Config) => join(config.dataDir, "chatd.sqlite");

export function createStore(config: Config): Store {
  if (config.cassandraContactPoints) {
    return new CassandraStore({
      contactPoints: config.cassandraContactPoints,
      keyspace: config.cassandraKeyspace,
      localDataCenter: config.cassandraLocalDc,
      replication: config.cassandraReplication,
      username: config.cassandraUsername,
      password: config.cassandraPassword,
      timeoutMs: config.cassandraTimeoutMs,
    });
  }
  return new SqliteStore(databasePath(config));
}

/** `now`: the embedded limiter's clock (a test seam; the real clock when absent). */
export function createBackends(config: Config, log: Logger, now?: () => number): Backends {
  const mailer = config.smtpUrl
    ? new SmtpMailer(config.smtpUrl, config.mailFrom)
    : new OutboxMailer(join(config.dataDir, "outbox"), config.mailFrom, log.child({ component: "mail" }));
  return {
    store: createStore(config),
    bus: new MemoryBus(),
    limiter: new MemoryLimiter(now),
    presence: new MemoryPresence(),
    mailer,
  };
}

/** Which backends /readyz reports, by name. */
export const probes = (backends: Backends) => ({
  storage: () => backends.store.ping(),
  bus: () => backends.bus.ping(),
  limiter: () => backends.limiter.ping(),
  presence: () => backends.presence.ping(),
  mail: () => backends.mailer.ping(),
});

/** `now`: the domain's clock (a test seam; the real clock when absent). */
export function createServices(config: Config, backends: Backends, log: Logger, now?: () => number): Services {
  const clock = now && (() => new Date(now()));
  const accessTokens = new AccessTokens(
    resolveJwtSecret(config.jwtSecret, config.dataDir, log),
    config.accessTokenTtlSeconds,
  );
  const accounts = new Accounts({
    ...backends,
    passwords: new Passwords({ memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost }),
    accessTokens,
    settings: {
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      loginMaxFailures: config.loginMaxFailures,
      loginFailureWindowSeconds: config.loginFailureWindowSeconds,
      publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
    },
    log: log.child({ component: "accounts" }),
    now: clock,
  });
  const emit = busSink(backends.bus, log.child({ component: "events" }));
  const rooms = new Rooms({ store: backends.store, presence: backends.presence, emit, now: clock });
  const messages = new Messages({
    store: backends.store,
    rooms,
    limiter: backends.limiter,
    ids: new MessageIdGenerator(),
    emit,
    settings: { maxLength: config.maxMessageLength, perMinute: config.messagesPerMinute },
    now: clock,
  });
  const conversations = new Conversations({ store: backends.store, messages, now: clock });
  return { accounts, accessTokens, rooms, messages, conversations, emit };
}

export async function closeBackends(backends: Backends) {
  await Promise.allSettled([
    backends.mailer.close(),
    backends.limiter.close(),
    backends.presence.close(),
    backends.bus.close(),
  ]);
  await backends.store.close();
}
