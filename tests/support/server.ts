// Starts a real chatd server on a random port with an empty data dir, for HTTP and WebSocket tests.
// With CHATD_TEST_STORE=cassandra (or Cassandra contact points in the overrides) its storage is the
// Cassandra on 127.0.0.1:9042, in a keyspace of its own that close() drops. With CHATD_TEST_REDIS=1 (or
// a REDIS_URL in the overrides) presence and rate limits are on the Redis at 127.0.0.1:6379, under a
// key prefix of its own. With CHATD_TEST_BUS=nats (or a NATS URL in the overrides) its bus is NATS
// (127.0.0.1:4222 unless given), under a subject prefix and with a JetStream stream of its own that
// close() deletes. With CHATD_TEST_BLOBS=s3 (or an S3 bucket in the overrides) attachments live on the
// test S3 server (scripts/services/s3proxy) in a bucket of its own that close() deletes; otherwise in
// the data dir. With CHATD_TEST_SEARCH=opensearch (or an OpenSearch URL in the overrides) search is
// the OpenSearch on 127.0.0.1:9200, under an index prefix of its own whose indices close() deletes;
// otherwise SQLite FTS5 (none with Cassandra storage: searches answer 501). Seams (a store decorator,
// a clock) pass through to startServer; see
// tests/support/store-hooks.ts and tests/support/clock.ts.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, type ServerSeams, startServer } from "../../src/app/server";
import { type Config, defaultConfig } from "../../src/config";
import { createLogger, type Logger } from "../../src/log";
import { deleteStream, NATS_URL, uniqueNatsNames } from "./nats";
import { deleteIndices, OPENSEARCH_URL, uniqueIndexPrefix } from "./opensearch";
import { Outbox } from "./outbox";
import { dropBucket, s3Overrides } from "./s3";
import { CASSANDRA_CONTACT_POINT, dropKeyspace, REDIS_URL, uniqueKeyPrefix, uniqueKeyspace } from "./services";

export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";

/**
 * The timeout of a test that starts a server of its own: on Cassandra that creates a keyspace, seconds
 * on a busy machine, past bun's 5 s default (bunfig.toml cannot raise it: bun does not read it there).
 */
export const OWN_SERVER_TIMEOUT_MS = 60_000;

export type TestServer = RunningServer & { dataDir: string; config: Config; outbox: Outbox; close(): Promise<void> };

/** Storage settings for a test server: a fresh Cassandra keyspace when asked for, else SQLite (none). */
function storeOverrides(overrides: Partial<Config>): Partial<Config> {
  if (process.env.CHATD_TEST_STORE !== "cassandra" && !overrides.cassandraContactPoints) return {};
  return {
    cassandraContactPoints: [CASSANDRA_CONTACT_POINT],
    cassandraKeyspace: uniqueKeyspace(),
    cassandraLocalDc: "datacenter1",
  };
}

/** Presence and limits settings: the shared Redis under a fresh key prefix when asked for, else memory (none). */
function limitsOverrides(overrides: Partial<Config>): Partial<Config> {
  if (process.env.CHATD_TEST_REDIS !== "1" && !overrides.redisUrl) return {};
  return { redisUrl: REDIS_URL, redisKeyPrefix: uniqueKeyPrefix("server") };
}

/** Bus settings for a test server: NATS with its own prefix and stream when asked for, else in-process (none). */
function busOverrides(overrides: Partial<Config>): Partial<Config> {
  if (process.env.CHATD_TEST_BUS !== "nats" && !overrides.natsUrl) return {};
  const { prefix, stream } = uniqueNatsNames();
  return { natsUrl: [NATS_URL], natsSubjectPrefix: prefix, natsStream: stream };
}

/**
 * Attachment settings: a fresh bucket on the test S3 server when asked for, else the data dir (none).
 * Overrides that name `s3Bucket` (even as undefined: the data dir) decide for themselves.
 */
function blobOverrides(overrides: Partial<Config>): Partial<Config> {
  if (process.env.CHATD_TEST_BLOBS !== "s3" || "s3Bucket" in overrides) return {};
  return s3Overrides();
}

/** Search settings: the shared OpenSearch under a fresh index prefix when asked for, else none (FTS5). */
function searchOverrides(overrides: Partial<Config>): Partial<Config> {
  if (process.env.CHATD_TEST_SEARCH !== "opensearch" && !overrides.opensearchUrl) return {};
  return { opensearchUrl: [OPENSEARCH_URL], opensearchIndexPrefix: uniqueIndexPrefix() };
}

/** `log` replaces the default logger (silent unless TEST_LOG=1), e.g. to capture the server's lines. */
export type TestServerOptions = ServerSeams & { log?: Logger };

export async function startTestServer(
  overrides: Partial<Config> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "chatd-test-"));
  const config = defaultConfig({
    ...storeOverrides(overrides),
    ...limitsOverrides(overrides),
    ...busOverrides(overrides),
    ...blobOverrides(overrides),
    ...searchOverrides(overrides),
    host: "127.0.0.1",
    port: 0,
    dataDir,
    logLevel: "silent",
    jwtSecret: TEST_JWT_SECRET,
    // Cheap hashing keeps the suite fast; the cost is configuration, not behaviour.
    passwordMemoryKib: 1024,
    passwordTimeCost: 1,
    // Every response of every HTTP test is checked against its route's schema.
    httpValidateResponses: true,
    ...overrides,
  });
  const log = options.log ?? createLogger(process.env.TEST_LOG === "1" ? "debug" : "silent");
  const server = await startServer(config, log, { wrapStore: options.wrapStore, now: options.now });
  return {
    ...server,
    dataDir,
    config,
    outbox: new Outbox(join(dataDir, "outbox")),
    async close() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
      if (config.cassandraContactPoints) await dropKeyspace(config.cassandraKeyspace);
      if (config.natsUrl) await deleteStream(config.natsStream, config.natsUrl[0]);
      if (config.s3Bucket) await dropBucket(config.s3Bucket);
      if (config.opensearchUrl) await deleteIndices(config.opensearchIndexPrefix, config.opensearchUrl[0]);
    },
  };
}
