// The SDK's REST side against a real server: typed calls and their errors, and a session that
// refreshes itself — ahead of expiry, after a 401, once when many calls need it at the same time,
// and that ends (and says so) when the server has ended it.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { ChatClient, ChatdError, SessionEndedError } from "../../clients/js/src";
import { Client } from "../support/client";
import { closeClients, sdkUser, until } from "../support/sdk";
import { OWN_SERVER_TIMEOUT_MS, startTestServer, type TestServer } from "../support/server";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000 });
});
afterEach(closeClients);
afterAll(() => server.close());

describe("typed REST calls", () => {
  test("sign up, log in, create a room, send and page messages", async () => {
    const ana = await sdkUser(server.url, "rest");
    expect(ana.client.user?.username).toBe(ana.username);
    const room = await ana.client.api.rooms.create({ name: "typed", type: "public" });
    expect(room).toMatchObject({ name: "typed", type: "public", owner_id: ana.id, member_count: 1 });
    for (const content of ["one", "two", "three"]) await ana.client.api.messages.send(room.id, { content });
    const newest = await ana.client.api.messages.list(room.id, { limit: 2 });
    expect(newest.messages.map((m) => m.content)).toEqual(["three", "two"]);
    expect(newest.has_more).toBe(true);
    const older = await ana.client.api.messages.list(room.id, { before: newest.messages[1]!.id });
    expect(older.messages.map((m) => m.content)).toEqual(["one"]);
    const me = await ana.client.api.users.me();
    expect(me.email).toBe(ana.email);
  });

  test("a refused call throws ChatdError with the contract's status, code and details", async () => {
    const ana = await sdkUser(server.url, "rest");
    const missing = await ana.client.api.rooms.get("00000000-0000-4000-8000-000000000000").catch((e) => e);
    expect(missing).toBeInstanceOf(ChatdError);
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
    const invalid = await ana.client.api.rooms.create({ name: "", type: "public" }).catch((e) => e);
    expect(invalid).toMatchObject({ status: 400, code: "validation_failed" });
    expect(invalid.details[0]).toMatchObject({ field: expect.stringContaining("name") });
    expect(invalid.requestId).toBeString();
    const taken = await ana.client.api.auth
      .signup({ username: ana.username, email: "other@example.test", password: "long enough" })
      .catch((e) => e);
    expect(taken).toMatchObject({ status: 409, code: "conflict" });
  });
});

describe("search", () => {
  test("api.search.messages finds the caller's messages by word, typed results with highlights", async () => {
    const ana = await sdkUser(server.url, "find");
    const room = await ana.client.api.rooms.create({ name: "searchable", type: "public" });
    const word = `zebra${Date.now().toString(36)}`;
    const sent = await ana.client.api.messages.send(room.id, { content: `the ${word} crossed` });
    await ana.client.api.messages.send(room.id, { content: "nothing to see" });
    // Indexed in-process shortly after the send: asked again until the index has it.
    const deadline = Date.now() + 10_000;
    let page = await ana.client.api.search.messages({ q: word });
    while (page.results.length === 0 && Date.now() < deadline) {
      await Bun.sleep(50);
      page = await ana.client.api.search.messages({ q: word });
    }
    expect(page.results.map((r) => r.message.id)).toEqual([sent.id]);
    expect(page.results[0]!.message.room_id).toBe(room.id);
    expect(page.results[0]!.highlights[0]).toContain(`<mark>${word}</mark>`);
    const invalid = await ana.client.api.search.messages({ q: "x".repeat(300) }).catch((e) => e);
    expect(invalid).toMatchObject({ status: 400, code: "validation_failed" });
  });
});

describe("token refresh", () => {
  test(
    "the access token is refreshed before it expires, and the old refresh token stops working",
    async () => {
      const short = await startTestServer({ accessTokenTtlSeconds: 3 });
      try {
        const ana = await sdkUser(short.url, "early");
        const first = ana.client.session.tokens!;
        let refreshedAt = 0;
        ana.client.session.on("change", () => {
          refreshedAt = Date.now();
        });
        await until(() => refreshedAt > 0, "a refresh", 10_000);
        expect(refreshedAt).toBeLessThan(first.expires_at);
        expect(ana.client.session.tokens!.access_token).not.toBe(first.access_token);
        expect((await ana.client.api.users.me()).id).toBe(ana.id);
        const reuse = await new Client(short.url).post("/v1/auth/refresh", { refresh_token: first.refresh_token });
        expect(reuse.status).toBe(401);
      } finally {
        closeClients();
        await short.close();
      }
    },
    OWN_SERVER_TIMEOUT_MS,
  );

  test("a call refused with 401 refreshes the token and is retried once", async () => {
    const ana = await sdkUser(server.url, "retry");
    const tokens = ana.client.session.tokens!;
    // A token the server does not accept (it is not one it signed), with a good refresh token.
    ana.client.session.adopt({ ...tokens, access_token: "not-a-token", token_type: "Bearer", expires_in: 900 });
    const me = await ana.client.api.users.me();
    expect(me.id).toBe(ana.id);
    expect(ana.client.session.tokens!.access_token).not.toBe("not-a-token");
    expect(ana.client.session.tokens!.refresh_token).not.toBe(tokens.refresh_token);
  });

  test("many calls that need a refresh at once rotate the refresh token once (no theft alarm)", async () => {
    const ana = await sdkUser(server.url, "burst");
    const tokens = ana.client.session.tokens!;
    ana.client.session.adopt({ ...tokens, access_token: "not-a-token", token_type: "Bearer", expires_in: 900 });
    const calls = await Promise.all(Array.from({ length: 8 }, () => ana.client.api.users.me()));
    expect(calls.map((me) => me.id)).toEqual(Array(8).fill(ana.id));
    // Had two refreshes used the same token, the server would have revoked the login.
    expect((await ana.client.api.users.me()).id).toBe(ana.id);
    const again = await new Client(server.url).post("/v1/auth/refresh", {
      refresh_token: ana.client.session.tokens!.refresh_token,
    });
    expect(again.status).toBe(200);
  });

  test("a session the server ended (logged out elsewhere) ends here too, once, and calls say so", async () => {
    const ana = await sdkUser(server.url, "ended");
    const ends: string[] = [];
    ana.client.onSessionEnd((reason) => ends.push(reason));
    const tokens = ana.client.session.tokens!;
    const logout = await new Client(server.url, tokens.access_token).post("/v1/auth/logout", {
      refresh_token: tokens.refresh_token,
    });
    expect(logout.status).toBe(204);
    const refused = await ana.client.api.users.me().catch((e) => e);
    expect(refused).toMatchObject({ status: 401, code: "unauthorized" });
    expect(ends).toEqual(["session_revoked"]);
    expect(ana.client.signedIn).toBe(false);
    expect(await ana.client.session.refresh().catch((e) => e)).toBeInstanceOf(SessionEndedError);
  });

  test("a session kept in a store is picked up by a new client (a reload keeps the session)", async () => {
    const ana = await sdkUser(server.url, "store");
    const saved = ana.client.session.tokens;
    const store = { load: () => saved, save: () => undefined };
    const reloaded = new ChatClient({ baseUrl: server.url, store });
    try {
      expect(reloaded.signedIn).toBe(true);
      expect((await reloaded.api.users.me()).id).toBe(ana.id);
    } finally {
      reloaded.close();
    }
  });
});
