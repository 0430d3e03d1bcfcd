// GET /v1/users/presence: real statuses for users who share a room or DM with the caller, `unknown`
// for everyone else and for unknown ids alike (no enumeration), and the limits on `ids`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client, newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
let carol: TestUser;
let dave: TestUser;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  [ana, bob, carol, dave] = (await Promise.all(["ana", "bob", "carol", "dave"].map((p) => newUser(server.url, p)))) as [
    TestUser,
    TestUser,
    TestUser,
    TestUser,
  ];
  // ana shares a private room with bob and a DM with carol; dave shares nothing with her.
  const room = (await ana.api.post("/v1/rooms", { name: "pair", type: "private" })).body.id as string;
  await ana.api.post(`/v1/rooms/${room}/members`, { user_id: bob.id });
  await ana.api.post("/v1/dms", { user_id: carol.id });
});
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const presence = (user: TestUser, ids: string[] | string) =>
  user.api.get(`/v1/users/presence?ids=${typeof ids === "string" ? ids : ids.join(",")}`);

test("users who share a room or DM get their real status and last_seen_at; the caller sees itself", async () => {
  const reply = await presence(ana, [bob.id, carol.id, ana.id]);
  expect(reply.status).toBe(200);
  expect(reply.body).toEqual({
    users: [
      { user_id: bob.id, status: "offline", last_seen_at: null },
      { user_id: carol.id, status: "offline", last_seen_at: null },
      { user_id: ana.id, status: "offline", last_seen_at: null },
    ],
  });
  const bobWs = await WsClient.connect(server.url, bob.api.token!);
  sockets.push(bobWs);
  await Bun.sleep(100);
  const online = (await presence(ana, [bob.id])).body.users[0];
  expect(online).toMatchObject({ user_id: bob.id, status: "online" });
  expect(Date.now() - Date.parse(online.last_seen_at)).toBeLessThan(5000);
  await bobWs.close();
  await Bun.sleep(100);
  const offline = (await presence(ana, [bob.id])).body.users[0];
  expect(offline.status).toBe("offline");
  expect(Date.parse(offline.last_seen_at)).toBeGreaterThanOrEqual(Date.parse(online.last_seen_at));
});

test("a user who shares nothing is unknown, exactly like an id nobody has, even while online", async () => {
  const daveWs = await WsClient.connect(server.url, dave.api.token!);
  sockets.push(daveWs);
  await Bun.sleep(100);
  const nobody = crypto.randomUUID();
  const reply = await presence(ana, [dave.id, nobody]);
  expect(reply.body.users).toEqual([
    { user_id: dave.id, status: "unknown", last_seen_at: null },
    { user_id: nobody, status: "unknown", last_seen_at: null },
  ]);
  // dave himself sees his status; for him ana is unknown too.
  expect((await presence(dave, [dave.id, ana.id])).body.users.map((u: { status: string }) => u.status)).toEqual([
    "online",
    "unknown",
  ]);
  await daveWs.close();
});

test("ids repeated are answered once, in the order first asked; upper-case ids are the same users", async () => {
  const reply = await presence(ana, [carol.id, bob.id.toUpperCase(), carol.id]);
  expect(reply.status).toBe(200);
  expect(reply.body.users.map((u: { user_id: string }) => u.user_id)).toEqual([carol.id, bob.id]);
});

test("up to 200 ids are answered; more, none, or a malformed one is 400 validation_failed", async () => {
  const ids = (n: number) => Array.from({ length: n }, () => crypto.randomUUID());
  const many = await presence(ana, ids(200));
  expect(many.status).toBe(200);
  expect(many.body.users).toHaveLength(200);
  for (const bad of [ids(201).join(","), "", "not-a-uuid", `${bob.id},`, `${bob.id},,${carol.id}`, "%00"]) {
    const reply = await presence(ana, bad);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe("validation_failed");
  }
  const missing = await ana.api.get("/v1/users/presence");
  expect(missing.status).toBe(400);
  expect(missing.body.error.code).toBe("validation_failed");
  const extra = await ana.api.get(`/v1/users/presence?ids=${bob.id}&other=1`);
  expect(extra.status).toBe(400);
});

test("the route needs a valid access token", async () => {
  const anonymous = await new Client(server.url).get(`/v1/users/presence?ids=${bob.id}`);
  expect(anonymous.status).toBe(401);
});

test("lookups about others are rate limited per user (60 per minute, REST and WebSocket together): 429 with Retry-After", async () => {
  const eager = await newUser(server.url, "eager");
  const replies = await Promise.all(Array.from({ length: 61 }, () => presence(eager, [bob.id])));
  expect(replies.filter((r) => r.status === 200)).toHaveLength(60);
  const refused = replies.find((r) => r.status === 429);
  expect(refused?.body.error.code).toBe("rate_limited");
  expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
  // Asking only about oneself costs nothing.
  expect((await presence(eager, [eager.id])).status).toBe(200);
  const ws = await WsClient.connect(server.url, eager.api.token!);
  sockets.push(ws);
  expect(await ws.request({ type: "presence.watch", user_ids: [bob.id] })).toMatchObject({
    type: "error",
    code: "rate_limited",
  });
});
