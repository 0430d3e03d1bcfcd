// Attachments on the WebSocket gateway: message.send takes attachment_ids by the same rules as REST,
// and every way a message reaches a client — the ack, the live message.created and message.updated
// events, a recovery with `since` — lists its attachments, which a deletion takes away.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { uploadFile } from "../support/attachments";
import { newUser, type TestUser } from "../support/client";
import { OWN_SERVER_TIMEOUT_MS, startTestServer, type TestServer } from "../support/server";
import { missedMessages, WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 1000 });
  [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
}, OWN_SERVER_TIMEOUT_MS);
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const connect = async (user: TestUser) => {
  const client = await WsClient.connect(server.url, user.api.token!);
  sockets.push(client);
  return client;
};
const sharedRoom = async () => {
  const room = (await ana.api.post("/v1/rooms", { name: "ws files", type: "public" })).body.id as string;
  await bob.api.post(`/v1/rooms/${room}/join`);
  return room;
};
const listed = (file: Awaited<ReturnType<typeof uploadFile>>, filename: string, contentType = "image/png") => ({
  id: file.ticket.id,
  filename,
  content_type: contentType,
  size: file.bytes.length,
});

describe("attachments over the WebSocket", () => {
  test("message.send carries attachment_ids; the ack, the live event and a recovery list them", async () => {
    const room = await sharedRoom();
    const [sender, watcher] = [await connect(ana), await connect(bob)];
    const subscribed = await watcher.subscribe(room);
    await sender.subscribe(room);
    const file = await uploadFile(ana, { filename: "sunset.png" });
    const ack = await sender.request({
      type: "message.send",
      room_id: room,
      content: "look",
      attachment_ids: [file.ticket.id],
    });
    expect(ack.type).toBe("ack");
    expect(ack.message.attachments).toEqual([listed(file, "sunset.png")]);
    const live = await watcher.next((f) => f.type === "message.created" && f.message.id === ack.message.id);
    expect(live.message.attachments).toEqual([listed(file, "sunset.png")]);

    const edited = await ana.api.patch(`/v1/rooms/${room}/messages/${ack.message.id}`, { content: "look again" });
    expect(edited.status).toBe(200);
    const update = await watcher.next((f) => f.type === "message.updated" && f.message.id === ack.message.id);
    expect(update.message.attachments).toEqual([listed(file, "sunset.png")]);

    const late = await connect(bob);
    const recovered = await late.subscribe(room, subscribed.seq);
    expect(missedMessages(recovered).map((m) => m.attachments)).toEqual([[listed(file, "sunset.png")]]);
    // REST history says the same as the socket.
    const history = (await bob.api.get(`/v1/rooms/${room}/messages`)).body.messages;
    expect(history[0].attachments).toEqual(ack.message.attachments);
  });

  test("the same rules as REST: someone else's, unfinished or used attachments are refused", async () => {
    const room = await sharedRoom();
    const sender = await connect(ana);
    const bobs = await uploadFile(bob);
    const mine = await uploadFile(ana);
    const refused = await sender.request({
      type: "message.send",
      room_id: room,
      content: "x",
      attachment_ids: [bobs.ticket.id],
    });
    expect(refused).toMatchObject({ type: "error", code: "validation_failed" });
    const ok = await sender.request({
      type: "message.send",
      room_id: room,
      content: "x",
      attachment_ids: [mine.ticket.id],
    });
    expect(ok.type).toBe("ack");
    const reused = await sender.request({
      type: "message.send",
      room_id: room,
      content: "x",
      attachment_ids: [mine.ticket.id],
    });
    expect(reused).toMatchObject({ type: "error", code: "conflict" });
    const bad = await sender.request({ type: "message.send", room_id: room, content: "x", attachment_ids: ["nope"] });
    expect(bad).toMatchObject({ type: "error", code: "validation_failed" });
  });

  test("after a deletion a recovery replays the tombstone without its attachments", async () => {
    const room = await sharedRoom();
    const watcher = await connect(bob);
    const subscribed = await watcher.subscribe(room);
    const file = await uploadFile(ana, { filename: "gone.png" });
    const sent = (
      await ana.api.post(`/v1/rooms/${room}/messages`, { content: "soon gone", attachment_ids: [file.ticket.id] })
    ).body;
    await ana.api.delete(`/v1/rooms/${room}/messages/${sent.id}`);
    await watcher.next((f) => f.type === "message.deleted" && f.message_id === sent.id);
    const late = await connect(bob);
    const recovered = await late.subscribe(room, subscribed.seq);
    expect(missedMessages(recovered)).toEqual([
      expect.objectContaining({ id: sent.id, deleted: true, attachments: [] }),
    ]);
  });
});
