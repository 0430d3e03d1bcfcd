// Mentions: @username of a room member (any case) and @here from a moderator become user ids on the
// message; GET /v1/mentions lists the caller's, newest first, in rooms they are still in, with unread.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
let cyd: TestUser;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 1000 });
  [ana, bob, cyd] = [
    await newUser(server.url, "ana"),
    await newUser(server.url, "bob"),
    await newUser(server.url, "cyd"),
  ];
}, 30_000);
afterAll(() => server.close());

/** A public room of ana's with the given users joined. */
async function roomWith(...members: TestUser[]) {
  const room = (await ana.api.post("/v1/rooms", { name: "mentions", type: "public" })).body.id as string;
  for (const u of members) await u.api.post(`/v1/rooms/${room}/join`);
  return room;
}

const send = async (who: TestUser, room: string, content: string) => {
  const reply = await who.api.post(`/v1/rooms/${room}/messages`, { content });
  expect(reply.status).toBe(201);
  return reply.body;
};

const mentionsOf = async (who: TestUser, query = "") => {
  const reply = await who.api.get(`/v1/mentions${query}`);
  expect(reply.status).toBe(200);
  return reply.body;
};

test("@username of a member resolves in any case; a non-member's name, the author's own and unknown names are plain text", async () => {
  const room = await roomWith(bob);
  const message = await send(
    ana,
    room,
    `hi @${bob.username.toUpperCase()}, @${cyd.username}, @${ana.username} and @nobody_here`,
  );
  expect(message.mentions).toEqual([bob.id]);
  const [stored] = (await bob.api.get(`/v1/rooms/${room}/messages?limit=1`)).body.messages;
  expect(stored.mentions).toEqual([bob.id]);
  expect(message.content).toContain(`@${cyd.username}`);
});

test("@here from the owner or an admin mentions the members online in the room; from a member it is plain text", async () => {
  const room = await roomWith(bob, cyd);
  const online = await WsClient.connect(server.url, bob.api.token!);
  try {
    await online.subscribe(room);
    // Presence is recorded right after the subscribe reply: wait until the room shows bob online.
    for (let i = 0; i < 100; i++) {
      const { online: present } = (await ana.api.get(`/v1/rooms/${room}/presence`)).body;
      if (present.some((p: any) => p.user_id === bob.id)) break;
      await Bun.sleep(20);
    }
    expect((await send(ana, room, "@here standup")).mentions).toEqual([bob.id]);
    expect((await send(cyd, room, "@here anyone?")).mentions).toEqual([]);
    await ana.api.request("PUT", `/v1/rooms/${room}/members/${cyd.id}/role`, { role: "admin" });
    expect((await send(cyd, room, "@HERE now")).mentions).toEqual([bob.id]);
  } finally {
    await online.close();
  }
});

test("the mention list is newest first across rooms, with unread after the room's read marker, paged by cursor", async () => {
  const [one, two] = [await roomWith(bob), await roomWith(bob)];
  const first = await send(ana, one, `@${bob.username} first`);
  const second = await send(ana, two, `@${bob.username} second`);
  await send(ana, one, "no mention");
  const third = await send(ana, one, `@${bob.username} third`);
  await bob.api.post(`/v1/rooms/${one}/read`, { message_id: first.id });

  const all = (await mentionsOf(bob)).mentions.filter((m: any) => [one, two].includes(m.room_id));
  expect(all.map((m: any) => [m.message.id, m.room_id, m.unread])).toEqual([
    [third.id, one, true],
    [second.id, two, true],
    [first.id, one, false],
  ]);
  expect(all[0].message).toMatchObject({ content: `@${bob.username} third`, mentions: [bob.id], author_id: ana.id });

  const fresh = await newUser(server.url, "pager");
  await fresh.api.post(`/v1/rooms/${one}/join`);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await send(ana, one, `@${fresh.username} #${i}`)).id);
  const page1 = await mentionsOf(fresh, "?limit=2");
  const page2 = await mentionsOf(fresh, `?limit=2&cursor=${page1.next_cursor}`);
  const page3 = await mentionsOf(fresh, `?limit=2&cursor=${page2.next_cursor}`);
  expect([...page1.mentions, ...page2.mentions, ...page3.mentions].map((m: any) => m.message.id)).toEqual(
    ids.reverse(),
  );
  expect(page3.next_cursor).toBeNull();
});

test("deleted messages, edits that drop the name and rooms the user left leave the list; an edit naming someone adds them", async () => {
  const room = await roomWith(bob, cyd);
  const deleted = await send(ana, room, `@${bob.username} soon gone`);
  const edited = await send(ana, room, `@${bob.username} soon renamed`);
  const kept = await send(ana, room, `@${bob.username} stays`);
  expect((await ana.api.delete(`/v1/rooms/${room}/messages/${deleted.id}`)).status).toBe(204);
  const edit = await ana.api.patch(`/v1/rooms/${room}/messages/${edited.id}`, { content: `now @${cyd.username}` });
  expect(edit.body.mentions).toEqual([cyd.id]);
  const inRoom = async (who: TestUser) =>
    (await mentionsOf(who)).mentions.filter((m: any) => m.room_id === room).map((m: any) => m.message.id);
  expect(await inRoom(bob)).toEqual([kept.id]);
  expect(await inRoom(cyd)).toEqual([edited.id]);
  expect((await cyd.api.delete(`/v1/rooms/${room}/members/me`)).status).toBe(204);
  expect(await inRoom(cyd)).toEqual([]);
});

test("GET /v1/unread flags a room's mention from the stored mentions only", async () => {
  const room = await roomWith(bob, cyd);
  await send(cyd, room, "@here and a plain word");
  const flag = async () => (await bob.api.get("/v1/unread?limit=200")).body.rooms.find((r: any) => r.room_id === room);
  expect(await flag()).toMatchObject({ unread: 1, mention: false });
  await send(cyd, room, `ping @${bob.username}`);
  expect(await flag()).toMatchObject({ unread: 2, mention: true });
});

test("a cursor that is not a message id is 400 validation_failed", async () => {
  const reply = await bob.api.get("/v1/mentions?cursor=not-a-cursor");
  expect(reply.status).toBe(400);
  expect(reply.body.error.code).toBe("validation_failed");
});
