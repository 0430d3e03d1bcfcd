// Room positions as a client sees them: every durable event carries the room's next `seq`, a fresh
// subscriber learns where it stands, and `since` replays every kind of durable event in order, with
// messages exactly as REST history shows them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { type Frame, WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
let cat: TestUser;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 1000, wsRecoveryLimit: 8 });
  [ana, bob, cat] = [
    await newUser(server.url, "ana"),
    await newUser(server.url, "bob"),
    await newUser(server.url, "cat"),
  ];
}, 30_000);
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
}, 30_000);

const connect = async (user: TestUser) => {
  const client = await WsClient.connect(server.url, user.api.token!);
  sockets.push(client);
  return client;
};
const newRoom = async () => {
  const room = (await ana.api.post("/v1/rooms", { name: "positions", type: "public" })).body.id as string;
  await bob.api.post(`/v1/rooms/${room}/join`);
  return room;
};
const send = async (roomId: string, content: string) =>
  (await ana.api.post(`/v1/rooms/${roomId}/messages`, { content })).body as { id: string; seq: number };

describe("positions", () => {
  test("a fresh subscriber learns the room's position; the next event takes the one after it", async () => {
    const room = await newRoom();
    await send(room, "one");
    await send(room, "two");
    const client = await connect(bob);
    const reply = await client.subscribe(room);
    const message = await send(room, "three");
    const live = await client.next((f) => f.type === "message.created");
    expect(live.seq).toBe(reply.seq + 1);
    expect(live.message.seq).toBe(live.seq);
    expect(message.seq).toBe(live.seq);
  });

  test("sends a client pipelines into a room are stored, acked and delivered in the order it sent them", async () => {
    const room = await newRoom();
    const [sender, receiver] = [await connect(ana), await connect(bob)];
    await sender.subscribe(room);
    await receiver.subscribe(room);
    // 30 sends without waiting for any ack: the gateway stores them in groups, still in order.
    for (let i = 0; i < 30; i++) sender.send({ type: "message.send", ref: `p${i}`, room_id: room, content: `p${i}` });
    const acks = await sender.collect((f) => f.type === "ack", 30, 15_000);
    expect(acks.map((a) => a.ref)).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`));
    const seqs = acks.map((a) => a.message.seq as number);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => seqs[0]! + i));
    const live = await receiver.collect((f) => f.type === "message.created" && f.room_id === room, 30, 15_000);
    expect(live.map((f) => f.message.content)).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`));
    expect(live.map((f) => f.seq)).toEqual(seqs);
  });

  test("`since` replays every kind of durable event after it, in order, with messages as history shows them", async () => {
    const room = await newRoom();
    const mark = await send(room, "seen");
    const away = await send(room, "while away");
    await ana.api.patch(`/v1/rooms/${room}/messages/${away.id}`, { content: "while away, edited" });
    await bob.api.request("PUT", `/v1/rooms/${room}/messages/${away.id}/reactions/%F0%9F%91%8D`);
    const doomed = await send(room, "deleted later");
    await ana.api.delete(`/v1/rooms/${room}/messages/${doomed.id}`);
    await cat.api.post(`/v1/rooms/${room}/join`);
    await ana.api.request("PUT", `/v1/rooms/${room}/members/${cat.id}/role`, { role: "admin" });
    await ana.api.patch(`/v1/rooms/${room}`, { description: "now with a description" });

    const client = await connect(bob);
    const reply = await client.subscribe(room, mark.seq);
    const missed = reply.missed as Frame[];
    expect(missed.map((e) => e.type)).toEqual([
      "message.created",
      "message.updated",
      "reaction.added",
      "message.created",
      "message.deleted",
      "member.joined",
      "member.role_changed",
      "room.updated",
    ]);
    expect(missed.map((e) => e.seq)).toEqual(missed.map((_, i) => mark.seq + 1 + i));
    expect(reply).toMatchObject({ recovered: true, seq: missed.at(-1)!.seq });
    // A replayed message is the message as it is now, exactly as history shows it to this viewer.
    const history = (await bob.api.get(`/v1/rooms/${room}/messages?after=${mark.id}`)).body.messages;
    const replayed = missed.filter((e) => e.type === "message.created").map((e) => e.message);
    expect(replayed).toEqual(history);
    expect(replayed[0]).toMatchObject({
      content: "while away, edited",
      reactions: [{ emoji: "👍", count: 1, me: true }],
    });
    expect(replayed[1]).toMatchObject({ deleted: true, content: "" });
  });

  test("`since` as a message id means after that message's position", async () => {
    const room = await newRoom();
    const mark = await send(room, "mark");
    await ana.api.request("PUT", `/v1/rooms/${room}/messages/${mark.id}/reactions/:ok:`);
    await send(room, "next");
    const client = await connect(bob);
    const byId = await client.subscribe(room, mark.id);
    const other = await connect(bob);
    const byPosition = await other.subscribe(room, mark.seq);
    expect(byId.missed).toEqual(byPosition.missed);
    expect((byId.missed as Frame[]).map((e) => e.type)).toEqual(["reaction.added", "message.created"]);
  });

  test("past WS_RECOVERY_LIMIT the replay stops at the limit and says it is not complete", async () => {
    const room = await newRoom();
    const mark = await send(room, "mark");
    for (let i = 0; i < 10; i++) await send(room, `m${i}`);
    const client = await connect(bob);
    const reply = await client.subscribe(room, mark.seq);
    expect(reply.recovered).toBe(false);
    expect((reply.missed as Frame[]).map((e) => e.seq)).toEqual(Array.from({ length: 8 }, (_, i) => mark.seq + 1 + i));
    expect(reply.seq).toBe(mark.seq + 8);
  });

  test("a position the room has not reached answers at once as not recovered, and the socket goes on", async () => {
    // It used to wait for the room to reach that position: the socket's frames queued behind it for good.
    const room = await newRoom();
    const last = await send(room, "last");
    const client = await connect(bob);
    for (const since of [last.seq + 1, 4_294_967_296]) {
      expect(await client.request({ type: "subscribe", room_id: room, since }, 2000)).toMatchObject({
        type: "subscribed",
        missed: [],
        recovered: false,
        seq: last.seq,
      });
    }
    expect(await client.request({ type: "ping" })).toMatchObject({ type: "pong" });
    const next = await send(room, "next");
    expect((await client.next((f) => f.type === "message.created")).seq).toBe(next.seq);
  });

  test("a position that is not a number nor a message id is a validation error; an unknown message id replays nothing", async () => {
    const room = await newRoom();
    const client = await connect(bob);
    expect(await client.request({ type: "subscribe", room_id: room, since: "yesterday" })).toMatchObject({
      type: "error",
      code: "validation_failed",
    });
    expect(await client.request({ type: "subscribe", room_id: room, since: -1 })).toMatchObject({
      type: "error",
      code: "validation_failed",
    });
    const unknown = await client.subscribe(room, "00000000-0000-1000-8000-000000000001");
    expect(unknown).toMatchObject({ missed: [], recovered: false });
  });
});
