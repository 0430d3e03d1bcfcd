// Hostile client frames get the same rules as request bodies: nesting is bounded, `__proto__` is an
// unknown field in every frame type, a lone surrogate is no text anywhere, and what a reader cannot
// see is no message. The socket survives.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let room: string;
let message: string;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000 });
  ana = await newUser(server.url, "ana");
  room = (await ana.api.post("/v1/rooms", { name: "frames", type: "public" })).body.id;
  message = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: "first" })).body.id;
}, 30_000);
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const connect = async () => {
  const client = await WsClient.connect(server.url, ana.api.token!);
  sockets.push(client);
  return client;
};

/** A valid frame of each client type. */
const frames = (): Record<string, Record<string, unknown>> => ({
  subscribe: { type: "subscribe", room_id: room },
  unsubscribe: { type: "unsubscribe", room_id: room },
  "message.send": { type: "message.send", room_id: room, content: "hello" },
  typing: { type: "typing", room_id: room },
  read: { type: "read", room_id: room, message_id: message },
  ping: { type: "ping" },
});

/** The frame's JSON with an own `__proto__` key spliced in (JSON.stringify cannot write one). */
const withProto = (frame: Record<string, unknown>, ref: string) =>
  `${JSON.stringify({ ...frame, ref }).slice(0, -1)},"__proto__":{"room_id":"${room}","content":"x"}}`;

describe("frames", () => {
  test("a __proto__ key is validation_failed in every frame type, with the ref echoed", async () => {
    const client = await connect();
    for (const [type, frame] of Object.entries(frames())) {
      const ref = `proto-${type}`;
      client.send(withProto(frame, ref));
      const reply = await client.next((f) => f.ref === ref);
      expect({ type, reply }).toEqual({
        type,
        reply: expect.objectContaining({
          type: "error",
          code: "validation_failed",
          message: expect.stringContaining("__proto__"),
        }),
      });
    }
    expect(await client.request({ type: "ping" })).toMatchObject({ type: "pong" });
  });

  test("a lone surrogate anywhere is validation_failed naming the field, and a ref with one is not echoed", async () => {
    const client = await connect();
    client.send('{"type":"ping","ref":"\\ud800"}');
    const refused = await client.next((f) => f.type === "error");
    expect(refused).toEqual({ type: "error", code: "validation_failed", message: "ref: must be valid Unicode text" });
    const send = await client.request({ type: "message.send", room_id: room, content: "hi", client_id: "\udc00" });
    expect(send).toMatchObject({
      type: "error",
      code: "validation_failed",
      message: "client_id: must be valid Unicode text",
    });
    expect(await client.request({ type: "ping" })).toMatchObject({ type: "pong" });
  });

  test("since is a JSON number or a message id: a numeric string is validation_failed", async () => {
    // It passed as Elysia's t.Integer and then counted as an unknown message id: a needless reload.
    const client = await connect();
    const reply = await client.request({ type: "subscribe", room_id: room, since: "1" });
    expect(reply).toMatchObject({
      type: "error",
      code: "validation_failed",
      message: expect.stringContaining("since"),
    });
  });

  test("a frame nested 20,000 levels deep is invalid_frame and the connection goes on", async () => {
    const client = await connect();
    const deep = `{"type":"ping","ref":"deep","x":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    client.send(deep);
    const reply = await client.next((f) => f.type === "error" && f.code === "invalid_frame");
    expect(reply.message).toContain("32");
    expect(JSON.stringify(reply).length).toBeLessThan(300);
    expect(await client.request({ type: "ping" })).toMatchObject({ type: "pong" });
  });

  test("an error frame never echoes a long field name in full", async () => {
    const client = await connect();
    const reply = await client.request({ type: "ping", ["k".repeat(5000)]: 1 });
    expect(reply).toMatchObject({ type: "error", code: "validation_failed" });
    expect(reply.message.length).toBeLessThanOrEqual(330);
  });
});
