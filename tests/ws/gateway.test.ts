// The WebSocket gateway with real clients against the real server: upgrade, subscriptions, recovery,
// sending, every event type, membership changes and protocol errors.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { TestClock } from "../support/clock";
import { metricsWhen, moved, readMetrics, sample } from "../support/metrics";
import { OWN_SERVER_TIMEOUT_MS, startTestServer, type TestServer } from "../support/server";
import { gateRecoveryRead, StoreHooks } from "../support/store-hooks";
import { type Frame, messagesIn, missedMessages, WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
const sockets: WsClient[] = [];
/** The server's clock (typing window, abuse rule) and a decorator around its store (recovery reads). */
const clock = new TestClock();
const hooks = new StoreHooks();

beforeAll(async () => {
  server = await startTestServer(
    {
      messagesPerMinute: 10_000,
      maxMessageLength: 50,
      wsRecoveryLimit: 5,
      wsMaxPayloadBytes: 2048,
    },
    { now: clock.now, wrapStore: hooks.wrap },
  );
  [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
});
afterEach(() => hooks.clear());
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
  return reply.body as { id: string; seq: number; content: string };
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
  /** The message.created frames of the room that arrived after `reply` (the subscribed frame). */
  const liveAfter = (client: WsClient, reply: Frame, roomId: string) =>
    client.frames
      .slice(client.frames.indexOf(reply) + 1)
      .filter((f) => f.type === "message.created" && f.room_id === roomId)
      .map((f) => f.message.id as string);

  /** A room where bob saw two messages, disconnected, and missed `away` more: returns his last seen id. */
  async function missedWhileAway(roomId: string, away: number) {
    const first = await connect(bob);
    await first.subscribe(roomId);
    await post(ana, roomId, "seen-1");
    await post(ana, roomId, "seen-2");
    const seen = await first.collect((f) => f.type === "message.created" && f.room_id === roomId, 2);
    await first.close();
    for (let i = 1; i <= away; i++) await post(ana, roomId, `away-${i}`);
    return seen.at(-1)!.message.id as string;
  }

  /** History after a message, oldest first, as REST gives it. */
  const historyAfter = async (roomId: string, after: string): Promise<{ id: string; content: string }[]> =>
    (await bob.api.get(`/v1/rooms/${roomId}/messages?limit=200&after=${after}`)).body.messages;
  const ids = (messages: { id: string }[]) => messages.map((m) => m.id);
  const contents = (messages: { content: string }[]) => messages.map((m) => m.content);

  // The store's history read is held open by a gate while messages are sent, so they reach the hub
  // during the recovery: either after the read took its snapshot, or before the read looks.
  for (const readFirst of [true, false]) {
    test(`messages sent while the recovery read is in flight follow \`missed\` once each, in order (${readFirst ? "read before they are sent" : "read after they are sent"})`, async () => {
      const room = await sharedRoom();
      const since = await missedWhileAway(room, 2);
      const gate = gateRecoveryRead(hooks, room, readFirst);
      const second = await connect(bob);
      const replied = second.request({ type: "subscribe", room_id: room, since });
      await gate.entered;
      await post(ana, room, "during-1");
      await post(ana, room, "during-2");
      gate.open();
      const reply = await replied;
      await post(ana, room, "after");
      await second.next((f) => f.type === "message.created" && f.message.content === "after");

      expect(reply).toMatchObject({ type: "subscribed", room_id: room, recovered: true });
      expect(contents(missedMessages(reply))).toEqual(
        readFirst ? ["away-1", "away-2"] : ["away-1", "away-2", "during-1", "during-2"],
      );
      // Nothing of the room before the reply; after it, exactly the rest of history: no gap, no repeat.
      expect(second.frames.slice(0, second.frames.indexOf(reply)).filter((f) => f.room_id === room)).toEqual([]);
      const history = await historyAfter(room, since);
      expect(contents(history)).toEqual(["away-1", "away-2", "during-1", "during-2", "after"]);
      expect([...ids(missedMessages(reply)), ...liveAfter(second, reply, room)]).toEqual(ids(history));
    });
  }

  test("past WS_RECOVERY_LIMIT, `missed` stops at the limit, live messages follow, and history after the last missed one holds the rest", async () => {
    const room = await sharedRoom();
    const since = await missedWhileAway(room, 7);
    const gate = gateRecoveryRead(hooks, room, true);
    const second = await connect(bob);
    const replied = second.request({ type: "subscribe", room_id: room, since });
    await gate.entered;
    await post(ana, room, "during-1");
    gate.open();
    const reply = await replied;
    await post(ana, room, "after");
    await second.next((f) => f.type === "message.created" && f.message.content === "after");

    expect(reply.recovered).toBe(false);
    expect(contents(missedMessages(reply))).toEqual(["away-1", "away-2", "away-3", "away-4", "away-5"]);
    const rest = await historyAfter(room, missedMessages(reply).at(-1).id);
    expect(contents(rest)).toEqual(["away-6", "away-7", "during-1", "after"]);
    // What was stored before the subscribe and did not fit is the client's to page; what came since, came live.
    expect(liveAfter(second, reply, room)).toEqual(ids(rest.slice(2)));
  });

  test("recovered is true when everything missed fits, also exactly WS_RECOVERY_LIMIT, and false past it", async () => {
    const room = await sharedRoom();
    const since = (await post(ana, room, "mark")).id;
    const recover = async () => (await connect(bob)).subscribe(room, since);
    for (let i = 0; i < 3; i++) await post(ana, room, `m${i}`);
    const small = await recover();
    expect(missedMessages(small).map((m: any) => m.content)).toEqual(["m0", "m1", "m2"]);
    expect(small.recovered).toBe(true);
    for (let i = 3; i < 5; i++) await post(ana, room, `m${i}`);
    const full = await recover();
    expect(missedMessages(full).map((m: any) => m.content)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(full.recovered).toBe(true);
    await post(ana, room, "m5");
    const over = await recover();
    expect(missedMessages(over).map((m: any) => m.content)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(over.recovered).toBe(false);
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
      expect(created).toEqual({ type: "message.created", room_id: room, message: ack.message, seq: ack.message.seq });
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

  test("message.send with reply_to answers a message of the room; one of another room is validation_failed", async () => {
    const [room, other] = [await sharedRoom(), await sharedRoom()];
    const parent = await post(bob, room, "parent");
    const client = await connect(ana);
    const ack = await client.request({ type: "message.send", room_id: room, content: "child", reply_to: parent.id });
    expect(ack).toMatchObject({ type: "ack", message: { content: "child", reply_to: parent.id } });
    expect((await ana.api.get(`/v1/rooms/${room}/messages?limit=1`)).body.messages[0]).toMatchObject({
      id: ack.message.id,
      reply_to: parent.id,
    });
    expect(
      await client.request({ type: "message.send", room_id: other, content: "stray", reply_to: parent.id }),
    ).toMatchObject({ type: "error", code: "validation_failed", message: expect.stringContaining("reply_to") });
  });

  test("a message the room does not have is not_found; a room that does not exist is not_member, as one the user cannot see", async () => {
    const [room, other] = [await sharedRoom(), await sharedRoom()];
    const foreign = await post(ana, other, "elsewhere");
    const client = await connect(bob);
    for (const messageId of [crypto.randomUUID(), foreign.id]) {
      expect(await client.request({ type: "read", room_id: room, message_id: messageId })).toMatchObject({
        type: "error",
        code: "not_found",
      });
    }
    expect(await client.request({ type: "subscribe", room_id: crypto.randomUUID() })).toMatchObject({
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
    expect(deleted).toEqual({ type: "message.deleted", room_id: room, message_id: message.id, seq: message.seq + 4 });
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
      seq: message.seq + 2,
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

  test("typing reaches the others in the room, never the typist's connections, at most once per user and room per 3 s", async () => {
    const room = await sharedRoom();
    const [typist, typistOther, watcher] = [await connect(ana), await connect(ana), await connect(bob)];
    for (const c of [typist, typistOther, watcher]) await c.subscribe(room);
    const typingSeen = (client: WsClient) => client.frames.filter((f) => f.type === "typing" && f.room_id === room);
    /** A message from the typist: it reaches everyone after any typing event the frames before it caused. */
    const marker = async (content: string) => {
      await typist.request({ type: "message.send", room_id: room, content });
      for (const c of [typist, typistOther, watcher])
        await c.next((f) => f.type === "message.created" && f.message.content === content);
    };
    await clock.frozen(async () => {
      for (let i = 0; i < 5; i++) typist.send({ type: "typing", room_id: room });
      expect(await watcher.next((f) => f.type === "typing")).toEqual({
        type: "typing",
        room_id: room,
        user_id: ana.id,
        username: ana.username,
      });
      // The window opened when the server took the first typing, which is before the watcher saw it.
      const firstSeen = Date.now();
      clock.advance(2999);
      typist.send({ type: "typing", room_id: room });
      await marker("m1");
      expect(typingSeen(watcher)).toHaveLength(1);
      clock.advance(1);
      // Redis decides on its own clock, which the test cannot move: there the window passes for real.
      if (server.config.redisUrl) await Bun.sleep(Math.max(0, firstSeen + 3000 - Date.now()));
      typist.send({ type: "typing", room_id: room });
      await watcher.collect((f) => f.type === "typing" && f.room_id === room, 2);
      await marker("m2");
      expect(typingSeen(watcher)).toHaveLength(2);
      expect([...typingSeen(typist), ...typingSeen(typistOther)]).toEqual([]);
    });
  });

  test("presence: joined with a user's first connection, left only when their last one leaves (by close or unsubscribe)", async () => {
    const room = await sharedRoom();
    const watcher = await connect(bob);
    await watcher.subscribe(room);
    const [one, two, three] = [await connect(ana), await connect(ana), await connect(ana)];
    for (const c of [one, two, three]) await c.subscribe(room);
    /**
     * Ana's presence events as the watcher got them, once everything announced so far has reached it:
     * a marker message published after them arrives after them (a ping's pong would not be enough
     * when events travel over NATS).
     */
    let markers = 0;
    const anaPresence = async () => {
      const content = `marker ${++markers}`;
      await bob.api.post(`/v1/rooms/${room}/messages`, { content });
      await watcher.next((f) => f.type === "message.created" && f.message.content === content);
      return watcher.frames.filter((f) => f.type === "presence" && f.user_id === ana.id);
    };
    const online = async () =>
      (await bob.api.get(`/v1/rooms/${room}/presence`)).body.online.map((u: any) => u.user_id).sort();
    // Frames of one connection are handled in order: the ping's pong means the subscribe before it is done.
    await three.request({ type: "ping" });
    expect(await anaPresence()).toEqual([
      { type: "presence", room_id: room, user_id: ana.id, username: ana.username, status: "joined" },
    ]);
    expect(await online()).toEqual([ana.id, bob.id].sort());

    // The first of three leaves by closing: once the server has handled the close, still no `left`.
    const open = sample(await readMetrics(server.url), "chatd_ws_connections");
    await one.close();
    await metricsWhen(server.url, (m) => sample(m, "chatd_ws_connections") === open - 1);
    expect((await anaPresence()).map((f) => f.status)).toEqual(["joined"]);
    // The second leaves by unsubscribing: no `left` either.
    await two.request({ type: "unsubscribe", room_id: room });
    await two.request({ type: "ping" });
    expect((await anaPresence()).map((f) => f.status)).toEqual(["joined"]);
    expect(await online()).toEqual([ana.id, bob.id].sort());

    // The last one leaves: now `left`, once.
    await three.request({ type: "unsubscribe", room_id: room });
    await three.request({ type: "ping" });
    const presence = await anaPresence();
    expect(presence.map((f) => f.status)).toEqual(["joined", "left"]);
    expect(presence[1]).toEqual({
      type: "presence",
      room_id: room,
      user_id: ana.id,
      username: ana.username,
      status: "left",
    });
    expect(await online()).toEqual([bob.id]);
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

  const errorsOf = (client: WsClient) => client.frames.filter((f) => f.type === "error");

  test("20 error frames in a burst leave the connection open; the 21st within 10 s closes it with 1008", async () => {
    await clock.frozen(async () => {
      const client = await connect(ana);
      for (let i = 0; i < 20; i++) client.send("garbage");
      await client.collect((f) => f.type === "error", 20);
      expect(await client.request({ type: "ping" })).toMatchObject({ type: "pong" });
      // 499 ms later the window has not yet made room for one more. A ping after it: a pong would
      // mean the connection stayed open.
      clock.advance(499);
      client.send("garbage");
      client.send({ type: "ping", ref: "after" });
      const pong = client.next((f) => f.ref === "after").then(() => "still open");
      expect(await Promise.race([client.closed, pong])).toMatchObject({ code: 1008 });
      expect(errorsOf(client)).toHaveLength(21);
    });
  });

  test("errors at the rule's pace, 20 per 10 s, never close the connection", async () => {
    await clock.frozen(async () => {
      const client = await connect(ana);
      for (let i = 1; i <= 60; i++) {
        client.send("garbage");
        await client.collect((f) => f.type === "error", i);
        clock.advance(500);
      }
      expect(await client.request({ type: "ping" })).toMatchObject({ type: "pong" });
    });
  });

  test("a frame far past the limit closes the connection", async () => {
    const client = await connect(ana);
    client.send(JSON.stringify({ type: "ping", pad: "x".repeat(20_000) }));
    expect((await client.closed).code).toBe(1009);
  });
});

describe("metrics", () => {
  test(
    "WebSocket metrics move with what happens on the server",
    async () => {
      // A server of its own: figures start at zero and the rate limit is within reach.
      const own = await startTestServer({ messagesPerMinute: 2 });
      try {
        const [carl, dora] = [await newUser(own.url, "carl"), await newUser(own.url, "dora")];
        const room = (await carl.api.post("/v1/rooms", { name: "metered", type: "public" })).body.id as string;
        await dora.api.post(`/v1/rooms/${room}/join`);
        const open = async (user: TestUser) => {
          const client = await WsClient.connect(own.url, user.api.token!);
          sockets.push(client);
          return client;
        };

        const idle = await readMetrics(own.url);
        const [a, b] = [await open(carl), await open(dora)];
        await a.subscribe(room);
        await b.subscribe(room);
        await a.next((f) => f.type === "presence" && f.user_id === dora.id);
        const connected = await readMetrics(own.url);
        expect(moved(idle, connected, ["chatd_ws_connections_opened_total", "chatd_ws_connections"])).toEqual({
          chatd_ws_connections_opened_total: 2,
          chatd_ws_connections: 2,
        });

        for (const content of ["m1", "m2"])
          expect(await a.request({ type: "message.send", room_id: room, content })).toMatchObject({ type: "ack" });
        for (const c of [a, b]) await c.collect((f) => f.type === "message.created", 2);
        const sent = await readMetrics(own.url);
        expect(
          moved(connected, sent, [
            'chatd_ws_frames_in_total{type="message.send"}',
            'chatd_ws_frames_out_total{type="ack"}',
            'chatd_ws_frames_out_total{type="message.created"}',
            "chatd_ws_fanout_seconds_count",
          ]),
        ).toEqual({
          'chatd_ws_frames_in_total{type="message.send"}': 2,
          'chatd_ws_frames_out_total{type="ack"}': 2,
          'chatd_ws_frames_out_total{type="message.created"}': 4, // two messages, two subscribers
          chatd_ws_fanout_seconds_count: 2, // one publish per message
        });

        expect(await a.request({ type: "message.send", room_id: room, content: "m3" })).toMatchObject({
          code: "rate_limited",
        });
        const hidden = (await dora.api.post("/v1/rooms", { name: "hidden", type: "private" })).body.id;
        expect(await a.request({ type: "subscribe", room_id: hidden })).toMatchObject({ code: "not_member" });
        const refused = await readMetrics(own.url);
        expect(
          moved(sent, refused, [
            "chatd_ws_rate_limited_total",
            'chatd_ws_errors_total{code="rate_limited"}',
            'chatd_ws_errors_total{code="not_member"}',
            'chatd_ws_frames_out_total{type="error"}',
          ]),
        ).toEqual({
          chatd_ws_rate_limited_total: 1,
          'chatd_ws_errors_total{code="rate_limited"}': 1,
          'chatd_ws_errors_total{code="not_member"}': 1,
          'chatd_ws_frames_out_total{type="error"}': 2,
        });

        const abuser = await open(carl);
        for (let i = 0; i < 40; i++) abuser.send("garbage");
        expect((await abuser.closed).code).toBe(1008);
        await b.close();
        const keys = [
          "chatd_ws_connections",
          "chatd_ws_connections_opened_total",
          'chatd_ws_disconnects_total{reason="abuse"}',
          'chatd_ws_disconnects_total{reason="client"}',
        ];
        // The server counts a close when it has handled it, which may be just after the client saw it.
        const closed = await metricsWhen(own.url, (m) => moved(refused, m, keys).chatd_ws_connections === -1);
        expect(moved(refused, closed, keys)).toEqual({
          chatd_ws_connections: -1, // the abuser came and went, dora left
          chatd_ws_connections_opened_total: 1,
          'chatd_ws_disconnects_total{reason="abuse"}': 1,
          'chatd_ws_disconnects_total{reason="client"}': 1,
        });
      } finally {
        await own.close();
      }
    },
    OWN_SERVER_TIMEOUT_MS,
  );
});
