// The WebSocket gateway with real clients against the real server: upgrade, subscriptions, recovery,
// sending, every event type, membership changes and protocol errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { messagesIn, WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({
    messagesPerMinute: 10_000,
    maxMessageLength: 50,
    wsRecoveryLimit: 5,
    wsMaxPayloadBytes: 2048,
  });
  [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
});
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const connect = async (user: TestUser, via: "query" | "header" = "query") => {
  const client = await WsClient.connect(server.url, user.api.token!, via);
  sockets.push(client);
  return client;
};

async function sharedRoom(type: "public" | "private" = "public") {
  const room = (await ana.api.post("/v1/rooms", { name: "ws", type })).body.id as string;
  if (type === "public") await bob.api.post(`/v1/rooms/${room}/join`);
  else await ana.api.post(`/v1/rooms/${room}/members`, { user_id: bob.id });
  return room;
}

const post = async (who: TestUser, roomId: string, content: string) => {
  const reply = await who.api.post(`/v1/rooms/${roomId}/messages`, { content });
  expect(reply.status).toBe(201);
  return reply.body as { id: string; content: string };
};

describe("upgrade", () => {
  test("a missing or invalid token is refused with 401 before the upgrade", async () => {
    const ws = server.url.replace("http", "ws");
    for (const url of [`${ws}/v1/ws`, `${ws}/v1/ws?token=garbage`]) {
      const response = await fetch(url.replace("ws", "http"), {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
        },
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as any).error.code).toBe("unauthorized");
    }
    const refused = new WebSocket(`${ws}/v1/ws?token=garbage`);
    const closed = await new Promise<number>((resolve) => refused.addEventListener("close", (e) => resolve(e.code)));
    expect(closed).not.toBe(1000);
  });

  test("hello carries a session id, the user and the heartbeat interval; the header works too", async () => {
    for (const via of ["query", "header"] as const) {
      const client = await connect(ana, via);
      expect(client.frames[0]).toEqual({
        type: "hello",
        session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        user: { id: ana.id, username: ana.username },
        heartbeat_interval_ms: 25_000,
      });
    }
  });
});

describe("subscriptions", () => {
  test("members subscribe; others get not_member; after unsubscribe nothing more arrives", async () => {
    const room = await sharedRoom("private");
    const outsider = await newUser(server.url, "out");
    const stranger = await connect(outsider);
    const refused = await stranger.request({ type: "subscribe", room_id: room });
    expect(refused).toMatchObject({ type: "error", code: "not_member" });

    const client = await connect(bob);
    const reply = await client.subscribe(room);
    expect(reply).toMatchObject({ type: "subscribed", room_id: room, missed: [], recovered: false });
    await post(ana, room, "one");
    await client.next((f) => f.type === "message.created");
    expect(await client.request({ type: "unsubscribe", room_id: room })).toMatchObject({
      type: "unsubscribed",
      room_id: room,
    });
    await post(ana, room, "two");
    await client.request({ type: "ping" });
    expect(messagesIn(client, room).map((m) => m.content)).toEqual(["one"]);
  });

  test("a non-member of a public room gets not_member too", async () => {
    const room = await sharedRoom();
    const client = await connect(await newUser(server.url, "lurker"));
    expect(await client.request({ type: "subscribe", room_id: room })).toMatchObject({
      type: "error",
      code: "not_member",
    });
  });
});

describe("recovery", () => {
  test("a client that reconnects with `since` gets every message exactly once, in order, while sends go on", async () => {
    const room = await sharedRoom();
    const first = await connect(bob);
    await first.subscribe(room);
    await post(ana, room, "before-1");
    await post(ana, room, "before-2");
    const seen = await first.collect((f) => f.type === "message.created", 2);
    await first.close();

    await post(ana, room, "away-1");
    await post(ana, room, "away-2");
    // Keep sending while the client reconnects and recovers.
    const sending = (async () => {
      for (let i = 0; i < 15; i++) await post(ana, room, `during-${i}`);
    })();
    const second = await connect(bob);
    const reply = await second.subscribe(room, seen.at(-1)!.message.id);
    await sending;
    await post(ana, room, "after");
    await second.next((f) => f.type === "message.created" && f.message.content === "after");

    const received = [
      ...seen.map((f) => f.message.id),
      ...reply.missed.map((m: any) => m.id),
      ...messagesIn(second, room).map((m) => m.id),
    ];
    const history = (await ana.api.get(`/v1/rooms/${room}/messages?limit=200`)).body.messages
      .map((m: any) => m.id)
      .reverse();
    if (reply.recovered) {
      expect(received).toEqual(history);
    } else {
      // More than WS_RECOVERY_LIMIT were missed: the client fills the gap from REST after the last missed one.
      const gap = (
        await bob.api.get(`/v1/rooms/${room}/messages?limit=200&after=${reply.missed.at(-1).id}`)
      ).body.messages.map((m: any) => m.id);
      const merged = [
        ...new Set([
          ...seen.map((f) => f.message.id),
          ...reply.missed.map((m: any) => m.id),
          ...gap,
          ...messagesIn(second, room).map((m) => m.id),
        ]),
      ];
      expect(merged).toEqual(history);
      expect(messagesIn(second, room).map((m) => m.id)).toEqual(
        history.slice(history.length - messagesIn(second, room).length),
      );
    }
  });

  test("recovered is true when everything missed fits, false past WS_RECOVERY_LIMIT", async () => {
    const room = await sharedRoom();
    const since = (await post(ana, room, "mark")).id;
    for (let i = 0; i < 3; i++) await post(ana, room, `m${i}`);
    const client = await connect(bob);
    const small = await client.subscribe(room, since);
    expect(small.missed.map((m: any) => m.content)).toEqual(["m0", "m1", "m2"]);
    expect(small.recovered).toBe(true);
    for (let i = 3; i < 8; i++) await post(ana, room, `m${i}`);
    const other = await connect(bob);
    const big = await other.subscribe(room, since);
    expect(big.missed.map((m: any) => m.content)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(big.recovered).toBe(false);
  });
});

describe("sending", () => {
  test("message.send acks the sender and reaches every subscriber, including the sender's other connections", async () => {
    const room = await sharedRoom();
    const [anaOne, anaTwo, bobOne] = [await connect(ana), await connect(ana), await connect(bob)];
    for (const c of [anaOne, anaTwo, bobOne]) await c.subscribe(room);
    const ack = await anaOne.request({ type: "message.send", room_id: room, content: "  hi all  ", client_id: "w1" });
    expect(ack).toMatchObject({
      type: "ack",
      message: { content: "hi all", room_id: room, author_id: ana.id, client_id: "w1" },
    });
    for (const c of [anaOne, anaTwo, bobOne]) {
      const created = await c.next((f) => f.type === "message.created");
      expect(created).toEqual({ type: "message.created", room_id: room, message: ack.message });
    }
    const again = await anaOne.request({ type: "message.send", room_id: room, content: "hi all", client_id: "w1" });
    expect(again.message.id).toBe(ack.message.id);
    expect((await ana.api.get(`/v1/rooms/${room}/messages`)).body.messages).toHaveLength(1);
  });

  test("sends from one connection are stored and delivered in the order they were sent", async () => {
    const room = await sharedRoom();
    const [sender, watcher] = [await connect(ana), await connect(bob)];
    await watcher.subscribe(room);
    for (let i = 0; i < 25; i++) sender.send({ type: "message.send", room_id: room, content: `n${i}`, ref: `o${i}` });
    const acks = await sender.collect((f) => f.type === "ack", 25);
    const expected = Array.from({ length: 25 }, (_, i) => `n${i}`);
    expect(acks.map((f) => f.message.content)).toEqual(expected);
    const delivered = await watcher.collect((f) => f.type === "message.created", 25);
    expect(delivered.map((f) => f.message.content)).toEqual(expected);
    const history = (await bob.api.get(`/v1/rooms/${room}/messages?limit=50`)).body.messages;
    expect(history.map((m: any) => m.content).reverse()).toEqual(expected);
  });

  test("the same validation as REST: content_too_long, validation_failed, not_member", async () => {
    const room = await sharedRoom();
    const client = await connect(ana);
    expect(await client.request({ type: "message.send", room_id: room, content: "x".repeat(51) })).toMatchObject({
      type: "error",
      code: "content_too_long",
    });
    expect(await client.request({ type: "message.send", room_id: room, content: "   " })).toMatchObject({
      type: "error",
      code: "validation_failed",
    });
    const other = (await bob.api.post("/v1/rooms", { name: "bob's", type: "private" })).body.id;
    expect(await client.request({ type: "message.send", room_id: other, content: "hi" })).toMatchObject({
      type: "error",
      code: "not_member",
    });
  });

  test("the per-user rate limit is shared by REST and WebSocket", async () => {
    const limited = await startTestServer({ messagesPerMinute: 3 });
    try {
      const carl = await newUser(limited.url, "carl");
      const room = (await carl.api.post("/v1/rooms", { name: "fast", type: "public" })).body.id;
      const client = await WsClient.connect(limited.url, carl.api.token!);
      sockets.push(client);
      await carl.api.post(`/v1/rooms/${room}/messages`, { content: "rest 1" });
      await carl.api.post(`/v1/rooms/${room}/messages`, { content: "rest 2" });
      expect((await client.request({ type: "message.send", room_id: room, content: "ws 1" })).type).toBe("ack");
      const refused = await client.request({ type: "message.send", room_id: room, content: "ws 2" });
      expect(refused.retry_after_ms).toBeGreaterThan(0);
      expect(refused).toMatchObject({ type: "error", code: "rate_limited" });
      expect((await carl.api.post(`/v1/rooms/${room}/messages`, { content: "rest 3" })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  test("messages from REST and WebSocket reach subscribers in creation order", async () => {
    const room = await sharedRoom();
    const watcher = await connect(bob);
    await watcher.subscribe(room);
    const sender = await connect(ana);
    const sends = [];
    for (let i = 0; i < 30; i++) {
      sends.push(
        i % 2
          ? post(ana, room, `rest ${i}`)
          : sender.request({ type: "message.send", room_id: room, content: `ws ${i}` }),
      );
    }
    await Promise.all(sends);
    const got = await watcher.collect((f) => f.type === "message.created", 30);
    const history = (await bob.api.get(`/v1/rooms/${room}/messages?limit=100`)).body.messages
      .map((m: any) => m.id)
      .reverse();
    expect(got.map((f) => f.message.id)).toEqual(history);
  });
});

describe("events", () => {
  test("edits, deletes, reactions and read markers reach subscribers", async () => {
    const room = await sharedRoom();
    const watcher = await connect(bob);
    await watcher.subscribe(room);
    const message = await post(ana, room, "hello");
    await ana.api.patch(`/v1/rooms/${room}/messages/${message.id}`, { content: "hello!" });
    await ana.api.request("PUT", `/v1/rooms/${room}/messages/${message.id}/reactions/:wave:`);
    await ana.api.delete(`/v1/rooms/${room}/messages/${message.id}/reactions/:wave:`);
    await ana.api.post(`/v1/rooms/${room}/read`, { message_id: message.id });
    await ana.api.delete(`/v1/rooms/${room}/messages/${message.id}`);
    const deleted = await watcher.next((f) => f.type === "message.deleted");
    expect(deleted).toEqual({ type: "message.deleted", room_id: room, message_id: message.id });
    const types = watcher.frames
      .filter((f) => f.room_id === room && f.type !== "subscribed" && f.type !== "presence")
      .map((f) => f.type);
    expect(types).toEqual([
      "message.created",
      "message.updated",
      "reaction.added",
      "reaction.removed",
      "read",
      "message.deleted",
    ]);
    expect(watcher.frames.find((f) => f.type === "message.updated")?.message).toMatchObject({
      content: "hello!",
      edited_at: expect.any(String),
    });
    expect(watcher.frames.find((f) => f.type === "reaction.added")).toEqual({
      type: "reaction.added",
      room_id: room,
      message_id: message.id,
      emoji: ":wave:",
      user_id: ana.id,
    });
    expect(watcher.frames.find((f) => f.type === "read")).toEqual({
      type: "read",
      room_id: room,
      user_id: ana.id,
      message_id: message.id,
    });
  });

  test("read over WebSocket moves the marker and tells the room", async () => {
    const room = await sharedRoom();
    const message = await post(ana, room, "read me");
    const client = await connect(bob);
    await client.subscribe(room);
    client.send({ type: "read", room_id: room, message_id: message.id });
    expect(await client.next((f) => f.type === "read")).toEqual({
      type: "read",
      room_id: room,
      user_id: bob.id,
      message_id: message.id,
    });
    expect((await bob.api.get("/v1/unread")).body.rooms.find((r: any) => r.room_id === room).unread).toBe(0);
  });

  test("typing reaches others, not the typist, and is throttled", async () => {
    const room = await sharedRoom();
    const [typist, typistOther, watcher] = [await connect(ana), await connect(ana), await connect(bob)];
    for (const c of [typist, typistOther, watcher]) await c.subscribe(room);
    for (let i = 0; i < 5; i++) typist.send({ type: "typing", room_id: room });
    const typing = await watcher.next((f) => f.type === "typing");
    expect(typing).toEqual({ type: "typing", room_id: room, user_id: ana.id, username: ana.username });
    await watcher.request({ type: "ping" });
    await Bun.sleep(50);
    expect(watcher.frames.filter((f) => f.type === "typing")).toHaveLength(1);
    expect([...typist.frames, ...typistOther.frames].filter((f) => f.type === "typing")).toHaveLength(0);
  });

  test("presence: joined on a user's first connection, left on their last; the presence route lists who is online", async () => {
    const room = await sharedRoom();
    const watcher = await connect(bob);
    await watcher.subscribe(room);
    const [one, two] = [await connect(ana), await connect(ana)];
    await one.subscribe(room);
    await two.subscribe(room);
    await watcher.next((f) => f.type === "presence" && f.user_id === ana.id);
    const online = await bob.api.get(`/v1/rooms/${room}/presence`);
    expect(online.body.online.map((u: any) => u.user_id).sort()).toEqual([ana.id, bob.id].sort());
    await one.close();
    await watcher.request({ type: "ping" });
    await two.request({ type: "unsubscribe", room_id: room });
    await watcher.next((f) => f.type === "presence" && f.status === "left");
    const anaPresence = watcher.frames.filter((f) => f.type === "presence" && f.user_id === ana.id);
    expect(anaPresence.map((f) => f.status)).toEqual(["joined", "left"]);
    expect(anaPresence[0]).toEqual({
      type: "presence",
      room_id: room,
      user_id: ana.id,
      username: ana.username,
      status: "joined",
    });
    expect((await bob.api.get(`/v1/rooms/${room}/presence`)).body.online.map((u: any) => u.user_id)).toEqual([bob.id]);
  });
});

describe("membership changes", () => {
  for (const [name, act] of [
    ["kicked", (room: string, user: TestUser) => ana.api.delete(`/v1/rooms/${room}/members/${user.id}`)],
    ["banned", (room: string, user: TestUser) => ana.api.post(`/v1/rooms/${room}/bans`, { user_id: user.id })],
    ["left", (room: string, user: TestUser) => user.api.delete(`/v1/rooms/${room}/members/me`)],
  ] as const) {
    test(`a ${name} user's sockets stop receiving the room's events at once`, async () => {
      const room = await sharedRoom();
      const victim = await newUser(server.url, name);
      await victim.api.post(`/v1/rooms/${room}/join`);
      const [one, two] = [await connect(victim), await connect(victim)];
      await one.subscribe(room);
      await two.subscribe(room);
      await post(ana, room, "before");
      await act(room, victim);
      await post(ana, room, "after");
      for (const socket of [one, two]) {
        expect(await socket.next((f) => f.type === "unsubscribed")).toMatchObject({ room_id: room, reason: name });
        await socket.request({ type: "ping" });
        expect(messagesIn(socket, room).map((m) => m.content)).toEqual(["before"]);
      }
      expect(await one.request({ type: "subscribe", room_id: room })).toMatchObject({
        type: "error",
        code: "not_member",
      });
    });
  }

  test("deleting the room unsubscribes everyone", async () => {
    const room = await sharedRoom();
    const client = await connect(bob);
    await client.subscribe(room);
    await ana.api.delete(`/v1/rooms/${room}`);
    expect(await client.next((f) => f.type === "unsubscribed")).toMatchObject({
      room_id: room,
      reason: "room_deleted",
    });
  });
});

describe("protocol errors", () => {
  test("bad frames get an error with the right code and ref, and the connection stays open", async () => {
    const client = await connect(ana);
    client.send("not json at all");
    expect(await client.next((f) => f.type === "error" && f.code === "invalid_frame")).toMatchObject({
      message: expect.any(String),
    });
    expect(await client.request({ type: "teleport" })).toMatchObject({ type: "error", code: "unknown_type" });
    expect(await client.request({ type: "subscribe" })).toMatchObject({ type: "error", code: "validation_failed" });
    expect(await client.request({ type: "subscribe", room_id: 42 })).toMatchObject({
      type: "error",
      code: "validation_failed",
      message: expect.stringContaining("room_id"),
    });
    expect(await client.request({ type: "subscribe", room_id: crypto.randomUUID(), extra: 1 })).toMatchObject({
      type: "error",
      code: "validation_failed",
    });
    const oversized = await client.request({
      type: "message.send",
      room_id: crypto.randomUUID(),
      content: "x".repeat(3000),
    });
    expect(oversized).toMatchObject({ type: "error", code: "invalid_frame", message: expect.stringContaining("2048") });
    expect(await client.request({ type: "ping" })).toEqual({ type: "pong", ref: expect.any(String) });
  });

  test("repeated abuse closes the connection with 1008", async () => {
    const client = await connect(ana);
    for (let i = 0; i < 40; i++) client.send("garbage");
    expect((await client.closed).code).toBe(1008);
  });

  test("a frame far past the limit closes the connection", async () => {
    const client = await connect(ana);
    client.send(JSON.stringify({ type: "ping", pad: "x".repeat(20_000) }));
    expect((await client.closed).code).toBe(1009);
  });
});

describe("metrics", () => {
  test("connections, frames, errors and fan-out time are exported", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of [
      "chatd_ws_connections ",
      "chatd_ws_connections_opened_total",
      'chatd_ws_frames_in_total{type="message.send"}',
      'chatd_ws_frames_out_total{type="message.created"}',
      'chatd_ws_errors_total{code="not_member"}',
      "chatd_ws_rate_limited_total",
      "chatd_ws_fanout_seconds_bucket",
      'chatd_ws_disconnects_total{reason="abuse"}',
    ]) {
      expect(text).toContain(name);
    }
  });
});
