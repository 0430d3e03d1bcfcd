// The composition root: the only place that picks adapters, from config. Everything else receives ports.
// The adapters for real services are imported when configured, not before: their client libraries
// (cassandra-driver, the AWS SDK, OpenSearch, NATS, ioredis, nodemailer's SMTP) hold 90,000 heap
// objects and 46 MiB of RSS that a server on the embedded defaults never uses.
import { join } from "node:path";
import { FsBlobStore } from "../blob/fs";
import { MemoryBus, MemoryEventStream } from "../bus/memory";
import { type Config, ConfigError } from "../config";
import { AccessTokens } from "../domain/access-tokens";
import { Accounts } from "../domain/accounts";
import { Attachments } from "../domain/attachments";
import { Conversations } from "../domain/conversations";
import { Digests } from "../domain/digests";
import { EventFeed } from "../domain/event-feed";
import { STREAM_SUBJECTS } from "../domain/events";
import { MessageIdGenerator } from "../domain/ids";
import { MentionInbox } from "../domain/mention-inbox";
import { Mentions } from "../domain/mentions";
import { Messages } from "../domain/messages";
import { Passwords } from "../domain/passwords";
import { Pins } from "../domain/pins";
import { RoomEvents } from "../domain/room-events";
import { Rooms } from "../domain/rooms";
import { Search } from "../domain/search";
import { Sessions } from "../domain/sessions";
import { Threads } from "../domain/threads";
import { Timeline } from "../domain/timeline";
import { UserPresences } from "../domain/user-presence";
import { SecretBox, Webhooks } from "../domain/webhooks";
import { MemoryLimiter } from "../limits/memory";
import { MemoryPresence } from "../limits/memory/presence";
import type { Logger } from "../log";
import { OutboxMailer } from "../mail/outbox";
import { resolveTarget } from "../notify/ssrf";
import type { BlobStore, Bus, EventStream, Limiter, Mailer, Presence, SearchIndex, Store } from "../ports";
import { SqliteSearchIndex } from "../search/sqlite";
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
  /** Where attachments' bytes live. */
  blobs: BlobStore;
  /** Message search; null when none is configured (Cassandra storage without OPENSEARCH_URL). */
  search: SearchIndex | null;
};

export type Services = {
  accounts: Accounts;
  accessTokens: AccessTokens;
  /** Authenticates access tokens (live sessions only) and spreads session revocations. */
  sessions: Sessions;
  rooms: Rooms;
  messages: Messages;
  events: RoomEvents;
  timeline: Timeline;
  conversations: Conversations;
  attachments: Attachments;
  search: Search;
  pins: Pins;
  threads: Threads;
  mentions: MentionInbox;
  /** Durable events to the indexer, when search is on; closed (flushed) on shutdown. */
  feed: EventFeed | null;
  /** Missed-message digests and mail preferences (the dispatcher runs in src/notify). */
  digests: Digests;
  /** Per-room webhooks; `box` seals their secrets. */
  webhooks: Webhooks;
  box: SecretBox;
  /** User-level presence as callers may see it (online/idle/offline, last_seen_at). */
  userPresence: UserPresences;
};

export const databasePath = (config: Config) => join(config.dataDir, "chatd.sqlite");

export async function createStore(config: Config): Promise<Store> {
  if (config.cassandraContactPoints) {
    const { CassandraStore } = await import("../store/cassandra");
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

/** Where the bus and the event stream live: NATS_URL selects NATS core + JetStream for both. */
export type BusBackend = { kind: "memory" } | { kind: "nats"; urls: string[] };

export const busBackend = (config: Config): BusBackend =>
  config.natsUrl ? { kind: "nats", urls: config.natsUrl } : { kind: "memory" };

/** Fails loudly on a kind a switch does not know (a kind added without its adapter). */
function unknownKind(concern: string, backend: never): never {
  throw new Error(`no ${concern} adapter for backend kind "${(backend as { kind: string }).kind}"`);
}

/** The bus and the event stream, on one backend. */
export async function createBus(config: Config, log: Logger): Promise<{ bus: Bus; stream: EventStream }> {
  const backend = busBackend(config);
  const busLog = log.child({ component: "bus" });
  const maxAgeMs = config.natsStreamMaxAgeHours * 3_600_000;
  switch (backend.kind) {
    case "memory":
      return {
        bus: new MemoryBus(busLog),
        stream: new MemoryEventStream({ subjects: STREAM_SUBJECTS, maxAgeMs, log: busLog }),
      };
    case "nats": {
      const { urls } = backend;
      const prefix = config.natsSubjectPrefix;
      const { JetStreamEventStream, NatsBus } = await import("../bus/nats");
      // Each adapter has its own connection, so stream traffic never delays the fan-out.
      const [bus, stream] = await Promise.allSettled([
        NatsBus.connect({ urls, name: `chatd-${config.role}-bus` }, { prefix, log: busLog }),
        JetStreamEventStream.open(
          { urls, name: `chatd-${config.role}-stream` },
          {
            stream: config.natsStream,
            subjects: STREAM_SUBJECTS,
            prefix,
            maxAgeMs,
            maxBytes: config.natsStreamMaxBytes,
            replicas: config.natsStreamReplicas,
            log: busLog,
          },
        ),
      ]);
      if (bus.status === "fulfilled" && stream.status === "fulfilled") return { bus: bus.value, stream: stream.value };
      if (bus.status === "fulfilled") await bus.value.close();
      if (stream.status === "fulfilled") await stream.value.close();
      throw bus.status === "rejected" ? bus.reason : (stream as PromiseRejectedResult).reason;
    }
    default:
      return unknownKind("bus", backend);
  }
}

/** Where attachments live: S3_BUCKET (with S3_ENDPOINT or AWS's) selects S3, else the data dir. */
export type BlobBackend = { kind: "fs"; dir: string } | { kind: "s3"; bucket: string };

export function blobBackend(config: Config): BlobBackend {
  if (config.s3Bucket) return { kind: "s3", bucket: config.s3Bucket };
  if (config.s3Endpoint)
    throw new ConfigError("S3_ENDPOINT is set without S3_BUCKET: set both to keep attachments in S3");
  return { kind: "fs", dir: join(config.dataDir, "blobs") };
}

/**
 * The blob store. `baseUrl`: where clients reach this process, for the embedded store's own signed
 * URLs (PUBLIC_URL when set; the server passes its address once it listens).
 */
export async function createBlobStore(config: Config, baseUrl: () => string): Promise<BlobStore> {
  const backend = blobBackend(config);
  switch (backend.kind) {
    case "fs":
      return new FsBlobStore({ dir: backend.dir, baseUrl, maxBytes: config.attachmentMaxBytes });
    case "s3": {
      if (!config.s3AccessKeyId !== !config.s3SecretAccessKey)
        throw new ConfigError("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither");
      const { S3BlobStore } = await import("../blob/s3");
      return new S3BlobStore({
        endpoint: config.s3Endpoint,
        publicEndpoint: config.s3PublicEndpoint,
        bucket: backend.bucket,
        region: config.s3Region,
        forcePathStyle: config.s3ForcePathStyle,
        ...(config.s3AccessKeyId && config.s3SecretAccessKey
          ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } }
          : {}),
      });
    }
    default:
      return unknownKind("blob", backend);
  }
}

/**
 * Where message search lives: OPENSEARCH_URL selects OpenSearch; otherwise SQLite FTS5 in the SQLite
 * database; with Cassandra storage and no OPENSEARCH_URL there is none (searches answer 501, and the
 * indexer role refuses to start), since FTS5 lives in the SQLite file.
 */
export type SearchBackend =
  | { kind: "opensearch"; urls: string[] }
  | { kind: "sqlite"; path: string }
  | { kind: "none" };

export const searchBackend = (config: Config): SearchBackend =>
  config.opensearchUrl
    ? { kind: "opensearch", urls: config.opensearchUrl }
    : config.cassandraContactPoints
      ? { kind: "none" }
      : { kind: "sqlite", path: databasePath(config) };

export async function createSearch(config: Config, log: Logger): Promise<SearchIndex | null> {
  const backend = searchBackend(config);
  switch (backend.kind) {
    case "opensearch": {
      const { OpenSearchIndex } = await import("../search/opensearch");
      return OpenSearchIndex.open({
        urls: backend.urls,
        indexPrefix: config.opensearchIndexPrefix,
        timeoutMs: config.opensearchTimeoutMs,
      });
    }
    case "sqlite":
      return new SqliteSearchIndex(backend.path);
    case "none":
      log.warn("message search is off: storage is Cassandra and OPENSEARCH_URL is unset (searches answer 501)");
      return null;
    default:
      return unknownKind("search", backend);
  }
}

/** SMTP_URL selects SMTP; otherwise mail goes to the outbox directory in the data dir. */
async function createMailer(config: Config, log: Logger): Promise<Mailer> {
  if (!config.smtpUrl)
    return new OutboxMailer(join(config.dataDir, "outbox"), config.mailFrom, log.child({ component: "mail" }));
  const { SmtpMailer } = await import("../mail/smtp");
  return new SmtpMailer(config.smtpUrl, config.mailFrom);
}

/**
 * `now`: the embedded limiter's clock (a test seam; the real clock when absent). `baseUrl`: see
 * createBlobStore.
 */
export async function createBackends(
  config: Config,
  log: Logger,
  now?: () => number,
  baseUrl: () => string = () => config.publicUrl ?? `http://localhost:${config.port}`,
): Promise<Backends> {
  const blobs = await createBlobStore(config, baseUrl);
  const { bus, stream } = await createBus(config, log);
  const mailer = await createMailer(config, log);
  const store = await createStore(config);
  let search: SearchIndex | null;
  try {
    search = await createSearch(config, log.child({ component: "search" }));
  } catch (error) {
    await Promise.allSettled([stream.close(), bus.close(), mailer.close(), store.close()]);
    throw error;
  }
  return {
    store,
    bus,
    stream,
    limiter: await createLimiter(config, log, now),
    presence: await createPresence(config, log),
    mailer,
    blobs,
    search,
  };
}

/** Where presence and rate limits live: REDIS_URL selects Redis for both. */
export type LimitsBackend = { kind: "memory" } | { kind: "redis"; url: string };

export const limitsBackend = (config: Config): LimitsBackend =>
  config.redisUrl ? { kind: "redis", url: config.redisUrl } : { kind: "memory" };

/** `now`: the embedded limiter's clock (a test seam); Redis decides on its own clock. */
export async function createLimiter(config: Config, log: Logger, now?: () => number): Promise<Limiter> {
  const backend = limitsBackend(config);
  switch (backend.kind) {
    case "memory":
      return new MemoryLimiter(now);
    case "redis": {
      const { RedisLimiter } = await import("../limits/redis/limiter");
      return new RedisLimiter({
        url: backend.url,
        keyPrefix: config.redisKeyPrefix,
        timeoutMs: config.redisTimeoutMs,
        log: log.child({ component: "limiter" }),
      });
    }
    default:
      return unknownKind("limiter", backend);
  }
}

export async function createPresence(config: Config, log: Logger): Promise<Presence> {
  const backend = limitsBackend(config);
  switch (backend.kind) {
    case "memory":
      return new MemoryPresence();
    case "redis": {
      const { RedisPresence } = await import("../limits/redis/presence");
      return new RedisPresence({
        url: backend.url,
        keyPrefix: config.redisKeyPrefix,
        timeoutMs: config.redisTimeoutMs,
        ttlMs: config.presenceTtlSeconds * 1000,
        log: log.child({ component: "presence" }),
      });
    }
    default:
      return unknownKind("presence", backend);
  }
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
  blobs: () => backends.blobs.ping(),
  ...(backends.search ? { search: () => (backends.search as SearchIndex).ping() } : {}),
});

/**
 * `now`: the domain's clock (a test seam; the real clock when absent). `port`: the port the server
 * listens on, asked when a mail is written (with --port 0 it is known only once the server listens).
 */
export function createServices(
  config: Config,
  backends: Backends,
  log: Logger,
  now?: () => number,
  port: () => number = () => config.port,
): Services {
  const clock = now && (() => new Date(now()));
  const serverSecret = resolveJwtSecret(config.jwtSecret, config.dataDir, log);
  const accessTokens = new AccessTokens(serverSecret, config.accessTokenTtlSeconds);
  const sessions = new Sessions({
    store: backends.store,
    bus: backends.bus,
    accessTokens,
    log: log.child({ component: "sessions" }),
  });
  const accounts = new Accounts({
    ...backends,
    sessions,
    passwords: new Passwords({ memoryKib: config.passwordMemoryKib, timeCost: config.passwordTimeCost }),
    accessTokens,
    settings: {
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      loginMaxFailures: config.loginMaxFailures,
      loginFailureWindowSeconds: config.loginFailureWindowSeconds,
      get publicUrl() {
        return config.publicUrl ?? `http://localhost:${port()}`;
      },
    },
    log: log.child({ component: "accounts" }),
    now: clock,
  });
  const feed = backends.search
    ? new EventFeed({ stream: backends.stream, log: log.child({ component: "feed" }) })
    : null;
  const events = new RoomEvents({
    store: backends.store,
    bus: backends.bus,
    feed,
    log: log.child({ component: "events" }),
  });
  const rooms = new Rooms({ store: backends.store, presence: backends.presence, events, now: clock });
  const attachments = new Attachments({
    store: backends.store,
    blobs: backends.blobs,
    rooms,
    limiter: backends.limiter,
    settings: {
      maxBytes: config.attachmentMaxBytes,
      contentTypes: config.attachmentContentTypes,
      uploadTtlMs: config.attachmentUploadTtlSeconds * 1000,
      uploadsPerMinute: config.attachmentUploadsPerMinute,
      downloadTtlMs: config.attachmentDownloadTtlSeconds * 1000,
    },
    log: log.child({ component: "attachments" }),
    now: clock,
  });
  const messages = new Messages({
    store: backends.store,
    rooms,
    limiter: backends.limiter,
    ids: new MessageIdGenerator(),
    events,
    attachments,
    mentions: new Mentions({ ...backends, log: log.child({ component: "mentions" }) }),
    settings: { maxLength: config.maxMessageLength, perMinute: config.messagesPerMinute },
    now: clock,
  });
  const conversations = new Conversations({ store: backends.store, messages, now: clock });
  const timeline = new Timeline({ store: backends.store, rooms, messages });
  const search = new Search({ index: backends.search, store: backends.store, rooms, messages, now });
  const digests = new Digests({
    store: backends.store,
    mailer: backends.mailer,
    settings: {
      afterMs: config.notifyAfterMinutes * 60_000,
      intervalMs: config.notifyIntervalMinutes * 60_000,
      get publicUrl() {
        return config.publicUrl ?? `http://localhost:${port()}`;
      },
    },
    now: clock,
  });
  const box = new SecretBox(serverSecret);
  const webhooks = new Webhooks({
    store: backends.store,
    rooms,
    box,
    checkTarget: (url) => resolveTarget(url, config.webhookAllowPrivate),
    now: clock,
  });
  return {
    accounts,
    accessTokens,
    sessions,
    rooms,
    messages,
    events,
    timeline,
    conversations,
    attachments,
    search,
    pins: new Pins({ store: backends.store, rooms, messages, events, now: clock }),
    threads: new Threads({ store: backends.store, rooms, messages }),
    mentions: new MentionInbox({ store: backends.store, messages }),
    feed,
    digests,
    webhooks,
    box,
    userPresence: new UserPresences({ store: backends.store, presence: backends.presence, limiter: backends.limiter }),
  };
}

export async function closeBackends(backends: Backends) {
  await Promise.allSettled([
    backends.mailer.close(),
    backends.blobs.close(),
    backends.limiter.close(),
    backends.presence.close(),
    backends.stream.close(),
    backends.bus.close(),
    backends.search?.close(),
  ]);
  await backends.store.close();
}
