// The rules every route follows alike, checked on every route the OpenAPI document lists: `__proto__`
// is an unknown field, a lone surrogate is no text in any field, a GET takes no body, unknown query
// parameters are refused, a wrong method is 405 with Allow, and a 401 carries a Bearer challenge.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, newUser, type TestUser } from "../support/client";
import { rawRequest } from "../support/raw-http";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let operations: { method: string; path: string; body: boolean; secured: boolean }[];
let templates: Map<string, Set<string>>;

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

beforeAll(async () => {
  server = await startTestServer();
  ana = await newUser(server.url, "ana");
  const spec = (await new Client(server.url).get("/docs/json")).body;
  operations = [];
  templates = new Map();
  for (const [path, methods] of Object.entries<any>(spec.paths)) {
    templates.set(path, new Set(Object.keys(methods).map((m) => m.toUpperCase())));
    for (const [method, op] of Object.entries<any>(methods)) {
      // Secured: some security requirement and none of them empty (`{}` means it may be called without).
      const security = (op.security ?? []) as Record<string, unknown>[];
      const secured = security.length > 0 && security.every((s) => Object.keys(s).length > 0);
      operations.push({ method: method.toUpperCase(), path, body: !!op.requestBody, secured });
    }
  }
  expect(operations.length).toBeGreaterThan(30);
}, 30_000);
afterAll(() => server.close());

/** A concrete path for an OpenAPI path: every parameter a fresh UUID, the emoji a real one. */
const concrete = (path: string) =>
  path.replace(/\{emoji\}/, encodeURIComponent("👍")).replace(/\{[^}]+\}/g, () => crypto.randomUUID());

const templateRegex = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`);

/** The methods the document lists for every template a concrete path matches. */
const documentedMethods = (path: string) => {
  const methods = new Set<string>();
  for (const [template, ms] of templates) if (templateRegex(template).test(path)) for (const m of ms) methods.add(m);
  return methods;
};

const expectError = (reply: { status: number; body: any }, status: number, code: string) => {
  expect(reply.status).toBe(status);
  expect(reply.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
};

describe("__proto__", () => {
  test("is refused like any unknown field, on every route that takes a body", async () => {
    // The blob upload takes raw bytes, not JSON (tests/http/attachments.test.ts covers it).
    for (const op of operations.filter((o) => o.method !== "GET" && o.path !== "/v1/blobs/{key}")) {
      const reply = await ana.api.request(op.method, concrete(op.path), '{"__proto__":{"name":"x","type":"public"}}');
      expectError(reply, 400, "validation_failed");
      expect({ route: `${op.method} ${op.path}`, field: reply.body.error.details[0].field }).toEqual({
        route: `${op.method} ${op.path}`,
        field: "__proto__",
      });
    }
  });

  test("cannot smuggle inherited values into a room, and a nested one is named by its path", async () => {
    const name = `proto-${crypto.randomUUID().slice(0, 8)}`;
    const created = await ana.api.post("/v1/rooms", `{"name":"${name}","type":"public","__proto__":{"max_members":1}}`);
    expectError(created, 400, "validation_failed");
    const escaped = await ana.api.post("/v1/rooms", `{"\\u005f_proto__":{"name":"${name}","type":"public"}}`);
    expectError(escaped, 400, "validation_failed");
    expect(escaped.body.error.details[0].field).toBe("__proto__");
    const rooms = (await ana.api.get(`/v1/rooms?q=${name}`)).body.rooms;
    expect(rooms).toEqual([]);

    const room = (await ana.api.post("/v1/rooms", { name, type: "public" })).body;
    const patched = await ana.api.patch(`/v1/rooms/${room.id}`, '{"__proto__":{"name":"renamed"}}');
    expectError(patched, 400, "validation_failed");
    expect((await ana.api.get(`/v1/rooms/${room.id}`)).body.name).toBe(name);

    const nested = await ana.api.post(
      `/v1/rooms/${room.id}/messages`,
      '{"content":"hi","attachment_ids":[{"__proto__":{}}]}',
    );
    expectError(nested, 400, "validation_failed");
    expect(nested.body.error.details[0].field).toBe("attachment_ids.0.__proto__");
  });
});

describe("query parameters", () => {
  test("an unknown one is refused on every route, naming it; also where the route takes no query", async () => {
    for (const op of operations) {
      const reply = await ana.api.request(op.method, `${concrete(op.path)}?bogus_param=1`);
      expectError(reply, 400, "validation_failed");
      expect({ route: `${op.method} ${op.path}`, field: reply.body.error.details[0].field }).toEqual({
        route: `${op.method} ${op.path}`,
        field: "bogus_param",
      });
    }
    const proto = await ana.api.get("/v1/rooms?__proto__=1");
    expectError(proto, 400, "validation_failed");
    expect(proto.body.error.details[0].field).toBe("__proto__");
  });

  test("a bad value of a known one is refused naming it", async () => {
    for (const query of ["limit=0", "limit=201", "limit=abc", "cursor=x", "type=nope"]) {
      const reply = await ana.api.get(`/v1/rooms?${query}`);
      expectError(reply, 400, "validation_failed");
      expect({ query, field: reply.body.error.details[0].field }).toEqual({ query, field: query.split("=")[0] });
    }
  });

  test("the ones a route names still work, and the WebSocket route takes its token", async () => {
    expect((await ana.api.get("/v1/rooms?limit=1")).status).toBe(200);
    const socket = await WsClient.connect(server.url, ana.api.token!);
    await socket.close();
  });
});

describe("methods", () => {
  test("a wrong method on a known path is 405 with Allow listing the path's methods", async () => {
    for (const template of templates.keys()) {
      const path = concrete(template);
      const allowed = documentedMethods(path);
      const expected = [...allowed, ...(allowed.has("GET") ? ["HEAD"] : [])].sort().join(", ");
      for (const method of METHODS.filter((m) => !allowed.has(m))) {
        const reply = await ana.api.request(method, path);
        expectError(reply, 405, "method_not_allowed");
        expect({ route: `${method} ${template}`, allow: reply.headers.get("allow") }).toEqual({
          route: `${method} ${template}`,
          allow: expected,
        });
      }
    }
  });

  test("an unknown path stays 404 whatever the method", async () => {
    for (const method of METHODS) expectError(await ana.api.request(method, "/v1/no-such-thing"), 404, "not_found");
    expectError(await ana.api.request("DELETE", "/v1/rooms/x/y/z"), 404, "not_found");
  });
});

describe("401", () => {
  test("every authenticated route answers a missing token with WWW-Authenticate: Bearer", async () => {
    const anonymous = new Client(server.url);
    for (const op of operations.filter((o) => o.secured && !o.body)) {
      const reply = await anonymous.request(op.method, concrete(op.path));
      expectError(reply, 401, "unauthorized");
      expect({ route: `${op.method} ${op.path}`, challenge: reply.headers.get("www-authenticate") }).toEqual({
        route: `${op.method} ${op.path}`,
        challenge: "Bearer",
      });
    }
  });

  test('a bad token says error="invalid_token"; a failed login is a plain Bearer challenge', async () => {
    const bad = await ana.api.as("not-a-token").get("/v1/users/me");
    expectError(bad, 401, "unauthorized");
    expect(bad.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    const login = await new Client(server.url).post("/v1/auth/login", { login: ana.username, password: "wrong!!!" });
    expectError(login, 401, "unauthorized");
    expect(login.headers.get("www-authenticate")).toBe("Bearer");
  });
});

describe("text that is not well-formed Unicode", () => {
  test("a lone surrogate is refused in any field, also where no text rule looks, naming the field", async () => {
    // Storage keeps every lone surrogate as U+FFFD: two different client_ids were one, and the second
    // message was answered as a replay of the first (lost).
    const room = (await ana.api.post("/v1/rooms", { name: "surrogates", type: "public" })).body.id;
    for (const clientId of ["\\ud800", "\\udbff"]) {
      const sent = await ana.api.post(`/v1/rooms/${room}/messages`, `{"content":"hi","client_id":"${clientId}"}`);
      expectError(sent, 400, "validation_failed");
      expect(sent.body.error.details[0]).toEqual({ field: "client_id", message: "must be valid Unicode text" });
    }
    expect((await ana.api.get(`/v1/rooms/${room}/messages`)).body.messages).toEqual([]);
    const logout = await ana.api.post("/v1/auth/logout", '{"refresh_token":"\\udfff"}');
    expectError(logout, 400, "validation_failed");
    const nested = await ana.api.post(`/v1/rooms/${room}/messages`, '{"content":"hi","attachment_ids":["\\ude00"]}');
    expect(nested.body.error.details[0].field).toBe("attachment_ids.0");
    // A pair written as two escapes is one character, and fine.
    expect((await ana.api.post(`/v1/rooms/${room}/messages`, '{"content":"\\ud83d\\ude00"}')).body.content).toBe("😀");
  });
});

describe("integers in a body", () => {
  test("are JSON numbers: a numeric string is refused naming the field, not decoded", async () => {
    // Elysia's t.Integer also takes numeric strings, decoded with Number(): "0x10" made a room of 16.
    for (const value of ['"5"', '" 1"', '"0x10"', '"1e2"']) {
      const reply = await ana.api.post("/v1/rooms", `{"name":"ints","type":"public","max_members":${value}}`);
      expectError(reply, 400, "validation_failed");
      expect({ value, field: reply.body.error.details[0].field }).toEqual({ value, field: "max_members" });
    }
    expect((await ana.api.post("/v1/rooms", { name: "ints", type: "public", max_members: 5 })).body.max_members).toBe(
      5,
    );
  });
});

describe("a GET with a body", () => {
  test("is refused on every GET route, `{}` too: Bun hands the application no GET body to read", async () => {
    for (const op of operations.filter((o) => o.method === "GET")) {
      for (const body of ['{"x":1}', "{}"]) {
        const reply = await rawRequest(
          server.url,
          "GET",
          concrete(op.path),
          { authorization: `Bearer ${ana.api.token}`, "content-type": "application/json" },
          new TextEncoder().encode(body),
          10_000,
        );
        if ("failed" in reply) throw new Error(reply.failed);
        expect({ route: op.path, body, status: reply.status, error: JSON.parse(reply.text).error }).toEqual({
          route: op.path,
          body,
          status: 400,
          error: expect.objectContaining({
            code: "validation_failed",
            details: [{ field: "body", message: "a GET request takes no body" }],
          }),
        });
      }
    }
  });
});
