// A Redis outage, as users and operators see it (the degraded mode in the README): with presence and
// limits on a Redis that dies, limits fail closed with prompt 503 `unavailable` answers (never a hang,
// never a request let through), /readyz names limiter and presence, presence degrades without failing
// frames or crashing anything; once Redis is back the same server recovers by itself, and presence
// converges again although the restarted Redis lost every entry. Runs its OWN redis-server on a free
// port (never the shared one on 6379).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { reachable } from "../support/services";
import { WsClient } from "../support/ws";

/** The server's Redis timeout: every failing call must answer well within a few of these. */
const TIMEOUT_MS = 500;
const PRESENCE_TTL_SECONDS = 3;

const binary = Bun.which("redis-server");
if (!binary) {
  if (process.env.CI === "true") throw new Error("redis-server not found (CI=true: the Redis outage test must run)");
  console.warn("\n*** SKIPPED: redis-server not found — run scripts/services/redis start ***\n");
}
const suite = binary ? describe : describe.skip;

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** A throwaway redis-server on loopback, no persistence: a restart comes back empty. */
async function startRedis(port: number) {
  const proc = Bun.spawn(
    [binary as string, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdout: "ignore", stderr: "inherit" },
  );
  const started = performance.now();
  while (!(await reachable("127.0.0.1", port, 200))) {
    if (proc.exitCode !== null || performance.now() - started > 10_000)
      throw new Error(`redis-server on port ${port} did not start`);
    await Bun.sleep(20);
  }
  return proc;
}

async function timed<T>(request: () => Promise<T>): Promise<{ reply: T; ms: number }> {
  const started = performance.now();
  const reply = await request();
  return { reply, ms: performance.now() - started };
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, withinMs: number): Promise<T> {
  const started = performance.now();
  let value = await probe();
  while (!done(value) && performance.now() - started < withinMs) {
    await Bun.sleep(100);
    value = await probe();
  }
  return value;
}

suite("a Redis outage", () => {
  let port: number;
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let server: TestServer;
  let user: TestUser;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    process.on("unhandledRejection", onRejection);
    port = await freePort();
    redis = await startRedis(port);
    server = await startTestServer({
      redisUrl: `redis://127.0.0.1:${port}`,
      redisTimeoutMs: TIMEOUT_MS,
      presenceTtlSeconds: PRESENCE_TTL_SECONDS,
    });
    user = await newUser(server.url, "redisdown");
  }, 60_000);

  afterAll(async () => {
    process.off("unhandledRejection", onRejection);
    await server?.close();
    redis?.kill("SIGKILL");
    await redis?.exited;
  }, 60_000);

  test("limits fail closed promptly and presence degrades while Redis is down; the same server recovers by itself", async () => {
    const anonymous = new Client(server.url);
    const login = () => anonymous.post("/v1/auth/login", { login: user.username, password: user.password });
    const room = (await user.api.post("/v1/rooms", { name: "outage", type: "public" })).body;
    const presence = () => user.api.get(`/v1/rooms/${room.id}/presence`);
    const ws = await WsClient.connect(server.url, user.api.token as string);
    await ws.subscribe(room.id);
    expect((await presence()).body.online.map((u: { user_id: string }) => u.user_id)).toEqual([user.id]);
    const myStatus = () => user.api.get(`/v1/users/presence?ids=${user.id}`);
    expect((await myStatus()).body.users[0].status).toBe("online");

    redis?.kill("SIGKILL");
    await redis?.exited;

    // Rate-limited routes: a catalog 503, bounded by the timeout; nothing gets through unlimited.
    for (const call of [
      login,
      () => anonymous.post("/v1/auth/login", { login: user.username, password: "wrong password" }),
      () => user.api.post(`/v1/rooms/${room.id}/messages`, { content: "while redis is down" }),
    ]) {
      const { reply, ms } = await timed(call);
      expect(reply.status).toBe(503);
      expect(reply.body.error.code).toBe("unavailable");
      expect(ms).toBeLessThan(3 * TIMEOUT_MS);
    }
    expect((await user.api.get(`/v1/rooms/${room.id}/messages`)).body.messages).toEqual([]);
    const ready = await timed(() => anonymous.get("/readyz"));
    expect(ready.reply.status).toBe(503);
    expect(ready.reply.body.error.message).toContain("limiter");
    expect(ready.reply.body.error.message).toContain("presence");
    expect(ready.reply.body.checks).toMatchObject({ storage: "ok", bus: "ok", mail: "ok" });
    expect(ready.ms).toBeLessThan(3 * TIMEOUT_MS);
    expect(await presence()).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
    expect(await myStatus()).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });

    // The gateway: a send fails with `unavailable`, typing many times over is not abuse, and
    // subscribing, unsubscribing and closing go on without presence.
    const send = await ws.request({ type: "message.send", room_id: room.id, content: "ws while down" });
    expect(send).toMatchObject({ type: "error", code: "unavailable" });
    for (let i = 0; i < 30; i++) ws.send({ type: "typing", room_id: room.id });
    const other = await WsClient.connect(server.url, user.api.token as string);
    const subscribed = await other.request({ type: "subscribe", room_id: room.id });
    expect(subscribed.type).toBe("subscribed");
    expect((await other.request({ type: "ping" })).type).toBe("pong");
    expect(other.frames.filter((f) => f.type === "error")).toEqual([]);
    await other.close();
    expect((await ws.request({ type: "ping" })).type).toBe("pong");
    expect(ws.frames.filter((f) => f.type === "error").every((f) => f.code === "unavailable")).toBe(true);

    redis = await startRedis(port);

    // No restart of chatd: the clients reconnect by themselves, and "ready" means limits work again.
    const back = await eventually(
      () => anonymous.get("/readyz"),
      (r) => r.status === 200,
      30_000,
    );
    expect(back.body).toMatchObject({ status: "ready" });
    expect((await login()).status).toBe(200);
    const sent = await user.api.post(`/v1/rooms/${room.id}/messages`, { content: "redis is back" });
    expect(sent.status).toBe(201);
    // The restarted Redis is empty; the process re-enters what it holds within a third of the TTL.
    const online = await eventually(
      presence,
      (r) => r.status === 200 && r.body.online.length === 1,
      3000 * PRESENCE_TTL_SECONDS,
    );
    expect(online.body.online.map((u: { user_id: string }) => u.user_id)).toEqual([user.id]);
    // So is the user's own status (its connection's entry), and last_seen_at starts afresh with it.
    const status = await eventually(
      myStatus,
      (r) => r.status === 200 && r.body.users[0].status === "online",
      3000 * PRESENCE_TTL_SECONDS,
    );
    expect(status.body.users[0].last_seen_at).not.toBeNull();
    await ws.close();
    expect(rejections).toEqual([]);
  }, 120_000);

  test("a server started while Redis is down serves what does not need it, and comes ready when Redis starts", async () => {
    const laterPort = await freePort();
    const early = await startTestServer({
      redisUrl: `redis://127.0.0.1:${laterPort}`,
      redisTimeoutMs: TIMEOUT_MS,
      presenceTtlSeconds: PRESENCE_TTL_SECONDS,
    });
    let late: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      const anonymous = new Client(early.url);
      expect((await anonymous.get("/healthz")).status).toBe(200);
      const { reply, ms } = await timed(() => anonymous.post("/v1/auth/login", { login: "nobody", password: "x" }));
      expect(reply).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
      expect(ms).toBeLessThan(3 * TIMEOUT_MS);
      expect((await anonymous.get("/readyz")).status).toBe(503);

      late = await startRedis(laterPort);
      const ready = await eventually(
        () => anonymous.get("/readyz"),
        (r) => r.status === 200,
        30_000,
      );
      expect(ready.body).toMatchObject({ status: "ready" });
      expect((await newUser(early.url, "late")).id).toBeString();
    } finally {
      await early.close();
      late?.kill("SIGKILL");
      await late?.exited;
    }
    expect(rejections).toEqual([]);
  }, 60_000);
});
