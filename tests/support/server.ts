// Starts a real chatd server on a random port with an empty data dir, for HTTP and WebSocket tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "../../src/app/server";
import { type Config, defaultConfig } from "../../src/config";
import { createLogger } from "../../src/log";
import { Outbox } from "./outbox";

export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";

export type TestServer = RunningServer & { dataDir: string; config: Config; outbox: Outbox; close(): Promise<void> };

export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "chatd-test-"));
  const config = defaultConfig({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    logLevel: "silent",
    jwtSecret: TEST_JWT_SECRET,
    // Cheap hashing keeps the suite fast; the cost is configuration, not behaviour.
    passwordMemoryKib: 1024,
    passwordTimeCost: 1,
    ...overrides,
  });
  const server = await startServer(config, createLogger(process.env.TEST_LOG === "1" ? "debug" : "silent"));
  return {
    ...server,
    dataDir,
    config,
    outbox: new Outbox(join(dataDir, "outbox")),
    async close() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
