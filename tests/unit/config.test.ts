// Configuration: flags win over env, env over defaults; a bad value names its variable.
import { describe, expect, test } from "bun:test";
import { parseCommandLine, UsageError } from "../../src/cli/args";
import { helpText } from "../../src/cli/help";
import { ConfigError, loadConfig, settings } from "../../src/config";
import { checkNotify } from "../../src/notify";

describe("loadConfig", () => {
  test("defaults apply when nothing is set", () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ role: "all", port: 8080, dataDir: "./data", maxBodyBytes: 1_048_576 });
    expect(config.jwtSecret).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
  });

  test("env overrides defaults and flags override env", () => {
    expect(loadConfig({}, { PORT: "9000" }).port).toBe(9000);
    expect(loadConfig({ "--port": "9100" }, { PORT: "9000" }).port).toBe(9100);
    expect(loadConfig({ "--data-dir": "/x" }, { DATA_DIR: "/y" }).dataDir).toBe("/x");
    expect(loadConfig({}, { CHATD_ROLE: "api" }).role).toBe("api");
  });

  test("an empty env var means unset", () => {
    expect(loadConfig({}, { PORT: "" }).port).toBe(8080);
  });

  test("an invalid env value fails naming the variable", () => {
    expect(() => loadConfig({}, { PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig({}, { PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({}, { PORT: "70000" })).toThrow(/PORT: must be an integer from 0 to 65535/);
    expect(() => loadConfig({}, { JWT_SECRET: "short" })).toThrow(/JWT_SECRET: must be at least 32 characters/);
    expect(() => loadConfig({}, { SMTP_URL: "http://x" })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({}, { LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL: must be one of/);
  });

  test("REDIS_URL takes redis:// and rediss:// URLs only", () => {
    expect(loadConfig({}, {}).redisUrl).toBeUndefined();
    expect(loadConfig({}, { REDIS_URL: "redis://127.0.0.1:6379/0" }).redisUrl).toBe("redis://127.0.0.1:6379/0");
    expect(loadConfig({}, { REDIS_URL: "rediss://:secret@cache.example:6380" }).redisUrl).toBe(
      "rediss://:secret@cache.example:6380",
    );
    for (const bad of ["127.0.0.1:6379", "http://127.0.0.1:6379", "redis//x"])
      expect(() => loadConfig({}, { REDIS_URL: bad })).toThrow(/REDIS_URL: must be a/);
    expect(() => loadConfig({}, { PRESENCE_TTL_SECONDS: "0" })).toThrow(/PRESENCE_TTL_SECONDS/);
  });

  test("an invalid flag value names the flag and its variable", () => {
    expect(() => loadConfig({ "--role": "worker" }, {})).toThrow(
      /--role \(CHATD_ROLE\): must be one of all, api, ws, indexer/,
    );
  });
});

describe("command line", () => {
  test("no arguments means serve", () => {
    expect(parseCommandLine([])).toEqual({ command: "serve", flags: {} });
  });

  test("commands and flags in both spellings", () => {
    expect(parseCommandLine(["serve", "--role", "api", "--port=0"])).toEqual({
      command: "serve",
      flags: { "--role": "api", "--port": "0" },
    });
    expect(parseCommandLine(["migrate", "--data-dir", "/tmp/x"]).command).toBe("migrate");
    expect(parseCommandLine(["version"]).command).toBe("version");
    expect(parseCommandLine(["--help"]).command).toBe("help");
    expect(parseCommandLine(["serve", "-h"]).command).toBe("help");
  });

  test("unknown commands and flags are usage errors", () => {
    expect(() => parseCommandLine(["launch"])).toThrow(UsageError);
    expect(() => parseCommandLine(["--colour", "red"])).toThrow(UsageError);
  });

  test("--help lists every flag and environment variable with its default", () => {
    const text = helpText("1.2.3");
    for (const setting of Object.values(settings)) {
      expect(text).toContain(setting.env);
      if ("flag" in setting) expect(text).toContain(setting.flag);
    }
    expect(text).toContain("(default: 8080)");
  });
});

describe("Cassandra settings", () => {
  test("contact points and replication parse into structures; bad ones name the variable", () => {
    const config = loadConfig(
      {},
      {
        CASSANDRA_CONTACT_POINTS: "10.0.0.1, 10.0.0.2:9043",
        CASSANDRA_REPLICATION: "NetworkTopologyStrategy:dc1=3,dc2=2",
      },
    );
    expect(config.cassandraContactPoints).toEqual(["10.0.0.1", "10.0.0.2:9043"]);
    expect(config.cassandraReplication).toEqual({ class: "NetworkTopologyStrategy", dataCenters: { dc1: 3, dc2: 2 } });
    expect(loadConfig({}, {}).cassandraReplication).toEqual({ class: "SimpleStrategy", replicationFactor: 1 });
    expect(() => loadConfig({}, { CASSANDRA_REPLICATION: "SimpleStrategy:zero" })).toThrow(/CASSANDRA_REPLICATION/);
    expect(() => loadConfig({}, { CASSANDRA_KEYSPACE: "Bad-Name" })).toThrow(/CASSANDRA_KEYSPACE/);
  });
});

describe("CORS_ORIGINS", () => {
  test("origins are read as browsers send them; * allows any", () => {
    expect(loadConfig({}, {}).corsOrigins).toEqual([]);
    expect(loadConfig({}, { CORS_ORIGINS: "https://App.Example.com, http://localhost:5173/" }).corsOrigins).toEqual([
      "https://app.example.com",
      "http://localhost:5173",
    ]);
    expect(loadConfig({}, { CORS_ORIGINS: "*" }).corsOrigins).toEqual(["*"]);
  });

  test("anything but an origin is refused, naming the variable", () => {
    for (const bad of [
      "app.example.com",
      "https://app.example.com/path",
      "ftp://x.example",
      "https://u:p@x.example",
      ",",
    ])
      expect(() => loadConfig({}, { CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS/);
  });
});

describe("NATS settings", () => {
  test("NATS_URL takes a comma-separated list of nats:// and tls:// URLs; anything else names the variable", () => {
    const config = loadConfig({}, { NATS_URL: "nats://a:4222, tls://user:pw@b.example:4223" });
    expect(config.natsUrl).toEqual(["nats://a:4222", "tls://user:pw@b.example:4223"]);
    expect(loadConfig({}, {}).natsUrl).toBeUndefined();
    for (const bad of ["http://a:4222", "a:4222", "nats://", " , "]) {
      expect(() => loadConfig({}, { NATS_URL: bad })).toThrow(/NATS_URL/);
    }
  });

  test("the subject prefix and stream settings are validated; the stream has defaults", () => {
    const config = loadConfig({}, { NATS_SUBJECT_PREFIX: "tenant-1.eu" });
    expect(config.natsSubjectPrefix).toBe("tenant-1.eu");
    expect(config).toMatchObject({
      natsStream: "CHATD_EVENTS",
      natsStreamMaxAgeHours: 168,
      natsStreamMaxBytes: 1_073_741_824,
      natsStreamReplicas: 1,
    });
    for (const bad of ["a..b", "a.>", "a b", "*"]) {
      expect(() => loadConfig({}, { NATS_SUBJECT_PREFIX: bad })).toThrow(/NATS_SUBJECT_PREFIX/);
    }
    expect(() => loadConfig({}, { NATS_STREAM: "has.dot" })).toThrow(/NATS_STREAM/);
    expect(() => loadConfig({}, { NATS_STREAM_REPLICAS: "7" })).toThrow(/NATS_STREAM_REPLICAS/);
  });
});

describe("attachment and S3 settings", () => {
  test("defaults: 25 MiB, a list of common types, 15 minutes to upload, the data dir", () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      attachmentMaxBytes: 26_214_400,
      attachmentUploadTtlSeconds: 900,
      attachmentDownloadTtlSeconds: 300,
      s3Region: "us-east-1",
      s3ForcePathStyle: false,
    });
    expect(config.attachmentContentTypes).toContain("image/png");
    expect(config.s3Bucket).toBeUndefined();
  });

  test("content types are a list of type/subtype, lowercased; anything else names the variable", () => {
    expect(
      loadConfig({}, { ATTACHMENT_CONTENT_TYPES: " Image/PNG, application/pdf ,image/png" }).attachmentContentTypes,
    ).toEqual(["image/png", "application/pdf"]);
    for (const bad of ["image/*", "png", "text/plain; charset=utf-8", ","])
      expect(() => loadConfig({}, { ATTACHMENT_CONTENT_TYPES: bad })).toThrow(/ATTACHMENT_CONTENT_TYPES/);
  });

  test("S3 settings are validated; the secret key is never echoed", () => {
    const config = loadConfig(
      {},
      { S3_ENDPOINT: "http://127.0.0.1:9000", S3_BUCKET: "chatd-files", S3_FORCE_PATH_STYLE: "true" },
    );
    expect(config).toMatchObject({
      s3Endpoint: "http://127.0.0.1:9000",
      s3Bucket: "chatd-files",
      s3ForcePathStyle: true,
    });
    expect(() => loadConfig({}, { S3_BUCKET: "Bad_Bucket" })).toThrow(/S3_BUCKET/);
    expect(() => loadConfig({}, { S3_ENDPOINT: "s3://x" })).toThrow(/S3_ENDPOINT/);
    expect(() => loadConfig({}, { S3_FORCE_PATH_STYLE: "yes" })).toThrow(/S3_FORCE_PATH_STYLE: must be true or false/);
    expect(() => loadConfig({}, { ATTACHMENT_MAX_BYTES: "0" })).toThrow(/ATTACHMENT_MAX_BYTES/);
    expect(settings.s3SecretAccessKey.secret).toBe(true);
  });

  test("notification minutes may be fractional; webhook settings are validated and secret", () => {
    expect(loadConfig({}, {})).toMatchObject({
      notifyAfterMinutes: 15,
      notifyIntervalMinutes: 60,
      webhookAllowPrivate: false,
      webhookRetryForSeconds: 86_400,
    });
    expect(loadConfig({}, { NOTIFY_AFTER_MINUTES: "0.05" }).notifyAfterMinutes).toBe(0.05);
    expect(() => loadConfig({}, { NOTIFY_AFTER_MINUTES: "soon" })).toThrow(/NOTIFY_AFTER_MINUTES: must be a number/);
    expect(() => loadConfig({}, { NOTIFY_INTERVAL_MINUTES: "-1" })).toThrow(/NOTIFY_INTERVAL_MINUTES/);
    expect(() => loadConfig({}, { WEBHOOK_URL: "ftp://x" })).toThrow(/WEBHOOK_URL/);
    expect(() => loadConfig({}, { WEBHOOK_SECRET: "short" })).toThrow(/WEBHOOK_SECRET: must be at least 16/);
    expect(settings.webhookSecret.secret).toBe(true);
    expect(settings.webhookUrl.secret).toBe(true);
    // One without the other cannot sign: the server refuses to start.
    expect(() => checkNotify(loadConfig({}, { WEBHOOK_URL: "https://hooks.example.com/x" }))).toThrow(
      /WEBHOOK_URL and WEBHOOK_SECRET go together/,
    );
    expect(() => checkNotify(loadConfig({}, { WEBHOOK_SECRET: "a-secret-of-16-chars" }))).toThrow(ConfigError);
  });
});
