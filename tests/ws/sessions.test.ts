// A socket lives no longer than its login: it is closed with 4001 and a reason the client acts on when
// the session is logged out, revoked by refresh-token reuse or ended by a password reset
// (`session_revoked`), and when its access token expires (`token_expired`: refresh, reconnect with
// `since`, lose nothing). Other sessions and other users' sockets are untouched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, uniqueUser } from "../support/client";
import { tokenIn } from "../support/outbox";
import { startTestServer, type TestServer } from "../support/server";
import { messagesIn, missedMessages, WsClient } from "../support/ws";

let server: TestServer;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000 });
}, 60_000);
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
}, 60_000);

type Account = { id: string; username: string; email: string; password: string };
type Login = { access: string; refresh: string };

async function account(base: string, prefix: string): Promise<Account> {
  const user = uniqueUser(prefix);
  const reply = await new Client(base).post("/v1/auth/signup", user);
  expect(reply.status).toBe(201);
  return { ...user, id: reply.body.user.id };
}

async function login(base: string, user: Account): Promise<Login> {
  const reply = await new Client(base).post("/v1/auth/login", { login: user.username, password: user.password });
  expect(reply.status).toBe(200);
  return { access: reply.body.access_token, refresh: reply.body.refresh_token };
}

async function connect(base: string, session: Login) {
  const client = await WsClient.connect(base, session.access);
  sockets.push(client);
  return client;
}

/** How the socket closed, or "open" when it is still open after `ms`. */
const closeOf = (client: WsClient, ms = 5000) =>
  Promise.race([client.closed, Bun.sleep(ms).then(() => "open" as const)]);

const revoked = { code: 4001, reason: "session_revoked" };

/** A public room of `owner` that every socket given has joined and subscribed to. */
async function roomWith(owner: Login, members: Login[], subscribers: WsClient[]) {
  const api = new Client(server.url);
  const room = (await api.as(owner.access).post("/v1/rooms", { name: "sessions", type: "public" })).body.id as string;
  for (const member of members) await api.as(member.access).post(`/v1/rooms/${room}/join`);
  for (const socket of subscribers) await socket.subscribe(room);
  return room;
}

async function send(session: Login, room: string, content: string) {
  const reply = await new Client(server.url).as(session.access).post(`/v1/rooms/${room}/messages`, { content });
  expect(reply.status).toBe(201);
  return reply.body as { id: string };
}

describe("session_revoked", () => {
  test("logout closes every socket of that session; the user's other session and other users go on", async () => {
    const [ana, bob] = [await account(server.url, "ana"), await account(server.url, "bob")];
    const [first, second, bobs] = [
      await login(server.url, ana),
      await login(server.url, ana),
      await login(server.url, bob),
    ];
    const firstSockets = [await connect(server.url, first), await connect(server.url, first)];
    const secondSocket = await connect(server.url, second);
    const bobSocket = await connect(server.url, bobs);
    const room = await roomWith(first, [bobs], [...firstSockets, secondSocket, bobSocket]);

    const out = await new Client(server.url).as(first.access).post("/v1/auth/logout", { refresh_token: first.refresh });
    expect(out.status).toBe(204);
    for (const socket of firstSockets) expect(await closeOf(socket)).toEqual(revoked);

    const after = await send(bobs, room, "still here?");
    for (const socket of [secondSocket, bobSocket]) {
      await socket.next((f) => f.type === "message.created" && f.message.id === after.id);
    }
    expect(firstSockets.flatMap((s) => messagesIn(s, room)).map((m) => m.id)).not.toContain(after.id);
    expect((await secondSocket.request({ type: "ping" })).type).toBe("pong");
  }, 30_000);

  test("refresh-token reuse closes the sockets of that login, including one opened with the rotated token", async () => {
    const ana = await account(server.url, "ana");
    const [stolen, other] = [await login(server.url, ana), await login(server.url, ana)];
    const api = new Client(server.url);
    const rotated = await api.post("/v1/auth/refresh", { refresh_token: stolen.refresh });
    const old = await connect(server.url, stolen);
    const fresh = await connect(server.url, { access: rotated.body.access_token, refresh: rotated.body.refresh_token });
    const untouched = await connect(server.url, other);
    expect((await api.post("/v1/auth/refresh", { refresh_token: stolen.refresh })).status).toBe(401);
    expect(await closeOf(old)).toEqual(revoked);
    expect(await closeOf(fresh)).toEqual(revoked);
    expect((await untouched.request({ type: "ping" })).type).toBe("pong");
  }, 30_000);

  test("a password reset closes every socket of the account and leaves other users' sockets open", async () => {
    const [ana, bob] = [await account(server.url, "ana"), await account(server.url, "bob")];
    const sessions = [await login(server.url, ana), await login(server.url, ana)];
    const bobs = await login(server.url, bob);
    const anaSockets = [await connect(server.url, sessions[0]!), await connect(server.url, sessions[1]!)];
    const bobSocket = await connect(server.url, bobs);
    const room = await roomWith(bobs, [sessions[0]!], [...anaSockets, bobSocket]);

    const api = new Client(server.url);
    await api.post("/v1/auth/password/forgot", { email: ana.email });
    const token = tokenIn(await server.outbox.latest(ana.email, /reset/i));
    expect((await api.post("/v1/auth/password/reset", { token, password: "a new passphrase" })).status).toBe(204);
    for (const socket of anaSockets) expect(await closeOf(socket)).toEqual(revoked);

    const after = await send(bobs, room, "after the reset");
    await bobSocket.next((f) => f.type === "message.created" && f.message.id === after.id);
    // The new password's login connects as usual.
    const fresh = await connect(server.url, await login(server.url, { ...ana, password: "a new passphrase" }));
    expect((await fresh.request({ type: "ping" })).type).toBe("pong");
  }, 30_000);
});

describe("token_expired", () => {
  // Access tokens of 2 s (below the setting's minimum of 10, which guards operators, not tests): exp
  // has whole seconds, so a token lives 1 to 2 s.
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ accessTokenTtlSeconds: 2, messagesPerMinute: 10_000 });
  }, 60_000);
  afterAll(() => short.close(), 60_000);

  test("the socket closes with 4001 token_expired at its token's expiry; refresh and reconnect with since loses nothing", async () => {
    const api = new Client(short.url);
    const [ana, bob] = [await account(short.url, "ana"), await account(short.url, "bob")];
    const anaLogin = await login(short.url, ana);
    const room = (await api.as(anaLogin.access).post("/v1/rooms", { name: "expiry", type: "public" })).body.id;
    const socket = await connect(short.url, anaLogin);
    await socket.subscribe(room);
    const seen = await api.as(anaLogin.access).post(`/v1/rooms/${room}/messages`, { content: "before" });
    await socket.next((f) => f.type === "message.created" && f.message.id === seen.body.id);
    const expiresAt = JSON.parse(Buffer.from(anaLogin.access.split(".")[1]!, "base64url").toString()).exp * 1000;

    const closed = await closeOf(socket, 5000);
    expect(closed).toEqual({ code: 4001, reason: "token_expired" });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);

    // Meanwhile others talk; the client refreshes and resumes from the last position it saw.
    const bobLogin = await login(short.url, bob);
    await api.as(bobLogin.access).post(`/v1/rooms/${room}/join`);
    const missed = await api.as(bobLogin.access).post(`/v1/rooms/${room}/messages`, { content: "while you were out" });
    expect(missed.status).toBe(201);
    const refreshed = await api.post("/v1/auth/refresh", { refresh_token: anaLogin.refresh });
    expect(refreshed.status).toBe(200);
    const again = await connect(short.url, {
      access: refreshed.body.access_token,
      refresh: refreshed.body.refresh_token,
    });
    const lastSeen = messagesIn(socket, room).at(-1).id;
    const resumed = await again.subscribe(room, lastSeen);
    expect(resumed.missed.map((e: { type: string }) => e.type)).toEqual(["member.joined", "message.created"]);
    expect(missedMessages(resumed).map((m) => m.id)).toEqual([missed.body.id]);
  }, 30_000);
});
