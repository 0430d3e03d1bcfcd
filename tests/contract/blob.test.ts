// Runs the blob store contract against both adapters: the local directory always (its signed URLs
// served by chatd's own /v1/blobs routes on a real port), and S3 on the test S3 server
// (scripts/services/s3proxy) in a bucket of its own.

import { test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsBlobStore } from "../../src/blob/fs";
import { S3BlobStore } from "../../src/blob/s3";
import { createHttpApp } from "../../src/http/app";
import { blobRoutes } from "../../src/http/routes/blobs";
import { createLogger } from "../../src/log";
import { createMetrics } from "../../src/metrics";
import { dropBucket, S3_CREDENTIALS, S3_ENDPOINT, S3_HOST, S3_PORT, uniqueBucket } from "../support/s3";
import { requireService } from "../support/services";
import { runBlobContract } from "./blob.contract";

runBlobContract("local directory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "chatd-blobs-"));
  let base = "";
  const open = (now?: () => number) =>
    new FsBlobStore({ dir, baseUrl: () => base, maxBytes: 64 * 1024 * 1024, ...(now ? { now } : {}) });
  const served = open();
  const metrics = createMetrics();
  const app = createHttpApp({
    log: createLogger("silent"),
    metrics,
    maxBodyBytes: 1024 * 1024,
    version: "test",
    corsOrigins: [],
  })
    .use(blobRoutes(served))
    .listen({ hostname: "127.0.0.1", port: 0, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
  base = `http://127.0.0.1:${app.server?.port}`;
  return {
    open,
    async close() {
      await app.stop(true);
      metrics.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const s3 = await requireService("s3proxy", S3_HOST, S3_PORT);
if (s3.up) {
  runBlobContract("s3", async () => {
    const bucket = uniqueBucket();
    const open = (now?: () => number) =>
      new S3BlobStore({
        endpoint: S3_ENDPOINT,
        bucket,
        region: "us-east-1",
        credentials: S3_CREDENTIALS,
        forcePathStyle: true,
        ...(now ? { now } : {}),
      });
    return { open, close: () => dropBucket(bucket) };
  });
} else {
  s3.describe("BlobStore contract: s3", () => test("runs against a live S3-compatible server", () => {}));
}
