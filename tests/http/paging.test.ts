// One convention for lists: rooms, members, the audit log, DMs, unread counts and presence all page
// with `limit` (default 50, at most 200) and `cursor`, answer `next_cursor` (null at the end), and keep
// paging stable while items are added.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 1000 });
  ana = await newUser(server.url, "ana");
}, 30_000);
afterAll(() => server.close());

/** Walks a list route page by page; `between` runs after each page that has a next one. */
async function walk(who: TestUser, path: string, field: string, limit: number, between = async (_page: number) => {}) {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const url: string = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const reply = await who.api.get(url);
    expect(reply.status).toBe(200);
    expect(reply.body[field].length).toBeLessThanOrEqual(limit);
    items.push(...reply.body[field]);
    cursor = reply.body.next_cursor;
    if (cursor === null) return items;
    await between(page);
  }
  throw new Error("the list did not end");
}

const expectRefused = (reply: { status: number; body: any }, field: string) => {
  expect(reply.status).toBe(400);
  expect(reply.body.error).toMatchObject({ code: "validation_failed", details: [expect.objectContaining({ field })] });
};

describe("members", () => {
  test("page oldest join first; members who join meanwhile come last; none twice, none skipped", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "many", type: "public" })).body.id;
    const first: TestUser[] = [];
    for (let i = 0; i < 6; i++) first.push(await newUser(server.url, "m"));
    for (const user of first) await user.api.post(`/v1/rooms/${room}/join`);
    const late: TestUser[] = [];
    const seen = await walk(ana, `/v1/rooms/${room}/members`, "members", 3, async (page) => {
      if (page > 0) return;
      for (let i = 0; i < 2; i++) late.push(await newUser(server.url, "late"));
      for (const user of late) await user.api.post(`/v1/rooms/${room}/join`);
    });
    const all = await ana.api.get(`/v1/rooms/${room}/members`);
    expect(all.body.next_cursor).toBeNull();
    expect(seen).toEqual(all.body.members);
    // Everyone once, in join order (joins within one millisecond by user id).
    const inJoinOrder = [ana, ...first, ...late].map((u) => ({
      user_id: u.id,
      joined_at: all.body.members.find((m: any) => m.user_id === u.id)?.joined_at,
    }));
    inJoinOrder.sort((a, b) => a.joined_at.localeCompare(b.joined_at) || (a.user_id < b.user_id ? -1 : 1));
    expect(seen.map((m) => m.user_id)).toEqual(inJoinOrder.map((m) => m.user_id));
  });

  test("limit is 1..200 and a cursor is one the list returned", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "bounds", type: "public" })).body.id;
    expectRefused(await ana.api.get(`/v1/rooms/${room}/members?limit=0`), "limit");
    expectRefused(await ana.api.get(`/v1/rooms/${room}/members?limit=201`), "limit");
    expectRefused(await ana.api.get(`/v1/rooms/${room}/members?cursor=garbage`), "cursor");
    expectRefused(await ana.api.get(`/v1/dms?cursor=${crypto.randomUUID()}`), "cursor");
    expectRefused(await ana.api.get(`/v1/rooms/${room}/audit?cursor=not-an-id`), "cursor");
  });
});

describe("audit log", () => {
  test("pages newest first by cursor; entries added meanwhile do not shift later pages", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "audited", type: "public" })).body.id;
    for (let i = 0; i < 5; i++) await ana.api.patch(`/v1/rooms/${room}`, { description: `take ${i}` });
    const before = (await ana.api.get(`/v1/rooms/${room}/audit`)).body.entries.map((e: any) => e.id);
    expect(before).toHaveLength(5);
    const seen = await walk(ana, `/v1/rooms/${room}/audit`, "entries", 2, () =>
      ana.api.patch(`/v1/rooms/${room}`, { description: "meanwhile" }).then(() => {}),
    );
    expect(seen.map((e) => e.id)).toEqual(before);
    expectRefused(await ana.api.get(`/v1/rooms/${room}/audit?before=${before[0]}`), "before");
  });
});

describe("DMs", () => {
  test("page most recent activity first; a DM that gets a message meanwhile is not listed twice", async () => {
    const me = await newUser(server.url, "dm");
    const others: TestUser[] = [];
    for (let i = 0; i < 5; i++) others.push(await newUser(server.url, "peer"));
    const rooms: string[] = [];
    for (const other of others) rooms.push((await me.api.post("/v1/dms", { user_id: other.id })).body.id);
    // Activity: the second DM has the latest message, then the fourth; the rest by when they opened.
    await me.api.post(`/v1/rooms/${rooms[3]}/messages`, { content: "fourth" });
    await me.api.post(`/v1/rooms/${rooms[1]}/messages`, { content: "second" });
    const expected = [rooms[1], rooms[3], rooms[4], rooms[2], rooms[0]];
    expect((await walk(me, "/v1/dms", "conversations", 2)).map((c) => c.room.id)).toEqual(expected);

    const seen = await walk(me, "/v1/dms", "conversations", 2, async (page) => {
      // The first page's last DM gets a message: it moves to the front, not onto a later page.
      if (page === 0) await me.api.post(`/v1/rooms/${rooms[3]}/messages`, { content: "again" });
    });
    expect(seen.map((c) => c.room.id)).toEqual(expected);
    const next = await me.api.get("/v1/dms?limit=1");
    expect(next.body.conversations[0]).toMatchObject({ room: { id: rooms[3] }, last_message: { content: "again" } });
    expect(next.body.conversations[0].other_user.id).toBe(others[3]!.id);
  });
});

describe("unread counts and presence", () => {
  test("unread counts page through the caller's rooms in join order; rooms joined meanwhile come last", async () => {
    const me = await newUser(server.url, "reader");
    const rooms: string[] = [];
    for (let i = 0; i < 5; i++) {
      const room = (await ana.api.post("/v1/rooms", { name: `unread ${i}`, type: "public" })).body.id;
      await ana.api.post(`/v1/rooms/${room}/messages`, { content: `hello ${i}` });
      await me.api.post(`/v1/rooms/${room}/join`);
      rooms.push(room);
    }
    const seen = await walk(me, "/v1/unread", "rooms", 2, async (page) => {
      if (page > 0) return;
      const late = (await ana.api.post("/v1/rooms", { name: "late", type: "public" })).body.id;
      await me.api.post(`/v1/rooms/${late}/join`);
      rooms.push(late);
    });
    expect(seen.map((r) => r.room_id)).toEqual(rooms);
  });

  test("presence pages by user id", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "online", type: "public" })).body.id;
    const users = [ana];
    for (let i = 0; i < 2; i++) users.push(await newUser(server.url, "on"));
    const sockets = [];
    for (const user of users) {
      if (user !== ana) await user.api.post(`/v1/rooms/${room}/join`);
      const socket = await WsClient.connect(server.url, user.api.token!);
      await socket.subscribe(room);
      sockets.push(socket);
    }
    try {
      const seen = await walk(ana, `/v1/rooms/${room}/presence`, "online", 2);
      expect(seen.map((u) => u.user_id)).toEqual(users.map((u) => u.id).sort());
    } finally {
      for (const socket of sockets) await socket.close();
    }
  });
});

describe("rooms", () => {
  test("the room list follows the same convention", async () => {
    const tag = `pg${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 5; i++) await ana.api.post("/v1/rooms", { name: `${tag} ${i}`, type: "public" });
    const seen = await walk(ana, `/v1/rooms?q=${tag}`, "rooms", 2);
    expect(seen.map((r) => r.name)).toEqual([0, 1, 2, 3, 4].map((i) => `${tag} ${i}`));
  });
});
