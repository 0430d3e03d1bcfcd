// The AsyncAPI 3 document of the WebSocket protocol at /docs/asyncapi.json: valid by the AsyncAPI
// parser, made of the schemas the gateway validates with, and true of what the server really sends —
// every frame a session meets is checked against the same frame schemas the document publishes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Parser } from "@asyncapi/parser";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { durableEvents, serverFrames } from "../../src/ws/frames";
import { clientFrames } from "../../src/ws/protocol";
import { Client, newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { type Frame, WsClient } from "../support/ws";

let server: TestServer;
let doc: any;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000, wsRecoveryLimit: 100 });
  doc = (await new Client(server.url).get("/docs/asyncapi.json")).body;
});
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const connect = async (user: TestUser) => {
  const socket = await WsClient.connect(server.url, user.api.token!, "subprotocol");
  sockets.push(socket);
  return socket;
};

describe("AsyncAPI document", () => {
  test("passes the AsyncAPI parser with no diagnostics", async () => {
    expect(doc.asyncapi).toMatch(/^3\./);
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`)).toEqual([]);
    expect(document).toBeDefined();
  });

  test("lists every client frame as a send operation and every server frame as a message", () => {
    const sends = Object.values<any>(doc.operations).filter((op) => op.action === "send");
    const names = (refs: { $ref: string }[]) => refs.map((ref) => ref.$ref.split("/").at(-1));
    expect(sends.flatMap((op) => names(op.messages)).sort()).toEqual(
      Object.keys(clientFrames)
        .map((t) => `client.${t}`)
        .sort(),
    );
    expect(Object.keys(doc.channels.gateway.messages).sort()).toEqual(
      [
        ...Object.keys(clientFrames).map((t) => `client.${t}`),
        ...Object.keys(serverFrames).map((t) => `server.${t}`),
      ].sort(),
    );
    // Each frame's message is named by its type, whichever way it travels.
    expect(doc.components.messages["client.typing"].name).toBe("typing");
    expect(doc.components.messages["server.typing"].name).toBe("typing");
    expect(names(doc.operations["send.subscribe"].reply.messages)).toEqual(["server.subscribed", "server.error"]);
    // Shared schemas are components, referenced by the frames that carry them.
    expect(doc.components.schemas.Message.properties.seq).toBeDefined();
    expect(doc.components.messages["server.message.created"].payload.properties.message).toEqual({
      $ref: "#/components/schemas/Message",
    });
  });

  test("publishes the schemas the gateway validates client frames with", async () => {
    const [ana] = [await newUser(server.url, "aapi")];
    const socket = await connect(ana!);
    // The document says room_id is a uuid and since a position or an id; the gateway agrees.
    const subscribe = doc.components.messages["client.subscribe"].payload;
    expect(subscribe.required).toEqual(["type", "room_id"]);
    expect(subscribe.additionalProperties).toBe(false);
    const refused = await socket.request({ type: "subscribe", room_id: "not-a-uuid" });
    expect(refused).toMatchObject({ type: "error", code: "validation_failed" });
    const extra = await socket.request({ type: "ping", extra: 1 });
    expect(extra).toMatchObject({ type: "error", code: "validation_failed" });
  });
});

const checkers = new Map(Object.entries(serverFrames).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]));

/** The schema problems of a frame the server sent, or null when it matches its type's schema. */
function problems(frame: Frame): string | null {
  const checker = checkers.get(frame.type);
  if (!checker) return `no schema for frame type ${frame.type}`;
  const value: unknown = frame;
  if (checker.Check(value)) return null;
  const first = checker.Errors(value).First();
  return `${frame.type}: ${first?.path} ${first?.message} in ${JSON.stringify(frame)}`;
}

describe("frames the server sends", () => {
  test("every frame of a session that meets every frame type matches the published schema", async () => {
    const [ana, bob, cid] = [
      await newUser(server.url, "aa"),
      await newUser(server.url, "ab"),
      await newUser(server.url, "ac"),
    ];
    const room = (await ana!.api.post("/v1/rooms", { name: "schemas", type: "public" })).body.id as string;
    await bob!.api.post(`/v1/rooms/${room}/join`);
    const anaWs = await connect(ana!);
    const bobWs = await connect(bob!);
    const start = await anaWs.subscribe(room);
    await bobWs.subscribe(room);
    expect((await anaWs.request({ type: "ping" })).type).toBe("pong");

    const ack = await bobWs.request({ type: "message.send", room_id: room, content: "hello", client_id: "c-1" });
    expect(ack.type).toBe("ack");
    const id = ack.message.id as string;
    bobWs.send({ type: "typing", room_id: room });
    bobWs.send({ type: "read", room_id: room, message_id: id });
    await bob!.api.patch(`/v1/rooms/${room}/messages/${id}`, { content: "hello, edited" });
    await ana!.api.request("PUT", `/v1/rooms/${room}/messages/${id}/reactions/%F0%9F%91%8D`);
    await ana!.api.delete(`/v1/rooms/${room}/messages/${id}/reactions/%F0%9F%91%8D`);
    await bob!.api.delete(`/v1/rooms/${room}/messages/${id}`);
    const root = (await bob!.api.post(`/v1/rooms/${room}/messages`, { content: `@${ana!.username} root` })).body.id;
    await ana!.api.request("PUT", `/v1/rooms/${room}/pins/${root}`);
    await ana!.api.request("DELETE", `/v1/rooms/${room}/pins/${root}`);
    await bob!.api.post(`/v1/rooms/${room}/messages`, { content: "in thread", thread_root: root });
    await anaWs.next((f) => f.type === "mention");
    await cid!.api.post(`/v1/rooms/${room}/join`);
    await ana!.api.request("PUT", `/v1/rooms/${room}/members/${cid!.id}/role`, { role: "admin" });
    await ana!.api.request("PUT", `/v1/rooms/${room}/members/${cid!.id}/role`, { role: "member" });
    await cid!.api.delete(`/v1/rooms/${room}/members/me`);
    await cid!.api.post(`/v1/rooms/${room}/join`);
    await ana!.api.delete(`/v1/rooms/${room}/members/${cid!.id}`);
    await ana!.api.post(`/v1/rooms/${room}/bans`, { user_id: cid!.id });
    await ana!.api.patch(`/v1/rooms/${room}`, { description: "schemas everywhere" });
    await anaWs.request({ type: "subscribe", room_id: "00000000-0000-1000-8000-000000000000" });
    await anaWs.request({ type: "message.send", room_id: room, content: "   " });
    await anaWs.next((f) => f.type === "room.updated");
    // A replay of everything after the start: the recovered events are checked like live ones.
    const replay = await anaWs.request({ type: "subscribe", room_id: room, since: start.seq });
    expect(replay.type).toBe("subscribed");
    expect((replay.missed as Frame[]).map((e) => e.type)).toContain("member.role_changed");
    await bobWs.request({ type: "unsubscribe", room_id: room });
    await ana!.api.delete(`/v1/rooms/${room}`);
    await anaWs.next((f) => f.type === "unsubscribed" && f.reason === "room_deleted");

    const frames = [...anaWs.frames, ...bobWs.frames];
    const replayed = frames.flatMap((f) => (f.type === "subscribed" ? (f.missed as Frame[]) : []));
    expect([...frames, ...replayed].map(problems).filter(Boolean)).toEqual([]);
    const seen = new Set([...frames, ...replayed].map((f) => f.type));
    expect(Object.keys(serverFrames).filter((type) => !seen.has(type))).toEqual([]);
    // Every durable event a subscriber met carries its room position.
    for (const event of replayed) expect(event.type in durableEvents && typeof event.seq === "number").toBe(true);
  });
});
