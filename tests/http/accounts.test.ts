// Accounts over real HTTP: signup, verification, login, refresh rotation, logout, password reset.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, uniqueUser } from "../support/client";
import { addresses, tokenIn } from "../support/outbox";
import { OWN_SERVER_TIMEOUT_MS, startTestServer, type TestServer } from "../support/server";
import { startSmtpSink } from "../support/smtp";

let server: TestServer;
let api: Client;

beforeAll(async () => {
  server = await startTestServer({ loginMaxFailures: 3 });
  api = new Client(server.url);
});
afterAll(() => server.close());

async function signedUp(prefix = "user") {
  const user = uniqueUser(prefix);
  const reply = await api.post("/v1/auth/signup", user);
  expect(reply.status).toBe(201);
  return { ...user, id: reply.body.user.id as string };
}

async function loggedIn(prefix = "user") {
  const user = await signedUp(prefix);
  const login = await api.post("/v1/auth/login", { login: user.username, password: user.password });
  expect(login.status).toBe(200);
  return { ...user, access: login.body.access_token as string, refresh: login.body.refresh_token as string };
}

describe("signup", () => {
  test("creates an unverified account and never returns the password", async () => {
    const user = uniqueUser();
    const reply = await api.post("/v1/auth/signup", user);
    expect(reply.status).toBe(201);
    expect(reply.body.user).toMatchObject({
      username: user.username,
      email: user.email,
      email_verified: false,
      display_name: null,
    });
    expect(reply.body.user.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.stringify(reply.body)).not.toContain(user.password);
    expect(JSON.stringify(reply.body)).not.toContain("argon2");
  });

  test("a username or email taken in any letter case is a 409 naming the field", async () => {
    const user = await signedUp();
    const sameName = await api.post("/v1/auth/signup", { ...uniqueUser(), username: user.username.toUpperCase() });
    expect(sameName.status).toBe(409);
    expect(sameName.body.error.code).toBe("conflict");
    expect(sameName.body.error.details[0].field).toBe("username");
    const sameEmail = await api.post("/v1/auth/signup", { ...uniqueUser(), email: user.email.toUpperCase() });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.error.details[0].field).toBe("email");
  });

  test("twenty concurrent signups for one username create exactly one account", async () => {
    const name = uniqueUser("race").username;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.post("/v1/auth/signup", { ...uniqueUser(`r${i}`), username: name })),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(19);
  });

  test("a bad username, email or short password is a 400 naming each field", async () => {
    const reply = await api.post("/v1/auth/signup", { username: "a b", email: "not-an-email", password: "short" });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe("validation_failed");
    const fields = reply.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["username", "email", "password"]));
  });
});

describe("email verification", () => {
  test("the mailed token verifies the address once", async () => {
    const user = await signedUp();
    const mail = await server.outbox.latest(user.email, /verify/i);
    const token = tokenIn(mail);
    const verified = await api.post("/v1/auth/verify-email", { token });
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ id: user.id, email_verified: true });
    const again = await api.post("/v1/auth/verify-email", { token });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe("validation_failed");
  });

  test("the mail links to the web app's page on the server it came from (also when it listens on port 0)", async () => {
    const user = await signedUp();
    const token = tokenIn(await server.outbox.latest(user.email, /verify/i));
    const link = /Or open: (\S+)/.exec((await server.outbox.latest(user.email, /verify/i)).text ?? "")?.[1];
    expect(link).toBe(`http://localhost:${server.port}/verify-email?token=${token}`);
    const page = await fetch(link!.replace("localhost", "127.0.0.1"));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
  });

  test("an unknown token is refused", async () => {
    const reply = await api.post("/v1/auth/verify-email", { token: "made-up-token" });
    expect(reply.status).toBe(400);
  });
});

describe("login", () => {
  test("works by username or by email in any case, and the access token opens /v1/users/me", async () => {
    const user = await signedUp();
    for (const login of [user.username, user.email.toUpperCase()]) {
      const reply = await api.post("/v1/auth/login", { login, password: user.password });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ token_type: "Bearer", expires_in: 900, user: { id: user.id } });
      const me = await api.as(reply.body.access_token).get("/v1/users/me");
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: user.id, username: user.username, email: user.email });
    }
  });

  test("a wrong password and an unknown account get the same 401", async () => {
    const user = await signedUp();
    const wrong = await api.post("/v1/auth/login", { login: user.username, password: "not the password" });
    const unknown = await api.post("/v1/auth/login", { login: "nobody-here", password: "not the password" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  test("repeated failures are refused with 429 and Retry-After, even with the right password", async () => {
    const user = await signedUp();
    for (let i = 0; i < 3; i++) {
      expect((await api.post("/v1/auth/login", { login: user.username, password: "wrong password" })).status).toBe(401);
    }
    const blocked = await api.post("/v1/auth/login", { login: user.username, password: user.password });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe("rate_limited");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("login limits per client address", () => {
  test(
    "one address gets 10x the per-account failures across accounts, then every login from it is refused",
    async () => {
      // A server of its own: other tests' failures from this address must not count. 1 failure per account,
      // so 10 per address.
      const own = await startTestServer({ loginMaxFailures: 1 });
      try {
        const client = new Client(own.url);
        const user = uniqueUser("addr");
        expect((await client.post("/v1/auth/signup", user)).status).toBe(201);
        // Ten different account names, each failing once: each stays within its own limit.
        for (let i = 0; i < 10; i++) {
          const reply = await client.post("/v1/auth/login", {
            login: `nobody-${i}-${user.username}`,
            password: "wrong",
          });
          expect(reply.status).toBe(401);
        }
        const blocked = await client.post("/v1/auth/login", { login: user.username, password: user.password });
        expect(blocked.status).toBe(429);
        expect(blocked.body.error.code).toBe("rate_limited");
        expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      } finally {
        await own.close();
      }
    },
    OWN_SERVER_TIMEOUT_MS,
  );
});

describe("refresh tokens", () => {
  test("rotate: the new pair works and the old refresh token stops working", async () => {
    const user = await loggedIn();
    const rotated = await api.post("/v1/auth/refresh", { refresh_token: user.refresh });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(user.refresh);
    expect((await api.as(rotated.body.access_token).get("/v1/users/me")).status).toBe(200);
    const old = await api.post("/v1/auth/refresh", { refresh_token: user.refresh });
    expect(old.status).toBe(401);
  });

  test("presenting a rotated token revokes the whole family, including the newest token", async () => {
    const user = await loggedIn();
    const first = await api.post("/v1/auth/refresh", { refresh_token: user.refresh });
    const second = await api.post("/v1/auth/refresh", { refresh_token: first.body.refresh_token });
    expect(second.status).toBe(200);
    expect((await api.post("/v1/auth/refresh", { refresh_token: user.refresh })).status).toBe(401);
    expect((await api.post("/v1/auth/refresh", { refresh_token: second.body.refresh_token })).status).toBe(401);
  });

  test("another login's session survives a theft detected in one family", async () => {
    const user = await loggedIn();
    const other = await api.post("/v1/auth/login", { login: user.username, password: user.password });
    await api.post("/v1/auth/refresh", { refresh_token: user.refresh });
    await api.post("/v1/auth/refresh", { refresh_token: user.refresh });
    expect((await api.post("/v1/auth/refresh", { refresh_token: other.body.refresh_token })).status).toBe(200);
  });

  test("logout ends the session; other sessions go on", async () => {
    const user = await loggedIn();
    const other = await api.post("/v1/auth/login", { login: user.username, password: user.password });
    const out = await api.as(user.access).post("/v1/auth/logout", { refresh_token: user.refresh });
    expect(out.status).toBe(204);
    expect((await api.post("/v1/auth/refresh", { refresh_token: user.refresh })).status).toBe(401);
    expect((await api.post("/v1/auth/refresh", { refresh_token: other.body.refresh_token })).status).toBe(200);
  });

  test("logout cannot end another user's session", async () => {
    const victim = await loggedIn("victim");
    const attacker = await loggedIn("attacker");
    const out = await api.as(attacker.access).post("/v1/auth/logout", { refresh_token: victim.refresh });
    expect(out.status).toBe(204);
    expect((await api.post("/v1/auth/refresh", { refresh_token: victim.refresh })).status).toBe(200);
  });
});

describe("password reset", () => {
  test("forgot answers 202 for known and unknown addresses and mails only the known one", async () => {
    const user = await signedUp();
    const ghost = uniqueUser("ghost").email;
    // The unknown address first: its mail, if any were sent, would come before the known one's.
    const unknown = await api.post("/v1/auth/password/forgot", { email: ghost });
    const known = await api.post("/v1/auth/password/forgot", { email: user.email });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    await server.outbox.latest(user.email, /reset/i);
    const mails = await server.outbox.all();
    expect(mails.some((m) => JSON.stringify(m.to).includes(ghost))).toBe(false);
  });

  test("reset sets the new password, signs out every session and works once", async () => {
    const user = await loggedIn();
    await api.post("/v1/auth/password/forgot", { email: user.email });
    const token = tokenIn(await server.outbox.latest(user.email, /reset/i));
    const newPassword = "a brand new passphrase";
    expect((await api.post("/v1/auth/password/reset", { token, password: newPassword })).status).toBe(204);
    expect((await api.post("/v1/auth/refresh", { refresh_token: user.refresh })).status).toBe(401);
    expect((await api.post("/v1/auth/login", { login: user.username, password: user.password })).status).toBe(401);
    const login = await api.post("/v1/auth/login", { login: user.username, password: newPassword });
    expect(login.status).toBe(200);
    expect(login.body.user.email_verified).toBe(true);
    expect((await api.post("/v1/auth/password/reset", { token, password: "yet another one" })).status).toBe(400);
  });

  test("a new password shorter than 8 characters is refused", async () => {
    const reply = await api.post("/v1/auth/password/reset", { token: "whatever", password: "short" });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details[0].field).toBe("password");
  });
});

describe("users", () => {
  test("PATCH /v1/users/me sets and clears the display name", async () => {
    const user = await loggedIn();
    const me = api.as(user.access);
    const set = await me.patch("/v1/users/me", { display_name: "  Alice A.  " });
    expect(set.status).toBe(200);
    expect(set.body.display_name).toBe("Alice A.");
    expect((await me.get("/v1/users/me")).body.display_name).toBe("Alice A.");
    expect((await me.patch("/v1/users/me", { display_name: null })).body.display_name).toBeNull();
    expect((await me.patch("/v1/users/me", { email: "x@y.z" })).status).toBe(400);
  });

  test("another user's profile is public fields only", async () => {
    const viewer = await loggedIn();
    const other = await signedUp("other");
    const profile = await api.as(viewer.access).get(`/v1/users/${other.id}`);
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual({
      id: other.id,
      username: other.username,
      display_name: null,
      created_at: expect.any(String),
    });
    expect((await api.as(viewer.access).get(`/v1/users/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await api.as(viewer.access).get("/v1/users/not-a-uuid")).status).toBe(400);
  });
});

describe("mail over SMTP", () => {
  test("with SMTP_URL set, the verification mail reaches the SMTP server and its token verifies", async () => {
    const sink = await startSmtpSink();
    const smtpServer = await startTestServer({ smtpUrl: `smtp://127.0.0.1:${sink.port}` });
    try {
      const client = new Client(smtpServer.url);
      const user = uniqueUser("smtp");
      expect((await client.post("/v1/auth/signup", user)).status).toBe(201);
      const mail = sink.mails.find((m) => addresses(m).includes(user.email));
      expect(mail?.subject).toMatch(/verify/i);
      const verified = await client.post("/v1/auth/verify-email", { token: tokenIn(mail!) });
      expect(verified.body.user.email_verified).toBe(true);
    } finally {
      await smtpServer.close();
      await sink.close();
    }
  });
});
