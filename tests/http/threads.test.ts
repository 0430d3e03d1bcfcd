// Threads: a message sent with thread_root is a reply in that root's thread; the root carries
// thread {reply_count, last_reply_at} of its live replies; a thread pages like history.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000 });
  [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
}, 30_000);
afterAll(() => server.close());

async function room() {
  const id = (await ana.api.post("/v1/rooms", { name: "threads", type: "public" })).body.id as string;
  await bob.api.post(`/v1/rooms/${id}/join`);
  return id;
}

const send = async (who: TestUser, roomId: string, body: Record<string, unknown>) => {
  const reply = await who.api.post(`/v1/rooms/${roomId}/messages`, body);
  expect(reply.status).toBe(201);
  return reply.body;
};
const history = async (roomId: string) => (await bob.api.get(`/v1/rooms/${roomId}/messages?limit=200`)).body.messages;
const thread = async (roomId: string, root: string, query = "") => {
  const reply = await bob.api.get(`/v1/rooms/${roomId}/threads/${root}/messages${query}`);
  expect(reply.status).toBe(200);
  return reply.body;
};

test("replies carry thread_root in history; the root carries its reply count and last reply time", async () => {
  const r = await room();
  const root = await send(ana, r, { content: "root" });
  expect(root).toMatchObject({ thread_root: null, thread: null });
  const one = await send(bob, r, { content: "one", thread_root: root.id });
  const two = await send(ana, r, { content: "two", thread_root: root.id });
  expect(two).toMatchObject({ thread_root: root.id, thread: null });
  const shown = await history(r);
  expect(shown.map((m: any) => [m.content, m.thread_root])).toEqual([
    ["two", root.id],
    ["one", root.id],
    ["root", null],
  ]);
  expect(shown[2].thread).toEqual({ reply_count: 2, last_reply_at: two.created_at });
  const page = await thread(r, root.id);
  expect(page.root).toMatchObject({ id: root.id, thread: { reply_count: 2 } });
  expect(page.messages.map((m: any) => m.id)).toEqual([two.id, one.id]);
  expect(page.has_more).toBe(false);
});

test("deleting a reply decrements the count; the last one leaves thread null; thread pages leave tombstones out", async () => {
  const r = await room();
  const root = await send(ana, r, { content: "root" });
  const one = await send(bob, r, { content: "one", thread_root: root.id });
  const two = await send(bob, r, { content: "two", thread_root: root.id });
  expect((await bob.api.delete(`/v1/rooms/${r}/messages/${two.id}`)).status).toBe(204);
  const rootNow = async () => (await history(r)).find((m: any) => m.id === root.id);
  expect((await rootNow()).thread).toEqual({ reply_count: 1, last_reply_at: one.created_at });
  expect((await thread(r, root.id)).messages.map((m: any) => m.id)).toEqual([one.id]);
  expect((await bob.api.delete(`/v1/rooms/${r}/messages/${one.id}`)).status).toBe(204);
  expect((await rootNow()).thread).toBeNull();
  expect((await thread(r, root.id)).messages).toEqual([]);
});

test("a thread pages like history: newest first, before= older, after= newer oldest first", async () => {
  const r = await room();
  const root = await send(ana, r, { content: "root" });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push((await send(bob, r, { content: `r${i}`, thread_root: root.id })).id);
    await send(ana, r, { content: `outside ${i}` });
  }
  const first = await thread(r, root.id, "?limit=2");
  expect(first.messages.map((m: any) => m.id)).toEqual([ids[4], ids[3]]);
  expect(first.has_more).toBe(true);
  const older = await thread(r, root.id, `?limit=10&before=${ids[3]}`);
  expect(older.messages.map((m: any) => m.id)).toEqual([ids[2], ids[1], ids[0]]);
  expect(older.has_more).toBe(false);
  const newer = await thread(r, root.id, `?limit=2&after=${ids[0]}`);
  expect(newer.messages.map((m: any) => m.id)).toEqual([ids[1], ids[2]]);
  expect(newer.has_more).toBe(true);
  const both = await bob.api.get(`/v1/rooms/${r}/threads/${root.id}/messages?before=${ids[3]}&after=${ids[0]}`);
  expect(both.status).toBe(400);
});

test("thread_root must be a live message of the room that is not itself a reply: else 400 validation_failed", async () => {
  const r = await room();
  const root = await send(ana, r, { content: "root" });
  const reply = await send(bob, r, { content: "reply", thread_root: root.id });
  const gone = await send(ana, r, { content: "gone" });
  await ana.api.delete(`/v1/rooms/${r}/messages/${gone.id}`);
  const other = await room();
  const elsewhere = await send(ana, other, { content: "elsewhere" });
  for (const bad of [reply.id, gone.id, elsewhere.id, crypto.randomUUID()]) {
    const refused = await bob.api.post(`/v1/rooms/${r}/messages`, { content: "x", thread_root: bad });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "validation_failed", details: [{ field: "thread_root" }] });
  }
  expect((await bob.api.post(`/v1/rooms/${r}/messages`, { content: "x", thread_root: "nope" })).status).toBe(400);
});

test("the thread of a reply, or of an id that is no message of the room, is 404", async () => {
  const r = await room();
  const root = await send(ana, r, { content: "root" });
  const reply = await send(bob, r, { content: "reply", thread_root: root.id });
  for (const id of [reply.id, crypto.randomUUID()]) {
    const answer = await bob.api.get(`/v1/rooms/${r}/threads/${id}/messages`);
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe("not_found");
  }
});
