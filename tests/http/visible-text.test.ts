// What a reader sees is what counts: content and names are trimmed of invisible characters, must keep a
// visible one, and names refuse bidi controls; over REST and WebSocket alike.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
let room: string;

beforeAll(async () => {
  server = await startTestServer({ maxMessageLength: 40, messagesPerMinute: 1000 });
  ana = await newUser(server.url, "ana");
  room = (await ana.api.post("/v1/rooms", { name: "text", type: "public" })).body.id;
}, 30_000);
afterAll(() => server.close());

const ZWSP = "\u200b";
const RLO = "\u202e";

const expectRefused = (reply: { status: number; body: any }, field: string) => {
  expect(reply.status).toBe(400);
  expect(reply.body.error.code).toBe("validation_failed");
  expect(reply.body.error.details[0].field).toBe(field);
};

describe("message content", () => {
  test("invisible-only content is refused, sent or edited", async () => {
    for (const content of [ZWSP + ZWSP, "\u3164", "\u2800\u2800", "\ufe0f", ` ${ZWSP}\u200d\u2060 `, "\u202e\u202c"]) {
      expectRefused(await ana.api.post(`/v1/rooms/${room}/messages`, { content }), "content");
    }
    const message = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: "visible" })).body;
    expectRefused(await ana.api.patch(`/v1/rooms/${room}/messages/${message.id}`, { content: ZWSP }), "content");
    expect((await ana.api.get(`/v1/rooms/${room}/messages?limit=1`)).body.messages[0].content).toBe("visible");
  });

  test("invisible characters at the ends are trimmed; emoji keep their modifiers", async () => {
    const send = async (content: string) =>
      (await ana.api.post(`/v1/rooms/${room}/messages`, { content })).body.content;
    expect(await send(`${ZWSP} hi ${ZWSP}\u2060`)).toBe("hi");
    expect(await send("❤️")).toBe("❤️");
    expect(await send("🏴󠁧󠁢󠁳󠁣󠁴󠁿")).toBe("🏴󠁧󠁢󠁳󠁣󠁴󠁿");
    expect(await send("a\u200db")).toBe("a\u200db");
    // Bidi controls at the ends are invisible and go; inside content they are text (names refuse them).
    expect(await send("\u2067שלום\u2069")).toBe("שלום");
    expect(await send("a \u2067שלום\u2069 b")).toBe("a \u2067שלום\u2069 b");
  });

  test("a lone surrogate is not text", async () => {
    expectRefused(await ana.api.post(`/v1/rooms/${room}/messages`, '{"content":"\\ud800x"}'), "content");
  });

  test("the length counts characters after trimming", async () => {
    const padded = `${ZWSP.repeat(30)}${"x".repeat(40)}${" ".repeat(30)}`;
    expect((await ana.api.post(`/v1/rooms/${room}/messages`, { content: padded })).status).toBe(201);
    expectRefused(await ana.api.post(`/v1/rooms/${room}/messages`, { content: "🎉".repeat(41) }), "content");
  });

  test("over WebSocket the same content is refused as validation_failed", async () => {
    const client = await WsClient.connect(server.url, ana.api.token!);
    try {
      const reply = await client.request({ type: "message.send", room_id: room, content: ZWSP + ZWSP });
      expect(reply).toMatchObject({
        type: "error",
        code: "validation_failed",
        message: expect.stringContaining("content"),
      });
    } finally {
      await client.close();
    }
  });
});

describe("names", () => {
  test("a room name needs a visible character and no bidi control, on create and on update", async () => {
    for (const name of [ZWSP, " \u3164 ", `ab${RLO}cd`, "\u2066x\u2069", "two\nlines"]) {
      expectRefused(await ana.api.post("/v1/rooms", { name, type: "public" }), "name");
      expectRefused(await ana.api.patch(`/v1/rooms/${room}`, { name }), "name");
    }
    const created = await ana.api.post("/v1/rooms", { name: ` ${ZWSP}general${ZWSP} `, type: "public" });
    expect(created.body.name).toBe("general");
    expect((await ana.api.get(`/v1/rooms/${room}`)).body.name).toBe("text");
  });

  test("a room name may have up to 100 characters, emoji counting once", async () => {
    expect((await ana.api.post("/v1/rooms", { name: "🎉".repeat(100), type: "public" })).status).toBe(201);
    expectRefused(await ana.api.post("/v1/rooms", { name: "x".repeat(101), type: "public" }), "name");
  });

  test("a description with nothing visible is cleared", async () => {
    const updated = await ana.api.patch(`/v1/rooms/${room}`, { description: `${ZWSP} ` });
    expect(updated.status).toBe(200);
    expect(updated.body.description).toBeNull();
  });

  test("a display name with an RTL override or nothing visible is refused; it is trimmed", async () => {
    expectRefused(await ana.api.patch("/v1/users/me", { display_name: `Ana${RLO}txt.exe` }), "display_name");
    expectRefused(await ana.api.patch("/v1/users/me", { display_name: ZWSP }), "display_name");
    expect((await ana.api.patch("/v1/users/me", { display_name: ` ${ZWSP}Ana ` })).body.display_name).toBe("Ana");
    expect((await ana.api.patch("/v1/users/me", { display_name: null })).body.display_name).toBeNull();
  });
});
