// Hostile bodies: deep nesting, huge values in errors, bodies past every size cap. Each gets a small
// 4xx in the contract's shape, and the server keeps serving everyone else meanwhile.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, newUser, type TestUser, uniqueUser } from "../support/client";
import { type ChildServer, startChildServer } from "../support/process";
import { startTestServer, type TestServer } from "../support/server";

const expectError = (reply: { status: number; body: any }, status: number, code: string) => {
  expect(reply.status).toBe(status);
  expect(reply.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
};

const nested = (depth: number, inner = "") => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;

describe("on a server with a process of its own", () => {
  let child: ChildServer;
  beforeAll(async () => {
    child = await startChildServer({ SHUTDOWN_TIMEOUT_SECONDS: "1" });
  }, 30_000);
  afterAll(() => child.stop(), 30_000);

  // The bound is generous: each of these bodies used to hold the server's event loop for seconds.
  const post = (body: string) =>
    new Client(child.url).request("POST", "/v1/auth/signup", body, {}).catch((error) => ({ status: 0, body: error }));
  const withDeadline = <T>(promise: Promise<T>) =>
    Promise.race([promise, Bun.sleep(10_000).then(() => "no answer within 10 s" as const)]);

  test("a body nested 20,000 levels deep is a small 400, and /healthz answers while such bodies arrive", async () => {
    const deep = `{"x":${nested(20_000)}}`;
    const bombs = Array.from({ length: 4 }, () => post(deep));
    const health = new Client(child.url).get("/healthz");
    const [replies, healthz] = await Promise.all([withDeadline(Promise.all(bombs)), withDeadline(health)]);
    expect(healthz).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(Array.isArray(replies)).toBe(true);
    for (const reply of replies as { status: number; body: any }[]) {
      expectError(reply, 400, "invalid_json");
      expect(JSON.stringify(reply.body).length).toBeLessThan(300);
    }
  }, 30_000);

  test("a megabyte of nested arrays inside a field is a small 400, without stalling others", async () => {
    // 480,000 items: refused as they arrive (more than 1000), before JSON.parse builds any of them.
    const value = nested(30, Array(480_000).fill(0).join(","));
    const body = `{"username":${value},"email":"a@b.test","password":"long enough"}`;
    const bombs = Array.from({ length: 12 }, () => post(body));
    const health = new Client(child.url).get("/healthz");
    const [replies, healthz] = await Promise.all([withDeadline(Promise.all(bombs)), withDeadline(health)]);
    expect(healthz).toMatchObject({ status: 200 });
    expect(Array.isArray(replies)).toBe(true);
    for (const reply of replies as { status: number; body: any }[]) {
      expectError(reply, 400, "invalid_json");
      expect(JSON.stringify(reply.body).length).toBeLessThan(300);
    }
  }, 30_000);

  test("more than 1000 items (array elements and object members together) is invalid_json", async () => {
    // JSON.parse of a megabyte of small items (95,000 distinct keys, 330,000 empty objects) held the
    // event loop 50-280 ms each, so a few such bodies kept /healthz waiting.
    const members = (n: number) => Array.from({ length: n }, (_, i) => `"k${i}":0`).join(",");
    const zeros = (n: number) => Array(n).fill(0).join(",");
    expectError((await post(`{${members(1000)}}`)) as any, 400, "validation_failed");
    expectError((await post(`{"x":[${zeros(999)}]}`)) as any, 400, "validation_failed");
    for (const over of [`{${members(1001)}}`, `{"x":[${zeros(1000)}]}`, `[${Array(1001).fill("{}").join(",")}]`]) {
      const reply = (await post(over)) as { status: number; body: any };
      expectError(reply, 400, "invalid_json");
      expect(reply.body.error.message).toContain("1000");
    }
    const bombs = [`{${members(95_000)}}`, `[${Array(330_000).fill("{}").join(",")}]`].flatMap((b) => [b, b, b]);
    const health = new Client(child.url).get("/healthz");
    const [replies, healthz] = await Promise.all([withDeadline(Promise.all(bombs.map(post))), withDeadline(health)]);
    expect(healthz).toMatchObject({ status: 200 });
    for (const reply of replies as { status: number; body: any }[]) expectError(reply, 400, "invalid_json");
  }, 30_000);
});

describe("on an in-process server", () => {
  let server: TestServer;
  let api: Client;
  let ana: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ maxBodyBytes: 4096 });
    api = new Client(server.url);
    ana = await newUser(server.url, "ana");
  }, 30_000);
  afterAll(() => server.close());

  test("nesting up to 32 levels parses; one level more is invalid_json", async () => {
    // 32 levels: the object and 31 arrays. Parsed, then refused for the unknown field.
    const atLimit = await api.post("/v1/auth/signup", `{"x":${nested(31)}}`);
    expectError(atLimit, 400, "validation_failed");
    expect(atLimit.body.error.details.map((d: any) => d.field)).toContain("x");
    const over = await api.post("/v1/auth/signup", `{"x":${nested(32)}}`);
    expectError(over, 400, "invalid_json");
    expect(over.body.error.message).toContain("32");
    // Brackets inside strings are text, not nesting.
    const text = await api.post("/v1/auth/login", JSON.stringify({ login: "[".repeat(200), password: "{".repeat(40) }));
    expectError(text, 401, "unauthorized");
  });

  test("a body that is not UTF-8 is invalid_json and changes nothing; a byte order mark is refused as before", async () => {
    // It used to be decoded with U+FFFD in place of the bad bytes, and stored that way.
    const body = Buffer.concat([
      Buffer.from('{"display_name":"a'),
      Buffer.from([0xff, 0xc0, 0x80]),
      Buffer.from('b"}'),
    ]);
    const response = await fetch(`${server.url}/v1/users/me`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${ana.api.token}` },
      body,
    });
    expectError({ status: response.status, body: await response.json() }, 400, "invalid_json");
    expect((await ana.api.get("/v1/users/me")).body.display_name).toBeNull();
    expectError(await ana.api.patch("/v1/users/me", '\ufeff{"display_name":"x"}'), 400, "invalid_json");
  });

  test("error details never echo the offending input in full, and there are at most 10 of them", async () => {
    const fields = { ["k".repeat(3000)]: 1, ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`a${i}`, 1])) };
    const reply = await api.post("/v1/auth/login", fields);
    expectError(reply, 400, "validation_failed");
    expect(reply.body.error.details.length).toBeLessThanOrEqual(10);
    for (const detail of reply.body.error.details) {
      expect(String(detail.field).length).toBeLessThanOrEqual(130);
      expect(String(detail.message).length).toBeLessThanOrEqual(210);
    }
  });

  const oversized = (bytes: number) => JSON.stringify({ ...uniqueUser(), password: "x".repeat(bytes) });

  const chunked = (chunks: number, size: number) =>
    new ReadableStream({
      pull(controller) {
        if (chunks-- <= 0) return controller.close();
        controller.enqueue(new TextEncoder().encode("x".repeat(size)));
      },
    });

  test("a body past MAX_BODY_BYTES + 64 KiB gets the contract's 413, declared or chunked, and is counted", async () => {
    const declared = await api.post("/v1/auth/signup", oversized(4096 + 65_536 + 10_000));
    expectError(declared, 413, "payload_too_large");
    const response = await fetch(`${server.url}/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunked(200, 1024),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe("payload_too_large");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/chatd_http_requests_total\{method="POST",route="\/v1\/auth\/signup",status="413"\} [2-9]/);
  });

  test("a route that takes no body answers an oversized one with the same 413", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "big", type: "public" })).body.id;
    const declared = await ana.api.post(`/v1/rooms/${room}/join`, oversized(200_000));
    expectError(declared, 413, "payload_too_large");
    const response = await fetch(`${server.url}/v1/rooms/${room}/join`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ana.api.token}` },
      body: chunked(100, 1024),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe("payload_too_large");
  });
});
