// A session (one login: its refresh family) over REST: access tokens name it in `sid`, every claim is
// type-checked, and an access token stops working as soon as its session is logged out, revoked by
// refresh-token reuse or ended by a password reset.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { Client, uniqueUser } from "../support/client";
import { tokenIn } from "../support/outbox";
import { startTestServer, TEST_JWT_SECRET, type TestServer } from "../support/server";

let server: TestServer;
let api: Client;

beforeAll(async () => {
  server = await startTestServer();
  api = new Client(server.url);
}, 60_000);
afterAll(() => server.close(), 60_000);

async function signedUp(prefix = "sess") {
  const user = uniqueUser(prefix);
  const reply = await api.post("/v1/auth/signup", user);
  expect(reply.status).toBe(201);
  return { ...user, id: reply.body.user.id as string };
}

async function login(user: { username: string; password: string }) {
  const reply = await api.post("/v1/auth/login", { login: user.username, password: user.password });
  expect(reply.status).toBe(200);
  return { access: reply.body.access_token as string, refresh: reply.body.refresh_token as string };
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));

describe("access token claims", () => {
  const key = new TextEncoder().encode(TEST_JWT_SECRET);

  test("an access token names its session in sid, a UUID shared by the tokens of one login", async () => {
    const user = await signedUp();
    const first = await login(user);
    const claims = claimsOf(first.access);
    expect(claims).toEqual({
      sub: user.id,
      sid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      iat: expect.any(Number),
      exp: claims.iat + 900,
      jti: expect.any(String),
    });
    const rotated = await api.post("/v1/auth/refresh", { refresh_token: first.refresh });
    expect(claimsOf(rotated.body.access_token).sid).toBe(claims.sid);
    const second = await login(user);
    expect(claimsOf(second.access).sid).not.toBe(claims.sid);
  }, 30_000);

  test("a validly signed token whose claims have the wrong type is 401 invalid access token, never 500", async () => {
    const user = await signedUp();
    const sid = claimsOf((await login(user)).access).sid;
    const now = Math.floor(Date.now() / 1000);
    const good = { sub: user.id, sid, iat: now, exp: now + 300, jti: crypto.randomUUID() };
    const variants: Record<string, unknown>[] = [
      { ...good, sub: 12345 },
      { ...good, sub: { id: user.id } },
      { ...good, sub: [user.id] },
      { ...good, sub: "not-a-uuid" },
      { ...good, sid: 7 },
      { ...good, sid: "not-a-uuid" },
      { ...good, sid: undefined },
      { ...good, jti: 99 },
      { ...good, jti: "" },
      { ...good, iat: "yesterday" },
      { ...good, exp: String(now + 300) },
    ];
    for (const payload of variants) {
      const token = await new SignJWT(payload as any).setProtectedHeader({ alg: "HS256" }).sign(key);
      const reply = await api.as(token).get("/v1/users/me");
      expect({ payload, status: reply.status, body: reply.body }).toEqual({
        payload,
        status: 401,
        body: { error: { code: "unauthorized", message: "invalid access token" } },
      });
      const upgrade = await fetch(`${server.url}/v1/ws?token=${token}`, {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
        },
      });
      expect({ payload, status: upgrade.status }).toEqual({ payload, status: 401 });
    }
    const control = await new SignJWT(good).setProtectedHeader({ alg: "HS256" }).sign(key);
    expect((await api.as(control).get("/v1/users/me")).status).toBe(200);
  }, 30_000);
});

describe("ending a session ends its access tokens", () => {
  const revoked = (reply: { status: number; body: any }) => {
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ error: { code: "unauthorized", message: "session revoked" } });
  };

  test("after logout the session's access token is refused at once; another login goes on", async () => {
    const user = await signedUp();
    const [session, other] = [await login(user), await login(user)];
    expect((await api.as(session.access).get("/v1/users/me")).status).toBe(200);
    expect((await api.as(session.access).post("/v1/auth/logout", { refresh_token: session.refresh })).status).toBe(204);
    revoked(await api.as(session.access).get("/v1/users/me"));
    revoked(await api.as(session.access).post("/v1/rooms", { name: "after logout", type: "public" }));
    expect((await api.as(other.access).get("/v1/users/me")).status).toBe(200);
  }, 30_000);

  test("refresh-token reuse refuses every access token of that login, old and new", async () => {
    const user = await signedUp();
    const [session, other] = [await login(user), await login(user)];
    const rotated = await api.post("/v1/auth/refresh", { refresh_token: session.refresh });
    expect(rotated.status).toBe(200);
    expect((await api.as(rotated.body.access_token).get("/v1/users/me")).status).toBe(200);
    expect((await api.post("/v1/auth/refresh", { refresh_token: session.refresh })).status).toBe(401);
    revoked(await api.as(session.access).get("/v1/users/me"));
    revoked(await api.as(rotated.body.access_token).get("/v1/users/me"));
    expect((await api.as(other.access).get("/v1/users/me")).status).toBe(200);
  }, 30_000);

  test("a password reset refuses the access tokens of every session of the account, and no one else's", async () => {
    const user = await signedUp();
    const bystander = await signedUp("bystander");
    const sessions = [await login(user), await login(user)];
    const theirs = await login(bystander);
    await api.post("/v1/auth/password/forgot", { email: user.email });
    const token = tokenIn(await server.outbox.latest(user.email, /reset/i));
    expect((await api.post("/v1/auth/password/reset", { token, password: "a fresh passphrase" })).status).toBe(204);
    for (const session of sessions) revoked(await api.as(session.access).get("/v1/users/me"));
    expect((await api.as(theirs.access).get("/v1/users/me")).status).toBe(200);
    const after = await login({ username: user.username, password: "a fresh passphrase" });
    expect((await api.as(after.access).get("/v1/users/me")).status).toBe(200);
  }, 30_000);

  test("the WebSocket upgrade refuses an access token of a logged-out session with 401", async () => {
    const user = await signedUp();
    const session = await login(user);
    await api.as(session.access).post("/v1/auth/logout", { refresh_token: session.refresh });
    const upgrade = await fetch(`${server.url}/v1/ws?token=${session.access}`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    expect(upgrade.status).toBe(401);
    expect(((await upgrade.json()) as any).error.message).toBe("session revoked");
  }, 30_000);
});
