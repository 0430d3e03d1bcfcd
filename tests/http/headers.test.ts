// Response headers a browser relies on: security headers on every answer (errors too), and CORS for
// the origins in CORS_ORIGINS only.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, newUser, uniqueUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

const APP = "https://app.example.com";
let server: TestServer;
let api: Client;

beforeAll(async () => {
  server = await startTestServer({ maxBodyBytes: 4096, corsOrigins: [APP, "http://localhost:5173"] });
  api = new Client(server.url);
});
afterAll(() => server.close());

const accessControl = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith("access-control-"));

describe("security headers", () => {
  test("every response carries them: success, no content, client errors, unknown routes, oversized bodies", async () => {
    const user = await newUser(server.url, "hdr");
    const room = (await user.api.post("/v1/rooms", { name: "h", type: "public" })).body.id;
    const replies = [
      await api.get("/healthz"),
      await user.api.post("/v1/rooms", { name: "x", type: "public" }),
      await user.api.delete(`/v1/rooms/${room}`),
      await api.get("/v1/users/me"),
      await api.get("/v1/no/such/route"),
      await api.post("/v1/auth/signup", '{"broken'),
      await api.post("/v1/auth/signup", { ...uniqueUser(), password: "x".repeat(10_000) }),
      await api.request("POST", "/v1/auth/login", "a=b", { "content-type": "text/plain" }),
      await api.get("/metrics"),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 201, 204, 401, 404, 400, 413, 415, 200]);
    for (const reply of replies) {
      expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
      expect(reply.headers.get("referrer-policy")).toBe("no-referrer");
      expect(reply.headers.get("x-frame-options")).toBe("DENY");
      expect(reply.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(reply.headers.get("cache-control")).toBe("no-store");
    }
  });

  test("token responses are never stored", async () => {
    const user = uniqueUser("cache");
    await api.post("/v1/auth/signup", user);
    const login = await api.post("/v1/auth/login", { login: user.username, password: user.password });
    expect(login.status).toBe(200);
    expect(login.headers.get("cache-control")).toBe("no-store");
    const refresh = await api.post("/v1/auth/refresh", { refresh_token: login.body.refresh_token });
    expect(refresh.headers.get("cache-control")).toBe("no-store");
  });

  test("/docs has its own CSP allowing chatd's assets only", async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("CORS", () => {
  test("a listed origin gets its origin back and the headers it may read, errors included", async () => {
    for (const path of ["/healthz", "/v1/users/me", "/v1/no/such/route"]) {
      const reply = await api.request("GET", path, undefined, { origin: APP });
      expect(reply.headers.get("access-control-allow-origin")).toBe(APP);
      expect(reply.headers.get("access-control-expose-headers")).toBe("Retry-After, X-Request-Id, Idempotent-Replayed");
      expect(reply.headers.get("vary")).toBe("Origin");
      expect(reply.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  test("a listed origin's preflight is answered 204 with methods, headers and max age", async () => {
    const response = await fetch(`${server.url}/v1/rooms`, {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, PATCH, DELETE");
    expect(response.headers.get("access-control-allow-headers")).toBe("Authorization, Content-Type, X-Request-Id");
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(response.headers.get("vary")).toBe("Origin");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("an origin that is not listed exactly gets no Access-Control-* header at all, preflight or not", async () => {
    for (const origin of ["https://evil.example", "http://app.example.com", "https://app.example.com.evil.example"]) {
      const reply = await api.request("GET", "/healthz", undefined, { origin });
      expect(accessControl(reply.headers)).toEqual([]);
      expect(reply.headers.get("vary")).toBe("Origin");
      const preflight = await fetch(`${server.url}/v1/rooms`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
      expect(accessControl(preflight.headers)).toEqual([]);
    }
  });

  test("without CORS_ORIGINS no response carries CORS headers", async () => {
    const plain = await startTestServer();
    try {
      const reply = await new Client(plain.url).request("GET", "/healthz", undefined, { origin: APP });
      expect(accessControl(reply.headers)).toEqual([]);
      const preflight = await fetch(`${plain.url}/v1/rooms`, {
        method: "OPTIONS",
        headers: { origin: APP, "access-control-request-method": "POST" },
      });
      expect(accessControl(preflight.headers)).toEqual([]);
    } finally {
      await plain.close();
    }
  }, 30_000);

  test("* allows any origin, without credentials", async () => {
    const open = await startTestServer({ corsOrigins: ["*"] });
    try {
      const reply = await new Client(open.url).request("GET", "/healthz", undefined, { origin: "https://any.example" });
      expect(reply.headers.get("access-control-allow-origin")).toBe("*");
      expect(reply.headers.get("access-control-allow-credentials")).toBeNull();
    } finally {
      await open.close();
    }
  }, 30_000);
});
