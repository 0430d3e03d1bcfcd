// Operations endpoints: liveness, readiness per backend, Prometheus metrics.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, uniqueUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let api: Client;

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url);
});
afterAll(() => server.close());

describe("health", () => {
  test("/healthz answers 200", async () => {
    expect(await api.get("/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  test("/readyz is 200 with every backend ok", async () => {
    const reply = await api.get("/readyz");
    expect(reply.status).toBe(200);
    expect(reply.body.checks).toEqual({
      storage: "ok",
      bus: "ok",
      limiter: "ok",
      presence: "ok",
      mail: "ok",
      blobs: "ok",
      // Search is checked where there is one (none with Cassandra storage and no OpenSearch).
      ...(server.backends.search ? { search: "ok" } : {}),
    });
  });

  test("/readyz is 503 naming the backend that does not answer", async () => {
    // An SMTP server that is not there: a port we bind and immediately release.
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const broken = await startTestServer({ smtpUrl: `smtp://127.0.0.1:${port}` });
    try {
      const reply = await new Client(broken.url).get("/readyz");
      expect(reply.status).toBe(503);
      expect(reply.body.error.code).toBe("unavailable");
      expect(reply.body.error.message).toContain("mail");
      expect(reply.body.checks.storage).toBe("ok");
      expect(reply.body.checks.mail).not.toBe("ok");
    } finally {
      await broken.close();
    }
  });
});

describe("metrics", () => {
  test("counts requests and their duration by route pattern and status", async () => {
    const user = await api.post("/v1/auth/signup", uniqueUser());
    await api.get(`/v1/users/${user.body.user.id}`); // 401: no token
    const reply = await fetch(`${server.url}/metrics`);
    expect(reply.headers.get("content-type")).toContain("text/plain");
    const text = await reply.text();
    expect(text).toMatch(/chatd_http_requests_total\{method="POST",route="\/v1\/auth\/signup",status="201"\} [1-9]/);
    expect(text).toMatch(/chatd_http_requests_total\{method="GET",route="\/v1\/users\/:id",status="401"\} [1-9]/);
    expect(text).toMatch(
      /chatd_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/v1\/auth\/signup",status="201"\}/,
    );
  });
});
