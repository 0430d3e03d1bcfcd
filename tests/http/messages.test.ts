// Messages over real HTTP: sending rules, history cursors, edits, tombstones, reactions, read state,
// the shared rate limit, and the events every change puts on the bus.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { isPositioned, type RoomEvent } from "../../src/domain/events";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { StoreHooks } from "../support/store-hooks";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
/** A decorator around the server's real store, to land a change between two steps of a request. */
const hooks = new StoreHooks();

beforeAll(async () => {
  server = await startTestServer({ maxMessageLength: 40, messagesPerMinute: 1000 }, { wrapStore: hooks.wrap });
  [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
});
afterEach(() => hooks.clear());
afterAll(() => server.close());

async function sharedRoom() {
  const room = (await ana.api.post("/v1/rooms", { name: "talk", type: "public" })).body;
  await bob.api.post(`/v1/rooms/${room.id}/join`);
  return room.id as string;
}

const send = async (who: TestUser, roomId: string, body: Record<string, unknown> | string) => {
  const reply = await who.api.post(`/v1/rooms/${roomId}/messages`, typeof body === "string" ? { content: body } : body);
  return reply;
};

describe("sending", () => {
  test("content is trimmed and the message comes back whole", async () => {
    const room = await sharedRoom();
    const reply = await send(ana, room, { content: "  hello  ", client_id: "c-1" });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-/),
      seq: expect.any(Number),
      room_id: room,
      author_id: ana.id,
      author_username: ana.username,
      content: "hello",
      created_at: expect.stringMatching(/\.\d{3}Z$/),
      edited_at: null,
      deleted: false,
      reply_to: null,
      thread_root: null,
      thread: null,
      mentions: [],
      attachments: [],
      reactions: [],
      client_id: "c-1",
    });
  });

  test("empty and too-long content is refused; the length counts characters, not bytes", async () => {
    const room = await sharedRoom();
    expect((await send(ana, room, "   ")).status).toBe(400);
    const long = await send(ana, room, "x".repeat(41));
    expect(long.status).toBe(400);
    expect(long.body.error.details[0].field).toBe("content");
    expect((await send(ana, room, "🎉".repeat(40))).status).toBe(201);
  });

  test("a retry with the same client_id returns the first message, also when sent at once", async () => {
    const room = await sharedRoom();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => send(ana, room, { content: "once", client_id: "retry-1" })),
    );
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(4);
    const history = await ana.api.get(`/v1/rooms/${room}/messages`);
    expect(history.body.messages.filter((m: any) => m.content === "once")).toHaveLength(1);
    const bobs = await send(bob, room, { content: "mine", client_id: "retry-1" });
    expect(bobs.body.id).not.toBe(replies[0]!.body.id);
  });

  test("reply_to must be a message of the same room", async () => {
    const [room, other] = [await sharedRoom(), await sharedRoom()];
    const parent = (await send(ana, room, "parent")).body;
    expect((await send(bob, room, { content: "child", reply_to: parent.id })).body.reply_to).toBe(parent.id);
    const foreign = await send(ana, other, { content: "child", reply_to: parent.id });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details[0].field).toBe("reply_to");
  });

  test("unknown attachment ids are refused", async () => {
    const room = await sharedRoom();
    expect((await send(ana, room, { content: "file", attachment_ids: [crypto.randomUUID()] })).status).toBe(400);
  });
});

describe("history", () => {
  test("pages with before and after never overlap or skip, also while messages arrive", async () => {
    const room = await sharedRoom();
    const sent: string[] = [];
    for (let i = 0; i < 12; i++) sent.push((await send(i % 2 ? bob : ana, room, `m${i}`)).body.id);

    const newest = await ana.api.get(`/v1/rooms/${room}/messages?limit=5`);
    expect(newest.body.messages.map((m: any) => m.id)).toEqual(sent.slice(7).reverse());
    expect(newest.body.has_more).toBe(true);

    // Walk back while new messages keep arriving at the head.
    const walked: string[] = [...newest.body.messages.map((m: any) => m.id)];
    let before = walked.at(-1);
    let late = 0;
    for (;;) {
      await send(bob, room, "late arrival");
      late++;
      const page = await ana.api.get(`/v1/rooms/${room}/messages?limit=5&before=${before}`);
      walked.push(...page.body.messages.map((m: any) => m.id));
      if (!page.body.has_more) break;
      before = walked.at(-1);
    }
    expect(walked).toEqual([...sent].reverse());

    const forward: string[] = [];
    let after = sent[0];
    for (;;) {
      const page = await ana.api.get(`/v1/rooms/${room}/messages?limit=4&after=${after}`);
      forward.push(...page.body.messages.map((m: any) => m.id));
      if (!page.body.has_more) break;
      after = forward.at(-1);
    }
    expect(forward.slice(0, 11)).toEqual(sent.slice(1));
    expect(forward.length).toBe(11 + late); // plus the late arrivals, in order at the end
    expect(forward.slice(11).length).toBe(late);
  });

  test("has_more is false on the last page, also when that page is exactly full", async () => {
    const room = await sharedRoom();
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) sent.push((await send(ana, room, `m${i}`)).body.id);
    const page = (query: string) => ana.api.get(`/v1/rooms/${room}/messages?${query}`);
    expect((await page("limit=4")).body).toMatchObject({ has_more: false });
    expect((await page("limit=3")).body).toMatchObject({ has_more: true });
    expect((await page(`limit=3&after=${sent[0]}`)).body).toMatchObject({ has_more: false });
    expect((await page(`limit=2&after=${sent[0]}`)).body).toMatchObject({ has_more: true });
    expect((await page(`limit=3&before=${sent[3]}`)).body).toMatchObject({ has_more: false });
  });

  test("limit is 1..200; before and after together are refused", async () => {
    const room = await sharedRoom();
    expect((await ana.api.get(`/v1/rooms/${room}/messages?limit=0`)).status).toBe(400);
    expect((await ana.api.get(`/v1/rooms/${room}/messages?limit=201`)).status).toBe(400);
    expect((await ana.api.get(`/v1/rooms/${room}/messages?limit=abc`)).status).toBe(400);
    const id = (await send(ana, room, "x")).body.id;
    expect((await ana.api.get(`/v1/rooms/${room}/messages?before=${id}&after=${id}`)).status).toBe(400);
  });
});

describe("edits and deletes", () => {
  test("two deletes of one message at once leave one tombstone and publish one event", async () => {
    // The first delete's write waits until the second has read the message too: both pass the
    // "already deleted?" check before either has written.
    const hooks = new StoreHooks();
    const racing = await startTestServer({}, { wrapStore: hooks.wrap });
    try {
      const carl = await newUser(racing.url, "carl");
      const room = (await carl.api.post("/v1/rooms", { name: "race", type: "public" })).body.id as string;
      const message = (await send(carl, room, "twice")).body;
      let reads = 0;
      let bothRead!: () => void;
      const read = new Promise<void>((resolve) => {
        bothRead = resolve;
      });
      hooks.set("getMessage", async (next, roomId, id) => {
        if (id === message.id && ++reads >= 3) bothRead();
        return next(roomId, id);
      });
      hooks.set("tombstoneMessage", async (next, roomId, id) => {
        await read;
        return next(roomId, id);
      });
      const events: string[] = [];
      const sub = racing.backends.bus.subscribe(`chat.room.${room}`, (_s, data) =>
        events.push(JSON.parse(new TextDecoder().decode(data)).type),
      );
      await sub.ready;
      const replies = await Promise.all([0, 1].map(() => carl.api.delete(`/v1/rooms/${room}/messages/${message.id}`)));
      expect(replies.map((r) => r.status)).toEqual([204, 204]);
      hooks.clear();
      // A message sent after both is published after any event they caused.
      await send(carl, room, "marker");
      const deadline = Date.now() + 5000;
      while (!events.includes("message.created") && Date.now() < deadline) await Bun.sleep(5);
      expect(events).toEqual(["message.deleted", "message.created"]);
      sub.unsubscribe();
    } finally {
      await racing.close();
    }
  }, 30_000);

  test("the author edits; edited_at is set", async () => {
    const room = await sharedRoom();
    const message = (await send(ana, room, "draft")).body;
    const edited = await ana.api.patch(`/v1/rooms/${room}/messages/${message.id}`, { content: " final " });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: message.id, content: "final", edited_at: expect.any(String) });
    expect((await bob.api.patch(`/v1/rooms/${room}/messages/${message.id}`, { content: "hijack" })).status).toBe(403);
  });

  test("a delete leaves a tombstone in history; it cannot be edited or reacted to", async () => {
    const room = await sharedRoom();
    const message = (await send(ana, room, "oops")).body;
    await bob.api.request("PUT", `/v1/rooms/${room}/messages/${message.id}/reactions/👍`);
    expect((await ana.api.delete(`/v1/rooms/${room}/messages/${message.id}`)).status).toBe(204);
    expect((await ana.api.delete(`/v1/rooms/${room}/messages/${message.id}`)).status).toBe(204);
    const history = await ana.api.get(`/v1/rooms/${room}/messages`);
    expect(history.body.messages[0]).toMatchObject({ id: message.id, deleted: true, content: "", reactions: [] });
    expect((await ana.api.patch(`/v1/rooms/${room}/messages/${message.id}`, { content: "back" })).status).toBe(409);
    expect((await bob.api.request("PUT", `/v1/rooms/${room}/messages/${message.id}/reactions/👍`)).status).toBe(409);
  });

  test("an edit that races a delete answers 409 and leaves the tombstone", async () => {
    const room = await sharedRoom();
    const message = (await send(ana, room, "racing")).body;
    // The delete lands after the edit has read the message and before it writes.
    hooks.set("updateMessage", async (next, roomId, id, patch) => {
      await server.backends.store.tombstoneMessage(roomId, id);
      return next(roomId, id, patch);
    });
    const edit = await ana.api.patch(`/v1/rooms/${room}/messages/${message.id}`, { content: "too late" });
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe("conflict");
    const history = await ana.api.get(`/v1/rooms/${room}/messages`);
    expect(history.body.messages[0]).toMatchObject({ id: message.id, deleted: true, content: "" });
  });

  test("a moderator deletes another's message and the audit log records it", async () => {
    const room = await sharedRoom();
    const message = (await send(bob, room, "rude")).body;
    expect((await ana.api.delete(`/v1/rooms/${room}/messages/${message.id}`)).status).toBe(204);
    const audit = await ana.api.get(`/v1/rooms/${room}/audit`);
    expect(audit.body.entries[0]).toMatchObject({
      action: "message.deleted",
      actor_id: ana.id,
      target_user_id: bob.id,
      message_id: message.id,
    });
  });
});

describe("reactions", () => {
  test("PUT and DELETE are idempotent; counts and `me` are per viewer", async () => {
    const room = await sharedRoom();
    const message = (await send(ana, room, "react to me")).body;
    const path = `/v1/rooms/${room}/messages/${message.id}/reactions`;
    expect((await ana.api.request("PUT", `${path}/${encodeURIComponent("👍")}`)).status).toBe(204);
    expect((await ana.api.request("PUT", `${path}/${encodeURIComponent("👍")}`)).status).toBe(204);
    await bob.api.request("PUT", `${path}/${encodeURIComponent("👍")}`);
    await bob.api.request("PUT", `${path}/:tada:`);
    const seenByAna = (await ana.api.get(`/v1/rooms/${room}/messages`)).body.messages[0].reactions;
    expect(seenByAna).toEqual([
      { emoji: "👍", count: 2, me: true },
      { emoji: ":tada:", count: 1, me: false },
    ]);
    await ana.api.delete(`${path}/${encodeURIComponent("👍")}`);
    expect((await ana.api.delete(`${path}/${encodeURIComponent("👍")}`)).status).toBe(204);
    const seenByBob = (await bob.api.get(`/v1/rooms/${room}/messages`)).body.messages[0].reactions;
    expect(seenByBob).toEqual([
      { emoji: "👍", count: 1, me: true },
      { emoji: ":tada:", count: 1, me: true },
    ]);
  });
});

describe("read state", () => {
  test("unread counts others' messages after the read marker; the marker never moves back", async () => {
    const room = await sharedRoom();
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await send(ana, room, `n${i}`)).body.id);
    await send(bob, room, "my own");
    const unread = async () => (await bob.api.get("/v1/unread")).body.rooms.find((r: any) => r.room_id === room);
    expect(await unread()).toEqual({ room_id: room, unread: 4, mention: false });
    expect((await bob.api.post(`/v1/rooms/${room}/read`, { message_id: ids[2] })).body).toEqual({
      room_id: room,
      message_id: ids[2],
    });
    expect((await unread()).unread).toBe(1);
    expect((await bob.api.post(`/v1/rooms/${room}/read`, { message_id: ids[0] })).body.message_id).toBe(ids[2]);
    expect((await unread()).unread).toBe(1);
  });

  test("an unread @mention is flagged", async () => {
    const room = await sharedRoom();
    await send(ana, room, `hey @${bob.username}`);
    expect((await bob.api.get("/v1/unread")).body.rooms.find((r: any) => r.room_id === room)).toMatchObject({
      unread: 1,
      mention: true,
    });
  });

  test("messages from before a member joined are not unread for them", async () => {
    const room = await sharedRoom();
    await send(ana, room, "before carl");
    const carl = await newUser(server.url, "carl");
    await carl.api.post(`/v1/rooms/${room}/join`);
    await send(ana, room, "after carl");
    expect((await carl.api.get("/v1/unread")).body.rooms).toEqual([{ room_id: room, unread: 1, mention: false }]);
  });
});

describe("events", () => {
  test("every mutation is published on the room's bus subject, in order", async () => {
    const room = await sharedRoom();
    const events: RoomEvent[] = [];
    const sub = server.backends.bus.subscribe(`chat.room.${room}`, (_s, data) =>
      events.push(JSON.parse(new TextDecoder().decode(data))),
    );
    try {
      const carl = await newUser(server.url, "carl");
      await carl.api.post(`/v1/rooms/${room}/join`);
      const message = (await send(ana, room, "hello")).body;
      await ana.api.patch(`/v1/rooms/${room}/messages/${message.id}`, { content: "hello!" });
      // Repeats change nothing and publish nothing: each of these appears once below.
      const reaction = `/v1/rooms/${room}/messages/${message.id}/reactions/:ok:`;
      for (let i = 0; i < 2; i++) await bob.api.request("PUT", reaction);
      for (let i = 0; i < 2; i++) await bob.api.delete(reaction);
      await bob.api.post(`/v1/rooms/${room}/read`, { message_id: message.id });
      for (let i = 0; i < 2; i++) await ana.api.delete(`/v1/rooms/${room}/messages/${message.id}`);
      await carl.api.delete(`/v1/rooms/${room}/members/me`);
      await ana.api.post(`/v1/rooms/${room}/members`, { user_id: carl.id });
      await ana.api.request("PUT", `/v1/rooms/${room}/members/${carl.id}/role`, { role: "admin" });
      await ana.api.delete(`/v1/rooms/${room}/members/${carl.id}`);
      await ana.api.post(`/v1/rooms/${room}/bans`, { user_id: carl.id });
      await ana.api.patch(`/v1/rooms/${room}`, { name: "renamed" });
      await ana.api.delete(`/v1/rooms/${room}`);
      // The last change's event is the last to come: once it is here, every event before it is too.
      const deadline = Date.now() + 5000;
      while (!events.some((e) => e.type === "room.deleted") && Date.now() < deadline) await Bun.sleep(5);
      expect(events.map((e) => e.type)).toEqual([
        "member.joined",
        "message.created",
        "message.updated",
        "reaction.added",
        "reaction.removed",
        "read",
        "message.deleted",
        "member.left",
        "member.joined",
        "member.role_changed",
        "member.kicked",
        "member.banned",
        "room.updated",
        "room.deleted",
      ]);
      expect(events[1]).toMatchObject({ room_id: room, message: { id: message.id, content: "hello" } });
      // Every durable event takes the room's next position; read receipts are ephemeral and take none.
      const positions = events.filter(isPositioned).map((e) => e.seq);
      expect(positions).toHaveLength(events.length - 1);
      expect(positions).toEqual(positions.map((_, i) => positions[0]! + i));
      expect(events.find((e) => e.type === "read")).not.toHaveProperty("seq");
      expect(events[3]).toEqual({
        type: "reaction.added",
        room_id: room,
        message_id: message.id,
        emoji: ":ok:",
        user_id: bob.id,
        seq: positions[3]!,
      });
      expect(events.find((e) => e.type === "member.role_changed")).toEqual({
        type: "member.role_changed",
        room_id: room,
        user_id: carl.id,
        role: "admin",
        seq: positions[8]!,
      });
    } finally {
      sub.unsubscribe();
    }
  });
});

describe("rate limit", () => {
  test("past the per-user limit sends get 429 with Retry-After; other users are unaffected", async () => {
    const limited = await startTestServer({ messagesPerMinute: 3 });
    try {
      const [carl, dora] = [await newUser(limited.url, "carl"), await newUser(limited.url, "dora")];
      const room = (await carl.api.post("/v1/rooms", { name: "fast", type: "public" })).body.id;
      await dora.api.post(`/v1/rooms/${room}/join`);
      for (let i = 0; i < 3; i++)
        expect((await send(carl, room, { content: `m${i}`, client_id: `c${i}` })).status).toBe(201);
      // A retry of a sent message is answered, not refused: it is no new send.
      const retry = await send(carl, room, { content: "m0", client_id: "c0" });
      expect(retry.status).toBe(201);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      const refused = await send(carl, room, "one too many");
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe("rate_limited");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await send(dora, room, "still fine")).status).toBe(201);
      expect((await carl.api.get(`/v1/rooms/${room}/messages`)).body.messages).toHaveLength(4);
    } finally {
      await limited.close();
    }
  });
});
