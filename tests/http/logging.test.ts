// What a real server logs while accounts, mail, tokens in URLs and errors go through it: never a
// password, token, secret or email address.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "../../src/log";
import { Client, uniqueUser } from "../support/client";
import { tokenIn } from "../support/outbox";
import { startTestServer, TEST_JWT_SECRET, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

const lines: string[] = [];
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({}, { log: createLogger("debug", {}, (line) => lines.push(line)) });
});
afterAll(() => server.close());

test("a server's log lines carry no password, token, secret or address", async () => {
  const api = new Client(server.url);
  const user = uniqueUser("logs");
  expect((await api.post("/v1/auth/signup", user)).status).toBe(201);
  const verification = tokenIn(await server.outbox.latest(user.email, /verify/i));
  expect((await api.post("/v1/auth/login", { login: user.email, password: "wrong password" })).status).toBe(401);
  const login = await api.post("/v1/auth/login", { login: user.username, password: user.password });
  const { access_token: access, refresh_token: refresh } = login.body;
  expect((await api.post("/v1/auth/password/forgot", { email: user.email })).status).toBe(202);
  const reset = tokenIn(await server.outbox.latest(user.email, /reset/i));
  // Tokens in query strings: the WebSocket upgrade, and any route at all.
  const socket = await WsClient.connect(server.url, access);
  await socket.close();
  await fetch(`${server.url}/v1/nowhere?token=${access}&email=${encodeURIComponent(user.email)}`);
  await api.as(access).get(`/v1/users/me?token=${refresh}`);

  const output = lines.join("\n");
  expect(output).toContain('"msg":"mail written to outbox"');
  expect(output).toContain('"msg":"request"');
  for (const secret of [user.email, user.password, access, refresh, verification, reset, TEST_JWT_SECRET]) {
    expect(secret.length).toBeGreaterThan(5);
    expect(output).not.toContain(secret);
  }
  expect(output).not.toContain("token=");
});
