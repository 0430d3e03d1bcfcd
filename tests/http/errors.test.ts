// Bad input gets the contract's error shape and a 4xx, never a 500; nothing is lost by a bad request.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { Client, newUser, uniqueUser } from "../support/client";
import { startTestServer, TEST_JWT_SECRET, type TestServer } from "../support/server";
import { StoreHooks } from "../support/store-hooks";
import { WsClient } from "../support/ws";

let server: TestServer;
let api: Client;
/** A decorator around the server's real store: a test makes one call fail the way a bug would. */
const hooks = new StoreHooks();

beforeAll(async () => {
  server = await startTestServer({ maxBodyBytes: 4096 }, { wrapStore: hooks.wrap });
  api = new Client(server.url);
});
afterEach(() => hooks.clear());
afterAll(() => server.close());

const expectError = (reply: { status: number; body: any }, status: number, code: string) => {
  expect(reply.status).toBe(status);
  expect(reply.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
};

describe("request bodies", () => {
  test("malformed JSON is 400 invalid_json", async () => {
    expectError(await api.post("/v1/auth/signup", '{"username": "abc",'), 400, "invalid_json");
  });

  test("a body that is not JSON is 415", async () => {
    const reply = await api.request("POST", "/v1/auth/login", "login=a&password=b", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expectError(reply, 415, "unsupported_media_type");
  });

  test("a body over the configured limit is 413, declared or streamed", async () => {
    const big = JSON.stringify({ ...uniqueUser(), password: "x".repeat(10_000) });
    expectError(await api.post("/v1/auth/signup", big), 413, "payload_too_large");
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunked,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe("payload_too_large");
  });

  test("unknown fields and wrong types are 400 validation_failed naming the field", async () => {
    const extra = await api.post("/v1/auth/signup", { ...uniqueUser(), is_admin: true });
    expectError(extra, 400, "validation_failed");
    const wrongType = await api.post("/v1/auth/login", { login: 42, password: "whatever" });
    expectError(wrongType, 400, "validation_failed");
    expect(wrongType.body.error.details[0].field).toBe("login");
    expectError(await api.post("/v1/auth/login", [1, 2]), 400, "validation_failed");
    expectError(await api.post("/v1/auth/login"), 400, "validation_failed");
  });

  test("a refused signup creates nothing: the same name signs up afterwards", async () => {
    const user = uniqueUser();
    await api.post("/v1/auth/signup", { ...user, extra: 1 });
    expect((await api.post("/v1/auth/signup", user)).status).toBe(201);
  });
});

describe("routes and methods", () => {
  test("an unknown route is 404 not_found", async () => {
    expectError(await api.get("/v1/nothing-here"), 404, "not_found");
    expectError(await api.get("/definitely/not/here"), 404, "not_found");
  });

  test("every response carries a request id, echoing a valid X-Request-Id", async () => {
    const echoed = await api.request("GET", "/healthz", undefined, { "x-request-id": "req-123" });
    expect(echoed.headers.get("x-request-id")).toBe("req-123");
    const made = await api.get("/v1/nothing-here");
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("access tokens", () => {
  const key = new TextEncoder().encode(TEST_JWT_SECRET);
  const userId = crypto.randomUUID();

  test("a missing or malformed bearer token is 401", async () => {
    expectError(await api.get("/v1/users/me"), 401, "unauthorized");
    expectError(await api.as("garbage").get("/v1/users/me"), 401, "unauthorized");
    const basic = await api.request("GET", "/v1/users/me", undefined, { authorization: "Basic dXNlcjpwYXNz" });
    expectError(basic, 401, "unauthorized");
  });

  test("an expired token is 401 and says it expired", async () => {
    const expired = await new SignJWT({ sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .setJti(crypto.randomUUID())
      .sign(key);
    const reply = await api.as(expired).get("/v1/users/me");
    expectError(reply, 401, "unauthorized");
    expect(reply.body.error.message).toContain("expired");
  });

  test("tokens with another algorithm, no signature or another key are 401", async () => {
    const claims = () => new SignJWT({}).setSubject(userId).setIssuedAt().setExpirationTime("5m").setJti("j");
    const hs512 = await claims().setProtectedHeader({ alg: "HS512" }).sign(key);
    const unsigned = new UnsecuredJWT({}).setSubject(userId).setIssuedAt().setExpirationTime("5m").setJti("j").encode();
    const otherKey = await claims()
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("another-secret-of-at-least-32-characters"));
    for (const token of [hs512, unsigned, otherKey]) {
      const reply = await api.as(token).get("/v1/users/me");
      expectError(reply, 401, "unauthorized");
      expect(reply.body.error.message).toBe("invalid access token");
    }
  });

  test("a token without jti is refused", async () => {
    const noJti = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(key);
    expectError(await api.as(noJti).get("/v1/users/me"), 401, "unauthorized");
  });
});

describe("unexpected failures", () => {
  /** A plain Error, as a bug or a driver would throw it: a message with a path, and a stack. */
  const bug = () => new Error("boom: cannot read /srv/chatd/src/store/sqlite/index.ts:42 (secret=hunter2)");
  const leaks = (text: string) =>
    ["boom", "hunter2", "/srv/", ".ts:", "    at ", "stack"].filter((part) => text.includes(part));

  test("a 500 never carries a stack trace: the body is exactly the internal error", async () => {
    const user = await newUser(server.url, "unlucky");
    const room = (await user.api.post("/v1/rooms", { name: "doomed", type: "public" })).body.id;
    hooks.set("getRoom", async () => {
      throw bug();
    });
    const response = await fetch(`${server.url}/v1/rooms/${room}`, {
      headers: { authorization: `Bearer ${user.api.token}` },
    });
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(JSON.parse(text)).toEqual({ error: { code: "internal", message: "internal server error" } });
    expect(leaks(text)).toEqual([]);
    hooks.clear();
    expect((await user.api.get(`/v1/rooms/${room}`)).status).toBe(200); // the server goes on
  });

  test("over WebSocket, an unexpected failure is an `internal` error frame without details, and the connection stays", async () => {
    const user = await newUser(server.url, "unlucky");
    const room = (await user.api.post("/v1/rooms", { name: "doomed", type: "public" })).body.id;
    const client = await WsClient.connect(server.url, user.api.token!);
    try {
      hooks.set("getRoom", async () => {
        throw bug();
      });
      const reply = await client.request({ type: "subscribe", room_id: room });
      expect(reply).toEqual({ type: "error", ref: expect.any(String), code: "internal", message: "internal error" });
      expect(leaks(JSON.stringify(reply))).toEqual([]);
      hooks.clear();
      expect(await client.request({ type: "subscribe", room_id: room })).toMatchObject({ type: "subscribed" });
    } finally {
      await client.close();
    }
  });
});
