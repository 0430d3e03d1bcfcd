// Every configuration variable chatd reads: its env name, optional flag, default and parser. The help
// text, the README table and validation all come from this one list.

export type Parser<T> = (raw: string) => T;

export type Setting<T> = {
  env: string;
  flag?: string;
  default: T | undefined;
  /** How the default reads in --help when it is not a literal. */
  defaultText?: string;
  description: string;
  /** The value is a secret (or may hold one, like a URL with a password): errors never echo it. */
  secret?: boolean;
  parse: Parser<T>;
};

class InvalidValue extends Error {}

const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidValue(`must be an integer from ${min} to ${max}`);
    }
    return value;
  };

const oneOf =
  <const T extends string>(...values: T[]): Parser<T> =>
  (raw) => {
    if (!values.includes(raw as T)) throw new InvalidValue(`must be one of ${values.join(", ")}`);
    return raw as T;
  };

const nonEmpty: Parser<string> = (raw) => {
  if (raw.trim() === "") throw new InvalidValue("must not be empty");
  return raw;
};

const url =
  (...protocols: string[]): Parser<string> =>
  (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new InvalidValue("must be a URL");
    }
    if (!protocols.includes(parsed.protocol)) throw new InvalidValue(`must be a ${protocols.join(" or ")} URL`);
    return raw;
  };

const list: Parser<string[]> = (raw) => {
  const items = raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidValue("must list at least one host");
  return items;
};

/** Comma-separated URLs with one of the protocols and a host each, e.g. a NATS cluster's seed servers. */
const urlList =
  (...protocols: string[]): Parser<string[]> =>
  (raw) => {
    const items = raw
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0) throw new InvalidValue("must list at least one URL");
    for (const item of items) {
      let parsed: URL;
      try {
        parsed = new URL(item);
      } catch {
        throw new InvalidValue("must be a comma-separated list of URLs");
      }
      if (!protocols.includes(parsed.protocol) || !parsed.hostname)
        throw new InvalidValue(`must be ${protocols.map((p) => `${p}//`).join(" or ")} URLs with a host`);
    }
    return items;
  };

/** Dot-separated subject tokens of letters, digits, `_` and `-` (a NATS subject without wildcards). */
const subjectPrefix: Parser<string> = (raw) => {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(raw))
    throw new InvalidValue("must be dot-separated tokens of letters, digits, _ and -");
  return raw;
};

const streamName: Parser<string> = (raw) => {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new InvalidValue("must be 1 to 64 letters, digits, _ and -");
  return raw;
};

/** An OpenSearch index name prefix: lowercase letters, digits, _ and -, not starting with _ or -. */
const indexPrefix: Parser<string> = (raw) => {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(raw))
    throw new InvalidValue("must be 1 to 64 lowercase letters, digits, _ and -, starting with a letter or digit");
  return raw;
};

const identifier: Parser<string> = (raw) => {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(raw))
    throw new InvalidValue("must be a lowercase identifier of letters, digits and _");
  return raw;
};

export type Replication =
  | { class: "SimpleStrategy"; replicationFactor: number }
  | { class: "NetworkTopologyStrategy"; dataCenters: Record<string, number> };

const replication: Parser<Replication> = (raw) => {
  const [strategy, spec = ""] = raw.split(":", 2);
  if (strategy === "SimpleStrategy" && /^\d+$/.test(spec) && Number(spec) > 0) {
    return { class: "SimpleStrategy", replicationFactor: Number(spec) };
  }
  if (strategy === "NetworkTopologyStrategy") {
    const pairs = spec.split(",").map((pair) => pair.trim().split("="));
    if (pairs.length > 0 && pairs.every(([dc, rf]) => dc && rf && /^\d+$/.test(rf) && Number(rf) > 0)) {
      return {
        class: "NetworkTopologyStrategy",
        dataCenters: Object.fromEntries(pairs.map(([dc, rf]) => [dc as string, Number(rf)])),
      };
    }
  }
  throw new InvalidValue("must be SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>...]");
};

const secret =
  (minLength: number): Parser<string> =>
  (raw) => {
    if (raw.length < minLength) throw new InvalidValue(`must be at least ${minLength} characters`);
    return raw;
  };

/** Browser origins, `scheme://host[:port]` each (normalized as browsers send them), or `*` for any. */
const origins: Parser<string[]> = (raw) => {
  const items = raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidValue("must list at least one origin");
  return items.map((item) => {
    if (item === "*") return item;
    let parsed: URL | undefined;
    try {
      parsed = new URL(item);
    } catch {}
    const bare =
      parsed &&
      (parsed.protocol === "http:" || parsed.protocol === "https:") &&
      !parsed.username &&
      !parsed.password &&
      parsed.pathname === "/" &&
      !parsed.search &&
      !parsed.hash;
    if (!parsed || !bare) throw new InvalidValue(`must be origins like https://app.example.com or *; "${item}" is not`);
    return parsed.origin;
  });
};

const boolean: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new InvalidValue("must be true or false");
};

/** A decimal number in [min, max] (fractional minutes, e.g. 0.05 for three seconds in tests). */
const decimal =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw.trim()) || value < min || value > max)
      throw new InvalidValue(`must be a number from ${min} to ${max}`);
    return value;
  };

/** Comma-separated media types `type/subtype` (lowercased), no parameters, no wildcards. */
const mediaTypes: Parser<string[]> = (raw) => {
  const items = raw
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidValue("must list at least one content type");
  for (const item of items) {
    if (!/^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(item))
      throw new InvalidValue(`must be content types like image/png; "${item}" is not`);
  }
  return [...new Set(items)];
};

/** An S3 bucket name: 3-63 of lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
const bucketName: Parser<string> = (raw) => {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw) || raw.includes(".."))
    throw new InvalidValue("must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)");
  return raw;
};

/** What attachments may be unless ATTACHMENT_CONTENT_TYPES says otherwise. */
export const DEFAULT_ATTACHMENT_TYPES = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
  "application/zip",
  "audio/mpeg",
  "video/mp4",
] as const;

export { InvalidValue };

export const roles = ["all", "api", "ws", "indexer"] as const;
export type Role = (typeof roles)[number];

export const settings = {
  role: {
    env: "CHATD_ROLE",
    flag: "--role",
    default: "all",
    description: "which part to run: all (api + ws), api, ws or indexer",
    parse: oneOf(...roles),
  },
  host: {
    env: "HOST",
    flag: "--host",
    default: "0.0.0.0",
    description: "address to listen on",
    parse: nonEmpty,
  },
  port: {
    env: "PORT",
    flag: "--port",
    default: 8080,
    description: "TCP port to listen on (0 picks a free one)",
    parse: integer(0, 65535),
  },
  dataDir: {
    env: "DATA_DIR",
    flag: "--data-dir",
    default: "./data",
    description: "directory for the SQLite database, outbox mail and the generated JWT secret",
    parse: nonEmpty,
  },
  logLevel: {
    env: "LOG_LEVEL",
    flag: "--log-level",
    default: "info",
    description: "debug, info, warn, error or silent",
    parse: oneOf("debug", "info", "warn", "error", "silent"),
  },
  publicUrl: {
    env: "PUBLIC_URL",
    default: undefined,
    defaultText: "http://localhost:<port>",
    description:
      "base URL users reach chatd at; used in links inside mails and in the embedded blob store's signed URLs",
    parse: url("http:", "https:"),
  },
  jwtSecret: {
    env: "JWT_SECRET",
    default: undefined,
    defaultText: "generated and kept in <data-dir>/jwt-secret",
    description: "HS256 key for access tokens, at least 32 characters",
    secret: true,
    parse: secret(32),
  },
  accessTokenTtlSeconds: {
    env: "ACCESS_TOKEN_TTL_SECONDS",
    default: 900,
    description: "lifetime of an access token",
    parse: integer(10, 86_400),
  },
  refreshTokenTtlSeconds: {
    env: "REFRESH_TOKEN_TTL_SECONDS",
    default: 30 * 86_400,
    description: "lifetime of a refresh token",
    parse: integer(60, 365 * 86_400),
  },
  passwordMemoryKib: {
    env: "PASSWORD_HASH_MEMORY_KIB",
    default: 65_536,
    description: "Argon2id memory cost in KiB",
    parse: integer(1024, 4_194_304),
  },
  passwordTimeCost: {
    env: "PASSWORD_HASH_TIME_COST",
    default: 2,
    description: "Argon2id iterations",
    parse: integer(1, 20),
  },
  loginMaxFailures: {
    env: "LOGIN_MAX_FAILURES",
    default: 5,
    description: "failed logins allowed per account name (and 10x per client address) in the window",
    parse: integer(1, 10_000),
  },
  loginFailureWindowSeconds: {
    env: "LOGIN_FAILURE_WINDOW_SECONDS",
    default: 900,
    description: "window for LOGIN_MAX_FAILURES",
    parse: integer(1, 86_400),
  },
  maxBodyBytes: {
    env: "MAX_BODY_BYTES",
    default: 1_048_576,
    description: "largest accepted request body",
    parse: integer(1024, 100 * 1_048_576),
  },
  httpValidateResponses: {
    env: "HTTP_VALIDATE_RESPONSES",
    default: false,
    description:
      "check every REST response against its OpenAPI schema before it goes out (the test server does; it costs more than a history page's query)",
    parse: boolean,
  },
  maxMessageLength: {
    env: "MAX_MESSAGE_LENGTH",
    default: 500,
    description: "longest message content, in characters, after trimming",
    parse: integer(1, 100_000),
  },
  messagesPerMinute: {
    env: "RATE_LIMIT_MESSAGES_PER_MINUTE",
    default: 20,
    description: "messages one user may send per minute, over REST and WebSocket together",
    parse: integer(1, 1_000_000),
  },
  wsHeartbeatIntervalMs: {
    env: "WS_HEARTBEAT_INTERVAL_MS",
    default: 25_000,
    description: "WebSocket heartbeat: the server pings a connection silent this long and closes it after twice that",
    parse: integer(100, 600_000),
  },
  wsIdleTimeoutSeconds: {
    env: "WS_IDLE_TIMEOUT_SECONDS",
    default: 120,
    description: "close a WebSocket that sends nothing at all (not even pongs) for this long",
    parse: integer(1, 960),
  },
  wsMaxPayloadBytes: {
    env: "WS_MAX_PAYLOAD_BYTES",
    default: 65_536,
    description: "largest client frame; a larger one gets an error frame (4x this closes the connection)",
    parse: integer(1024, 16 * 1_048_576),
  },
  wsMaxBufferedBytes: {
    env: "WS_MAX_BUFFERED_BYTES",
    default: 1_048_576,
    description: "a client whose unsent data passes this is closed as a slow consumer (1008)",
    parse: integer(16_384, 256 * 1_048_576),
  },
  wsRecoveryLimit: {
    env: "WS_RECOVERY_LIMIT",
    default: 100,
    description: "most messages a subscribe with `since` returns",
    parse: integer(1, 10_000),
  },
  cassandraContactPoints: {
    env: "CASSANDRA_CONTACT_POINTS",
    default: undefined,
    defaultText: "unset: SQLite in the data dir",
    description: "comma-separated host[:port] list; when set, storage is Cassandra/ScyllaDB",
    parse: list,
  },
  cassandraKeyspace: {
    env: "CASSANDRA_KEYSPACE",
    default: "chatd",
    description: "keyspace chatd creates (if missing) and uses",
    parse: identifier,
  },
  cassandraLocalDc: {
    env: "CASSANDRA_LOCAL_DC",
    default: "datacenter1",
    description: "local data centre for token-aware, DC-aware load balancing",
    parse: nonEmpty,
  },
  cassandraReplication: {
    env: "CASSANDRA_REPLICATION",
    default: { class: "SimpleStrategy", replicationFactor: 1 } as Replication,
    defaultText: "SimpleStrategy:1",
    description:
      "replication when chatd creates the keyspace: SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>,...",
    parse: replication,
  },
  cassandraUsername: {
    env: "CASSANDRA_USERNAME",
    default: undefined,
    description: "user for password authentication (with CASSANDRA_PASSWORD)",
    parse: nonEmpty,
  },
  cassandraPassword: {
    env: "CASSANDRA_PASSWORD",
    default: undefined,
    description: "password for CASSANDRA_USERNAME",
    secret: true,
    parse: nonEmpty,
  },
  cassandraTimeoutMs: {
    env: "CASSANDRA_TIMEOUT_MS",
    default: 5000,
    description: "per-request timeout; past it a request fails with 503 unavailable",
    parse: integer(100, 120_000),
  },
  redisUrl: {
    env: "REDIS_URL",
    default: undefined,
    defaultText: "unset: presence and rate limits in process memory",
    description:
      "redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379/0); when set, presence and rate limits live in Redis",
    parse: url("redis:", "rediss:"),
  },
  redisKeyPrefix: {
    env: "REDIS_KEY_PREFIX",
    default: "chatd:",
    description: "prepended to every Redis key chatd writes, so several deployments can share one Redis database",
    parse: nonEmpty,
  },
  redisTimeoutMs: {
    env: "REDIS_TIMEOUT_MS",
    default: 1000,
    description:
      "per-call Redis timeout; past it (or at once while Redis is known down) limits fail with 503 unavailable",
    parse: integer(50, 60_000),
  },
  presenceTtlSeconds: {
    env: "PRESENCE_TTL_SECONDS",
    default: 30,
    description:
      "with REDIS_URL: a crashed process's users drop out of presence within this long (refreshed every third of it)",
    parse: integer(1, 3600),
  },
  presenceIdleSeconds: {
    env: "PRESENCE_IDLE_SECONDS",
    default: 300,
    description:
      "a connection with no client frame but ping for this long is idle; a user is idle when all their connections are",
    parse: integer(1, 86_400),
  },
  natsUrl: {
    env: "NATS_URL",
    default: undefined,
    defaultText: "unset: in-process bus and event stream",
    description:
      "comma-separated nats:// or tls:// URLs (user:pass@ or token@ for auth) of one NATS cluster with JetStream; when set, the bus and the event stream are NATS",
    parse: urlList("nats:", "tls:"),
  },
  natsSubjectPrefix: {
    env: "NATS_SUBJECT_PREFIX",
    default: undefined,
    defaultText: "none",
    description:
      "namespace put before every NATS subject (<prefix>.chat.room.<id>), to share one NATS between deployments",
    parse: subjectPrefix,
  },
  natsStream: {
    env: "NATS_STREAM",
    default: "CHATD_EVENTS",
    description: "JetStream stream of the event feed (subjects chat.events.>), created or updated at start",
    parse: streamName,
  },
  natsStreamMaxAgeHours: {
    env: "NATS_STREAM_MAX_AGE_HOURS",
    default: 168,
    description: "the event stream drops messages older than this",
    parse: integer(1, 87_600),
  },
  natsStreamMaxBytes: {
    env: "NATS_STREAM_MAX_BYTES",
    default: 1_073_741_824,
    description: "the event stream drops its oldest messages past this size",
    parse: integer(1_048_576, Number.MAX_SAFE_INTEGER),
  },
  natsStreamReplicas: {
    env: "NATS_STREAM_REPLICAS",
    default: 1,
    description: "JetStream replicas of the event stream (3 on a production cluster)",
    parse: integer(1, 5),
  },
  opensearchUrl: {
    env: "OPENSEARCH_URL",
    default: undefined,
    defaultText: "unset: SQLite FTS5 in the database (with SQLite storage)",
    description:
      "comma-separated http:// or https:// URLs (user:pass@ for basic auth) of OpenSearch 2.x nodes; when set, message search is OpenSearch, fed by the indexer role",
    secret: true,
    parse: urlList("http:", "https:"),
  },
  opensearchIndexPrefix: {
    env: "OPENSEARCH_INDEX_PREFIX",
    default: "chatd",
    description: "OpenSearch index names start with it (<prefix>-messages, <prefix>-search-state), created at start",
    parse: indexPrefix,
  },
  opensearchTimeoutMs: {
    env: "OPENSEARCH_TIMEOUT_MS",
    default: 5000,
    description: "per-request OpenSearch timeout; past it searches fail with 503 unavailable",
    parse: integer(100, 120_000),
  },
  smtpUrl: {
    env: "SMTP_URL",
    default: undefined,
    defaultText: "unset: mail goes to <data-dir>/outbox as .eml files",
    description: "send mail over SMTP, e.g. smtp://user:pass@mail.example.com:587",
    secret: true,
    parse: url("smtp:", "smtps:"),
  },
  mailFrom: {
    env: "MAIL_FROM",
    default: "chatd <no-reply@chatd.local>",
    description: "From address of the mails chatd sends",
    parse: nonEmpty,
  },
  notifyAfterMinutes: {
    env: "NOTIFY_AFTER_MINUTES",
    default: 15,
    description:
      "a user with unread DMs or mentions and no live WebSocket connection for this long gets a digest mail (fractions allowed)",
    parse: decimal(0.01, 10_080),
  },
  notifyIntervalMinutes: {
    env: "NOTIFY_INTERVAL_MINUTES",
    default: 60,
    description: "at most one digest mail per user in this long (fractions allowed)",
    parse: decimal(0.01, 10_080),
  },
  notifyPollSeconds: {
    env: "NOTIFY_POLL_SECONDS",
    default: 30,
    description: "how often the digest dispatcher (api role) looks for users to mail (fractions allowed)",
    parse: decimal(0.05, 3600),
  },
  webhookUrl: {
    env: "WEBHOOK_URL",
    default: undefined,
    defaultText: "unset: no global webhook",
    description: "receives every room's durable events as signed JSON POSTs (with WEBHOOK_SECRET)",
    secret: true,
    parse: url("http:", "https:"),
  },
  webhookSecret: {
    env: "WEBHOOK_SECRET",
    default: undefined,
    description: "signing secret of WEBHOOK_URL (X-Chatd-Signature), at least 16 characters",
    secret: true,
    parse: secret(16),
  },
  webhookAllowPrivate: {
    env: "WEBHOOK_ALLOW_PRIVATE",
    default: false,
    description:
      "allow webhook targets on private, loopback, link-local and metadata addresses (refused by default: SSRF)",
    parse: boolean,
  },
  webhookRetryForSeconds: {
    env: "WEBHOOK_RETRY_FOR_SECONDS",
    default: 86_400,
    description: "how long an event is retried while its receiver fails before it is dropped (and counted)",
    parse: integer(1, 30 * 86_400),
  },
  webhookRetryBaseMs: {
    env: "WEBHOOK_RETRY_BASE_MS",
    default: 1000,
    description: "first retry delay; each next one doubles (with jitter) up to WEBHOOK_RETRY_MAX_MS",
    parse: integer(1, 3_600_000),
  },
  webhookRetryMaxMs: {
    env: "WEBHOOK_RETRY_MAX_MS",
    default: 600_000,
    description: "longest delay between two attempts at one event",
    parse: integer(1, 86_400_000),
  },
  webhookTimeoutMs: {
    env: "WEBHOOK_TIMEOUT_MS",
    default: 10_000,
    description: "a delivery that has not answered in this long counts as failed",
    parse: integer(100, 120_000),
  },
  webhookPollMs: {
    env: "WEBHOOK_POLL_MS",
    default: 1000,
    description: "how often the webhook dispatcher (api role) looks for new room events",
    parse: integer(10, 600_000),
  },
  attachmentMaxBytes: {
    env: "ATTACHMENT_MAX_BYTES",
    default: 26_214_400,
    description: "largest attachment in bytes (its upload is streamed, so MAX_BODY_BYTES does not apply)",
    parse: integer(1, 5 * 1024 ** 3),
  },
  attachmentContentTypes: {
    env: "ATTACHMENT_CONTENT_TYPES",
    default: [...DEFAULT_ATTACHMENT_TYPES],
    defaultText: DEFAULT_ATTACHMENT_TYPES.join(","),
    description: "comma-separated content types (type/subtype) an attachment may have",
    parse: mediaTypes,
  },
  attachmentUploadTtlSeconds: {
    env: "ATTACHMENT_UPLOAD_TTL_SECONDS",
    default: 900,
    description: "an upload URL, and the pending attachment, expire this long after POST /v1/attachments",
    parse: integer(60, 7 * 86_400),
  },
  attachmentUploadsPerMinute: {
    env: "RATE_LIMIT_UPLOADS_PER_MINUTE",
    default: 30,
    description: "uploads one user may start per minute (POST /v1/attachments)",
    parse: integer(1, 1_000_000),
  },
  attachmentDownloadTtlSeconds: {
    env: "ATTACHMENT_DOWNLOAD_TTL_SECONDS",
    default: 300,
    description: "lifetime of a download URL",
    parse: integer(10, 86_400),
  },
  attachmentSweepIntervalSeconds: {
    env: "ATTACHMENT_SWEEP_INTERVAL_SECONDS",
    default: 60,
    description: "how often expired uploads and the objects of deleted messages are cleaned up",
    parse: integer(1, 86_400),
  },
  s3Endpoint: {
    env: "S3_ENDPOINT",
    default: undefined,
    defaultText: "unset: AWS's endpoint for S3_REGION when S3_BUCKET is set",
    description: "URL of an S3-compatible store (http://127.0.0.1:9000); with S3_BUCKET, attachments live there",
    parse: url("http:", "https:"),
  },
  s3PublicEndpoint: {
    env: "S3_PUBLIC_ENDPOINT",
    default: undefined,
    defaultText: "S3_ENDPOINT",
    description: "the store's URL as clients reach it, used in signed URLs (when it differs from S3_ENDPOINT)",
    parse: url("http:", "https:"),
  },
  s3Bucket: {
    env: "S3_BUCKET",
    default: undefined,
    defaultText: "unset: attachments in <data-dir>/blobs",
    description: "bucket of the attachments (created at start when missing); when set, attachments live in S3",
    parse: bucketName,
  },
  s3Region: {
    env: "S3_REGION",
    default: "us-east-1",
    description: "region of the bucket (signed into every request)",
    parse: nonEmpty,
  },
  s3AccessKeyId: {
    env: "S3_ACCESS_KEY_ID",
    default: undefined,
    defaultText: "unset: the AWS SDK's default credential chain",
    description: "access key id (with S3_SECRET_ACCESS_KEY)",
    parse: nonEmpty,
  },
  s3SecretAccessKey: {
    env: "S3_SECRET_ACCESS_KEY",
    default: undefined,
    description: "secret access key for S3_ACCESS_KEY_ID",
    secret: true,
    parse: nonEmpty,
  },
  s3ForcePathStyle: {
    env: "S3_FORCE_PATH_STYLE",
    default: false,
    description: "address buckets as <endpoint>/<bucket> instead of <bucket>.<host> (most non-AWS stores need true)",
    parse: boolean,
  },
  corsOrigins: {
    env: "CORS_ORIGINS",
    default: [] as string[],
    defaultText: "none",
    description:
      "comma-separated browser origins (https://app.example.com) allowed to call the API cross-origin; * allows any",
    parse: origins,
  },
  metricsToken: {
    env: "METRICS_TOKEN",
    default: undefined,
    defaultText: "unset: /metrics is open",
    description: "when set, GET /metrics requires Authorization: Bearer <this token> (at least 16 characters)",
    secret: true,
    parse: secret(16),
  },
  shutdownTimeoutSeconds: {
    env: "SHUTDOWN_TIMEOUT_SECONDS",
    default: 10,
    description: "how long a graceful stop waits for in-flight requests",
    parse: integer(0, 600),
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
type ValueOf<S> = S extends { parse: Parser<infer T> } ? T : never;
type DefaultOf<S> = S extends { default: undefined } ? undefined : never;

/** The validated configuration: each setting's parsed type, `undefined` only where there is no default. */
export type Config = { [K in keyof Settings]: ValueOf<Settings[K]> | DefaultOf<Settings[K]> };
