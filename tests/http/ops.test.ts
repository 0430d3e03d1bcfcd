// Operations endpoints: liveness, readiness per backend, Prometheus metrics, OpenAPI document.
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
    expect(reply.body.checks).toEqual({ storage: "ok", bus: "ok", limiter: "ok", presence: "ok", mail: "ok" });
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

describe("OpenAPI", () => {
  test("/docs serves a page and /docs/json documents every route with its schemas", async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.status).toBe(200);
    const spec = (await api.get("/docs/json")).body;
    const routes = [
      ["post", "/v1/auth/signup"],
      ["post", "/v1/auth/verify-email"],
      ["post", "/v1/auth/login"],
      ["post", "/v1/auth/refresh"],
      ["post", "/v1/auth/logout"],
      ["post", "/v1/auth/password/forgot"],
      ["post", "/v1/auth/password/reset"],
      ["get", "/v1/users/me"],
      ["patch", "/v1/users/me"],
      ["get", "/v1/users/{id}"],
      ["post", "/v1/rooms"],
      ["get", "/v1/rooms"],
      ["get", "/v1/rooms/{id}"],
      ["patch", "/v1/rooms/{id}"],
      ["delete", "/v1/rooms/{id}"],
      ["post", "/v1/rooms/{id}/join"],
      ["get", "/v1/rooms/{id}/members"],
      ["post", "/v1/rooms/{id}/members"],
      ["delete", "/v1/rooms/{id}/members/me"],
      ["delete", "/v1/rooms/{id}/members/{user_id}"],
      ["put", "/v1/rooms/{id}/members/{user_id}/role"],
      ["post", "/v1/rooms/{id}/bans"],
      ["delete", "/v1/rooms/{id}/bans/{user_id}"],
      ["get", "/v1/rooms/{id}/audit"],
      ["post", "/v1/rooms/{id}/messages"],
      ["get", "/v1/rooms/{id}/messages"],
      ["patch", "/v1/rooms/{id}/messages/{mid}"],
      ["delete", "/v1/rooms/{id}/messages/{mid}"],
      ["put", "/v1/rooms/{id}/messages/{mid}/reactions/{emoji}"],
      ["delete", "/v1/rooms/{id}/messages/{mid}/reactions/{emoji}"],
      ["post", "/v1/rooms/{id}/read"],
      ["post", "/v1/dms"],
      ["get", "/v1/dms"],
      ["get", "/v1/unread"],
      ["get", "/healthz"],
      ["get", "/readyz"],
      ["get", "/metrics"],
    ];
    for (const [method, path] of routes) expect(spec.paths[path as string]?.[method as string]).toBeDefined();
    const signup = spec.paths["/v1/auth/signup"].post;
    expect(JSON.stringify(signup.requestBody)).toContain("password");
    expect(Object.keys(signup.responses)).toEqual(expect.arrayContaining(["201", "400", "409"]));
    const send = spec.paths["/v1/rooms/{id}/messages"].post;
    expect(JSON.stringify(send.requestBody)).toContain("client_id");
    expect(Object.keys(send.responses)).toEqual(expect.arrayContaining(["201", "400", "403", "404", "429"]));
    // Every authenticated route says so.
    for (const [path, methods] of Object.entries<any>(spec.paths)) {
      if (!path.startsWith("/v1/") || path.startsWith("/v1/auth/")) continue;
      for (const operation of Object.values<any>(methods)) expect(operation.security).toEqual([{ bearer: [] }]);
    }
  });
});
