// Reactions are emoji: an emoji sequence or a :short_name:, at most 20 different ones per message, so
// a message (and every history page carrying it) stays small whatever its readers do.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
let room: string;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 1000 });
  [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
  room = (await ana.api.post("/v1/rooms", { name: "reactions", type: "public" })).body.id;
  await bob.api.post(`/v1/rooms/${room}/join`);
}, 30_000);
afterAll(() => server.close());

const EMOJI = [..."😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩🤔🤨😐"];

const newMessage = async () => (await ana.api.post(`/v1/rooms/${room}/messages`, { content: "react!" })).body.id;
const react = (who: TestUser, message: string, emoji: string, method = "PUT") =>
  who.api.request(method, `/v1/rooms/${room}/messages/${message}/reactions/${encodeURIComponent(emoji)}`);
const reactionsOf = async (message: string, who = ana) =>
  (await who.api.get(`/v1/rooms/${room}/messages?limit=50`)).body.messages.find((m: any) => m.id === message).reactions;

describe("what a reaction may be", () => {
  test("an emoji sequence or a :short_name: is taken", async () => {
    const message = await newMessage();
    const accepted = ["👍", "👍🏽", "👨‍👩‍👧", "🇫🇷", "🏴󠁧󠁢󠁷󠁬󠁳󠁿", "#️⃣", ":party_parrot:", ":+1:", ":a-b:"];
    for (const emoji of accepted)
      expect({ emoji, status: (await react(ana, message, emoji)).status }).toEqual({ emoji, status: 204 });
    expect((await reactionsOf(message)).map((r: any) => r.emoji)).toEqual(accepted);
  });

  test("any other text is 400 validation_failed naming emoji", async () => {
    const message = await newMessage();
    for (const emoji of ["x", "ok", "👍👍", "1", ":Upper:", `:${"a".repeat(33)}:`, "::", "<b>", "a👍", "\u200b"]) {
      const reply = await react(ana, message, emoji);
      expect({ emoji, status: reply.status }).toEqual({ emoji, status: 400 });
      expect(reply.body.error).toMatchObject({ code: "validation_failed", details: [{ field: "emoji" }] });
    }
    expect(await reactionsOf(message)).toEqual([]);
  });

  test("an emoji without its presentation selector is the same reaction as with it", async () => {
    const message = await newMessage();
    expect((await react(ana, message, "\u2764")).status).toBe(204);
    expect((await react(bob, message, "\u2764\ufe0f")).status).toBe(204);
    expect(await reactionsOf(message)).toEqual([{ emoji: "\u2764\ufe0f", count: 2, me: true }]);
    expect((await react(ana, message, "\u2764", "DELETE")).status).toBe(204);
    expect(await reactionsOf(message)).toEqual([{ emoji: "\u2764\ufe0f", count: 1, me: false }]);
  });
});

describe("how many", () => {
  test("a message takes 20 different reactions; a 21st is 409 while existing ones can still be added", async () => {
    const message = await newMessage();
    for (const emoji of EMOJI.slice(0, 20)) expect((await react(ana, message, emoji)).status).toBe(204);
    const over = await react(ana, message, EMOJI[20]!);
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: "conflict", details: [{ field: "emoji" }] });
    expect((await react(bob, message, EMOJI[0]!)).status).toBe(204);
    expect(await reactionsOf(message)).toHaveLength(20);
    // Taking one away makes room for another.
    expect((await react(ana, message, EMOJI[1]!, "DELETE")).status).toBe(204);
    expect((await react(bob, message, EMOJI[21]!)).status).toBe(204);
    expect((await reactionsOf(message)).map((r: any) => r.emoji)).toContain(EMOJI[21]);
    expect(await reactionsOf(message)).toHaveLength(20);
  });

  test("new reactions added at once never pass the limit", async () => {
    const message = await newMessage();
    for (const emoji of EMOJI.slice(0, 19)) await react(ana, message, emoji);
    const replies = await Promise.all(EMOJI.slice(19).map((emoji, i) => react(i % 2 ? ana : bob, message, emoji)));
    expect(replies.filter((r) => r.status === 204)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(EMOJI.length - 20);
    expect(await reactionsOf(message)).toHaveLength(20);
  });

  test("hundreds of attempts leave a one-message page small", async () => {
    const message = await newMessage();
    await Promise.all(Array.from({ length: 300 }, (_, i) => react(ana, message, `:r${i}:`)));
    const page = await ana.api.request("GET", `/v1/rooms/${room}/messages?limit=1`);
    expect(page.body.messages[0].reactions).toHaveLength(20);
    expect(JSON.stringify(page.body).length).toBeLessThan(2000);
  });
});
