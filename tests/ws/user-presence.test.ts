// User-level presence over the WebSocket: online -> idle -> online -> offline as DM partners and
// watchers see it, the client's presence.set, the watch rules (no enumeration), and coalescing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { type Frame, WsClient } from "../support/ws";

/** Connections idle after this long without activity (PRESENCE_IDLE_SECONDS). */
const IDLE_SECONDS = 2;

let server: TestServer;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ presenceIdleSeconds: IDLE_SECONDS, messagesPerMinute: 10_000 });
});
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const connect = async (user: TestUser) => {
  const client = await WsClient.connect(server.url, user.api.token!);
  sockets.push(client);
  return client;
};

const presenceOf = (client: WsClient, user: TestUser) =>
  client.frames.filter((f) => f.type === "user.presence" && f.user_id === user.id);

const nextPresence = (client: WsClient, user: TestUser, status: string, timeoutMs = 5000) => {
  const seen = presenceOf(client, user).length;
  return client.next(
    (f) =>
      f.type === "user.presence" &&
      f.user_id === user.id &&
      f.status === status &&
      presenceOf(client, user).indexOf(f) >= seen,
    timeoutMs,
  );
};

/** The status the REST endpoint gives `asker` for `user`. */
const statusFor = async (asker: TestUser, user: TestUser) =>
  (await asker.api.get(`/v1/users/presence?ids=${user.id}`)).body.users[0] as {
    user_id: string;
    status: string;
    last_seen_at: string | null;
  };

async function dmPair() {
  const [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
  const dm = (await ana.api.post("/v1/dms", { user_id: bob.id })).body.id as string;
  return { ana, bob, dm };
}

test("a DM partner sees the user online, idle after the idle time, online again on activity, then offline", async () => {
  const { ana, bob, dm } = await dmPair();
  const anaWs = await connect(ana);
  await Bun.sleep(200); // ana's DM partners are looked up as her connection opens
  const connectedAt = Date.now();
  const bobWs = await connect(bob);
  const online = await nextPresence(anaWs, bob, "online");
  expect(online).toEqual({
    type: "user.presence",
    user_id: bob.id,
    status: "online",
    last_seen_at: expect.any(String),
  });
  const idle = await nextPresence(anaWs, bob, "idle", IDLE_SECONDS * 1000 + 3000);
  // Online until he went idle, one idle time after his last activity (the connection's opening).
  expect(Date.now() - connectedAt).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000);
  expect(Date.now() - Date.parse(idle.last_seen_at)).toBeLessThan(1500);
  expect(Date.parse(idle.last_seen_at)).toBeGreaterThan(Date.parse(online.last_seen_at));
  expect((await statusFor(ana, bob)).status).toBe("idle");
  await bobWs.subscribe(dm);
  await nextPresence(anaWs, bob, "online");
  const closedAt = Date.now();
  await bobWs.close();
  const offline = await nextPresence(anaWs, bob, "offline", 3000);
  expect(Math.abs(Date.parse(offline.last_seen_at) - closedAt)).toBeLessThan(1500);
  expect(await statusFor(ana, bob)).toEqual({ user_id: bob.id, status: "offline", last_seen_at: offline.last_seen_at });
});

test("a new connection is told at once of each DM partner who is online or idle, not of offline ones", async () => {
  const { ana, bob } = await dmPair();
  const carol = await newUser(server.url, "carol");
  await ana.api.post("/v1/dms", { user_id: carol.id });
  const bobWs = await connect(bob);
  await bobWs.request({ type: "presence.set", status: "idle" });
  const anaWs = await connect(ana);
  const told = await nextPresence(anaWs, bob, "idle");
  expect(told.last_seen_at).toEqual(expect.any(String));
  // A second connection of ana's on the same process is told too (bob is already watched here).
  const anaPhone = await connect(ana);
  await nextPresence(anaPhone, bob, "idle");
  await Bun.sleep(200);
  expect(presenceOf(anaWs, carol)).toEqual([]);
  expect(presenceOf(anaWs, bob)).toHaveLength(1);
});

test("pings are not activity: a client that only pings goes idle", async () => {
  const { ana, bob } = await dmPair();
  const bobWs = await connect(bob);
  const started = Date.now();
  while (Date.now() - started < IDLE_SECONDS * 1000 + 1500) {
    expect((await bobWs.request({ type: "ping" })).type).toBe("pong");
    if ((await statusFor(ana, bob)).status === "idle") break;
    await Bun.sleep(200);
  }
  expect((await statusFor(ana, bob)).status).toBe("idle");
});

test("presence.set idle holds through activity until presence.set online; any online connection makes the user online", async () => {
  const { ana, bob, dm } = await dmPair();
  const anaWs = await connect(ana);
  await Bun.sleep(200);
  const bobWs = await connect(bob);
  await nextPresence(anaWs, bob, "online");
  expect(await bobWs.request({ type: "presence.set", status: "idle" })).toMatchObject({
    type: "presence.status",
    status: "idle",
  });
  await nextPresence(anaWs, bob, "idle");
  await bobWs.subscribe(dm);
  await bobWs.request({ type: "message.send", room_id: dm, content: "still away" });
  await Bun.sleep(300);
  expect((await statusFor(ana, bob)).status).toBe("idle");
  // A second connection of his is online: so is he.
  const bobPhone = await connect(bob);
  await nextPresence(anaWs, bob, "online");
  await bobPhone.close();
  await nextPresence(anaWs, bob, "idle");
  expect((await bobWs.request({ type: "presence.set", status: "online" })).status).toBe("online");
  await nextPresence(anaWs, bob, "online");
  const refused = await bobWs.request({ type: "presence.set", status: "away" });
  expect(refused).toMatchObject({ type: "error", code: "validation_failed" });
});

test("watching: users who share a room are watched; others and unknown ids are answered alike and never watched", async () => {
  const [ana, carol, dave] = [
    await newUser(server.url, "ana"),
    await newUser(server.url, "carol"),
    await newUser(server.url, "dave"),
  ];
  const room = (await ana.api.post("/v1/rooms", { name: "watchers", type: "public" })).body.id as string;
  await carol.api.post(`/v1/rooms/${room}/join`);
  const anaWs = await connect(ana);
  const nobody = crypto.randomUUID();
  const watched = await anaWs.request({ type: "presence.watch", user_ids: [carol.id, dave.id, nobody, carol.id] });
  expect(watched).toMatchObject({ type: "presence.watched" });
  expect(watched.users).toEqual([
    { user_id: carol.id, status: "offline", last_seen_at: null },
    { user_id: dave.id, status: "unknown", last_seen_at: null },
    { user_id: nobody, status: "unknown", last_seen_at: null },
  ]);
  const daveWs = await connect(dave);
  const carolWs = await connect(carol);
  await nextPresence(anaWs, carol, "online");
  await Bun.sleep(300);
  expect(presenceOf(anaWs, dave)).toEqual([]);
  // A new list replaces the old one: carol is no longer watched.
  expect((await anaWs.request({ type: "presence.watch", user_ids: [] })).users).toEqual([]);
  await carolWs.close();
  await daveWs.close();
  await Bun.sleep(1500);
  expect(presenceOf(anaWs, carol).map((f) => f.status)).not.toContain("offline");

  const tooMany = Array.from({ length: 201 }, () => crypto.randomUUID());
  expect(await anaWs.request({ type: "presence.watch", user_ids: tooMany })).toMatchObject({
    type: "error",
    code: "validation_failed",
  });
  expect(await anaWs.request({ type: "presence.watch", user_ids: ["not-an-id"] })).toMatchObject({
    type: "error",
    code: "validation_failed",
  });
});

test("a user flapping ten times in a second reaches watchers as at most two events, the last one the final state", async () => {
  const { ana, bob } = await dmPair();
  const anaWs = await connect(ana);
  await Bun.sleep(200);
  const bobWs = await connect(bob);
  await nextPresence(anaWs, bob, "online");
  await Bun.sleep(1100); // past the window of that event
  const before = presenceOf(anaWs, bob).length;
  // Ten changes spread over 0.8 s, ending idle: each one alone would be an event.
  for (let i = 0; i < 10; i++) {
    bobWs.send({ type: "presence.set", status: i % 2 === 0 ? "idle" : "online" });
    await Bun.sleep(80);
  }
  bobWs.send({ type: "presence.set", status: "idle" });
  await bobWs.request({ type: "ping" });
  await Bun.sleep(2000);
  const events = presenceOf(anaWs, bob).slice(before);
  expect(events.length).toBeGreaterThanOrEqual(1);
  expect(events.length).toBeLessThanOrEqual(2);
  expect(events.at(-1)?.status).toBe("idle");
});

test("room presence (joined/left) goes on as before beside user presence", async () => {
  const { ana, bob, dm } = await dmPair();
  const anaWs = await connect(ana);
  await anaWs.subscribe(dm);
  const bobWs = await connect(bob);
  await bobWs.subscribe(dm);
  await anaWs.next((f) => f.type === "presence" && f.user_id === bob.id && f.status === "joined");
  const online = (await ana.api.get(`/v1/rooms/${dm}/presence`)).body.online.map((u: Frame) => u.user_id);
  expect(online.sort()).toEqual([ana.id, bob.id].sort());
});
