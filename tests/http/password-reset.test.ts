// Password reset over real HTTP: forgot-password cannot be used to flood an inbox (limits per address
// and per client, always 202), and a reset ends every other reset token of the account. Each test has
// its own server: the per-client limit counts every request this test process makes (one address).
import { afterAll, expect, test } from "bun:test";
import { Client, uniqueUser } from "../support/client";
import { addresses, tokenIn } from "../support/outbox";
import { startTestServer, type TestServer } from "../support/server";

const servers: TestServer[] = [];
/** Tests here start their own servers: on Cassandra (a keyspace each) that takes seconds. */
const SERVER_TEST_MS = 60_000;
afterAll(() => Promise.all(servers.map((s) => s.close())), SERVER_TEST_MS);

async function fresh() {
  const server = await startTestServer();
  servers.push(server);
  return { server, api: new Client(server.url) };
}

async function signedUp(api: Client) {
  const user = uniqueUser("reset");
  expect((await api.post("/v1/auth/signup", user)).status).toBe(201);
  return user;
}

/** The mail to `email` that `action` makes the server write (waits for one more than there were). */
async function nextMail(server: TestServer, email: string, action: () => Promise<unknown>) {
  const to = async () => (await server.outbox.all()).filter((m) => addresses(m).includes(email));
  const before = (await to()).length;
  await action();
  for (const deadline = Date.now() + 3000; Date.now() < deadline; await Bun.sleep(10)) {
    const mails = await to();
    if (mails.length > before) return mails.at(-1)!;
  }
  throw new Error(`no new mail to ${email}`);
}

/** The reset mails the server wrote, once it has stopped (so every mail it started is written). */
async function resetMailsAfterStop(server: TestServer) {
  await server.stop();
  return (await server.outbox.all()).filter((m) => /reset/i.test(m.subject ?? ""));
}

test(
  "30 forgot-password requests for one address: every one answers 202, the address gets 3 mails",
  async () => {
    const { server, api } = await fresh();
    const user = await signedUp(api);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => api.post("/v1/auth/password/forgot", { email: user.email })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(202));
    expect(new Set(replies.map((r) => JSON.stringify(r.body)))).toEqual(new Set(['{"status":"accepted"}']));
    const mails = await resetMailsAfterStop(server);
    expect(mails.filter((m) => addresses(m).includes(user.email))).toHaveLength(3);
  },
  SERVER_TEST_MS,
);

test(
  "one client asking for many addresses gets 10 mails sent per hour, and 202 for every request",
  async () => {
    const { server, api } = await fresh();
    const users = await Promise.all(Array.from({ length: 14 }, () => signedUp(api)));
    const replies = [];
    for (const user of users) replies.push(await api.post("/v1/auth/password/forgot", { email: user.email }));
    expect(replies.map((r) => r.status)).toEqual(Array(14).fill(202));
    const mails = await resetMailsAfterStop(server);
    expect(mails).toHaveLength(10);
    const mailed = new Set(mails.flatMap(addresses));
    expect(users.slice(0, 10).every((u) => mailed.has(u.email))).toBe(true);
  },
  SERVER_TEST_MS,
);

test(
  "a reset ends the account's other unused reset tokens; a later forgot-password mails a working one",
  async () => {
    const { server, api } = await fresh();
    const user = await signedUp(api);
    const other = await signedUp(api);
    const forgot = (email: string) =>
      nextMail(server, email, () => api.post("/v1/auth/password/forgot", { email })).then(tokenIn);
    const first = await forgot(user.email);
    const second = await forgot(user.email);
    const othersToken = await forgot(other.email);
    expect(first).not.toBe(second);
    const reset = (token: string, password: string) => api.post("/v1/auth/password/reset", { token, password });
    const login = (password: string) => api.post("/v1/auth/login", { login: user.username, password });

    expect((await reset(second, "the second new one")).status).toBe(204);
    const stale = await reset(first, "the attacker's one");
    expect(stale.status).toBe(400);
    expect(stale.body.error.code).toBe("validation_failed");
    expect((await login("the second new one")).status).toBe(200);
    expect((await login("the attacker's one")).status).toBe(401);
    // Another account's token is untouched, and a token asked for after the reset works.
    expect((await reset(othersToken, "other's new one")).status).toBe(204);
    expect((await reset(await forgot(user.email), "the third one")).status).toBe(204);
    expect((await login("the third one")).status).toBe(200);
  },
  SERVER_TEST_MS,
);
