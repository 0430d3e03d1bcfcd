// The composition root: the only place that picks adapters, from config. Everything else receives ports.
import { join } from "node:path";
import { MemoryBus, MemoryEventStream } from "../bus/memory";
import type { Config } from "../config";
import { AccessTokens } from "../domain/access-tokens";
import { Accounts } from "../domain/accounts";
import { Conversations } from "../domain/conversations";
import { busSink, type EventSink, STREAM_SUBJECTS } from "../domain/events";
import { MessageIdGenerator } from "../domain/ids";
import { Messages } from "../domain/messages";
import { Passwords } from "../domain/passwords";
import { Rooms } from "../domain/rooms";
import { MemoryLimiter } from "../limits/memory";
import { MemoryPresence } from "../limits/memory/presence";
import type { Logger } from "../log";
import { OutboxMailer } from "../mail/outbox";
import { SmtpMailer } from "../mail/smtp";
import type { Bus, EventStream, Limiter, Mailer, Presence, Store } from "../ports";
import { CassandraStore } from "../store/cassandra";
import { SqliteStore } from "../store/sqlite";
import { resolveJwtSecret } from "./secrets";

export type Backends = {
  store: Store;
  bus: Bus;
  /** The durable event feed (for the indexer); on the same backend as the bus. */
  stream: EventStream;
  limiter: Limiter;
  presence: Presence;
  mailer: Mailer;
};

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

export function createBackends(config: Config, log: Logger): Backends {
  const mailer = config.smtpUrl
    ? new SmtpMailer(config.smtpUrl, config.mailFrom)
    : new OutboxMailer(join(config.dataDir, "outbox"), config.mailFrom, log.child({ component: "mail" }));
  return {
    store: createStore(config),
    bus: new MemoryBus(log.child({ component: "bus" })),
    stream: new MemoryEventStream({ subjects: STREAM_SUBJECTS, log: log.child({ component: "bus" }) }),
    limiter: new MemoryLimiter(),
    presence: new MemoryPresence(),
    mailer,
  };
}

/** Which backends /readyz reports, by name. */
export const probes = (backends: Backends) => ({
  storage: () => backends.store.ping(),
  bus: async () => {
    await Promise.all([backends.bus.ping(), backends.stream.ping()]);
  },
  limiter: () => backends.limiter.ping(),
  presence: () => backends.presence.ping(),
  mail: () => backends.mailer.ping(),
});

export function createServices(config: Config, backends: Backends, log: Logger): Services {
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
  });
  const emit = busSink(backends.bus, log.child({ component: "events" }));
  const rooms = new Rooms({ store: backends.store, presence: backends.presence, emit });
  const messages = new Messages({
    store: backends.store,
    rooms,
    limiter: backends.limiter,
    ids: new MessageIdGenerator(),
    emit,
    settings: { maxLength: config.maxMessageLength, perMinute: config.messagesPerMinute },
  });
  const conversations = new Conversations({ store: backends.store, messages });
  return { accounts, accessTokens, rooms, messages, conversations, emit };
}

export async function closeBackends(backends: Backends) {
  await Promise.allSettled([
    backends.mailer.close(),
    backends.limiter.close(),
    backends.presence.close(),
    backends.stream.close(),
    backends.bus.close(),
  ]);
  await backends.store.close();
}
