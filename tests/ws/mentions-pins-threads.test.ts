// Mentions, pins and threads over the gateway: a `mention` reaches the mentioned user's sockets
// whatever they subscribed to; pins and thread summaries are positioned room events, delivered live
// in order and replayed on `since` recovery.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { type Frame, WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
let cyd: TestUser;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 1000 });
  [ana, bob, cyd] = [
    await newUser(server.url, "ana"),
    await newUser(server.url, "bob"),
    await newUser(server.url, "cyd"),
  ];
}, 30_000);
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const connect = async (user: TestUser) => {
  const client = await WsClient.connect(server.url, user.api.token!);
  sockets.push(client);
  return client;
};

async function roomWith(...members: TestUser[]) {
  const room = (await ana.api.post("/v1/rooms", { name: "depth", type: "public" })).body.id as string;
  for (const u of members) await u.api.post(`/v1/rooms/${room}/join`);
  return room;
}

/** The durable events a client got for the room, live (not replays). */
const positioned = (client: WsClient, roomId: string) =>
  client.frames.filter((f) => f.room_id === roomId && typeof f.seq === "number" && f.type !== "subscribed");

test("a mention reaches every socket of the mentioned user, subscribed to the room or not, and nobody else", async () => {
  const room = await roomWith(bob, cyd);
  const [bob1, bob2, cydWs, anaWs] = [await connect(bob), await connect(bob), await connect(cyd), await connect(ana)];
  await anaWs.subscribe(room);
  const byRest = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `hey @${bob.username}` })).body;
  for (const socket of [bob1, bob2]) {
    const frame = await socket.next((f) => f.type === "mention" && f.message.id === byRest.id);
    expect(frame).toEqual({ type: "mention", room_id: room, message: byRest });
  }
  const byWs = await anaWs.request({ type: "message.send", room_id: room, content: `and @${cyd.username}` });
  expect(byWs.message.mentions).toEqual([cyd.id]);
  await cydWs.next((f) => f.type === "mention" && f.message.id === byWs.message.id);
  await Bun.sleep(100);
  expect(cydWs.frames.filter((f) => f.type === "mention").map((f) => f.message.id)).toEqual([byWs.message.id]);
  expect(bob1.frames.filter((f) => f.type === "mention")).toHaveLength(1);
  expect(anaWs.frames.filter((f) => f.type === "mention")).toEqual([]);
});

test("an edit that newly names a member mentions them; one already named gets no second mention", async () => {
  const room = await roomWith(bob, cyd);
  const [bobWs, cydWs] = [await connect(bob), await connect(cyd)];
  const sent = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `@${bob.username}` })).body;
  await bobWs.next((f) => f.type === "mention" && f.message.id === sent.id);
  await ana.api.patch(`/v1/rooms/${room}/messages/${sent.id}`, { content: `@${bob.username} @${cyd.username}` });
  const edited = await cydWs.next((f) => f.type === "mention" && f.message.id === sent.id);
  expect(edited.message).toMatchObject({ content: `@${bob.username} @${cyd.username}`, mentions: [bob.id, cyd.id] });
  await Bun.sleep(100);
  expect(bobWs.frames.filter((f) => f.type === "mention")).toHaveLength(1);
});

test("pins and thread summaries are positioned events, live in order and the same on since recovery", async () => {
  const room = await roomWith(bob);
  const live = await connect(bob);
  const start = await live.subscribe(room);
  const root = await live.request({ type: "message.send", room_id: room, content: "root" });
  const reply = await live.request({
    type: "message.send",
    room_id: room,
    content: "reply",
    thread_root: root.message.id,
  });
  expect(reply.message).toMatchObject({ thread_root: root.message.id, thread: null });
  await ana.api.request("PUT", `/v1/rooms/${room}/pins/${root.message.id}`);
  await bob.api.delete(`/v1/rooms/${room}/messages/${reply.message.id}`);
  await ana.api.delete(`/v1/rooms/${room}/messages/${root.message.id}`);
  const expected = [
    "message.created",
    "message.created",
    "thread.updated",
    "message.pinned",
    "message.deleted",
    "thread.updated",
    "message.deleted",
    "message.unpinned",
  ];
  await live.collect((f) => positioned(live, room).includes(f), expected.length);
  const events = positioned(live, room);
  expect(events.map((e) => e.type)).toEqual(expected);
  expect(events.map((e) => e.seq)).toEqual(expected.map((_, i) => start.seq + 1 + i));
  const [firstUpdate, , , secondUpdate] = events.filter((e) => e.type !== "message.created");
  expect(firstUpdate).toMatchObject({ root_id: root.message.id, thread: { reply_count: 1 } });
  expect(secondUpdate).toEqual({
    type: "thread.updated",
    room_id: room,
    root_id: root.message.id,
    thread: null,
    seq: start.seq + 6,
  });
  expect(events.find((e) => e.type === "message.pinned")).toMatchObject({
    message_id: root.message.id,
    user_id: ana.id,
  });
  expect(events.at(-1)).toMatchObject({ message_id: root.message.id, user_id: ana.id });

  const later = await connect(bob);
  const replay = await later.subscribe(room, start.seq);
  expect(replay.recovered).toBe(true);
  const missed = replay.missed as Frame[];
  expect(missed.map((e) => [e.type, e.seq])).toEqual(events.map((e) => [e.type, e.seq]));
  // A replayed message is as it is now: the reply a tombstone with its root, the root's summary gone.
  expect(missed[1]!.message).toMatchObject({ id: reply.message.id, deleted: true, thread_root: root.message.id });
  expect(missed[0]!.message).toMatchObject({ id: root.message.id, deleted: true, thread: null });
});

test("history replayed after a reply shows the root's summary as it is now", async () => {
  const room = await roomWith(bob);
  const socket = await connect(bob);
  const start = await socket.subscribe(room);
  const root = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: "root" })).body;
  const reply = (await bob.api.post(`/v1/rooms/${room}/messages`, { content: "r", thread_root: root.id })).body;
  const replay = await (await connect(bob)).subscribe(room, start.seq);
  const replayedRoot = (replay.missed as Frame[]).find((e) => e.type === "message.created" && e.message.id === root.id);
  expect(replayedRoot!.message.thread).toEqual({ reply_count: 1, last_reply_at: reply.created_at });
});
