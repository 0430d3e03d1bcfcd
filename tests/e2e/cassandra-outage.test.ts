// A Cassandra outage, as users and operators see it: with a server on Cassandra, stopping Cassandra
// turns storage routes into prompt 503 `unavailable` answers (never a hang, never a 500) and /readyz
// into a 503 naming storage; sends that failed publish nothing and take no position; once Cassandra
// is back the same server recovers by itself. Stops and
// starts the node of scripts/services/cassandra, and always leaves it running.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Client, newUser, type TestUser, uniqueUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import {
  CASSANDRA_CONTACT_POINT,
  CASSANDRA_HOST,
  CASSANDRA_PORT,
  reachable,
  requireService,
} from "../support/services";
import { messagesIn, WsClient } from "../support/ws";

const cassandra = await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT);
const script = join(import.meta.dir, "..", "..", "scripts", "services", "cassandra");
/** The server's per-request Cassandra timeout: every failing request must answer well within a few of these. */
const TIMEOUT_MS = 2000;

async function service(command: "start" | "stop" | "status") {
  const proc = Bun.spawn([script, command], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, output: out + err };
}

/**
 * Stops the node and makes sure it is down: `stop` only stops a node that scripts/services/cassandra
 * started, and exits 0 ("not running") for any other, which would leave this test asserting an outage
 * that never happened.
 */
async function stopCassandra() {
  const status = await service("status");
  if (!/running \(pid \d+\)/.test(status.output))
    throw new Error(
      `the Cassandra on ${CASSANDRA_CONTACT_POINT} was not started by scripts/services/cassandra, so this test ` +
        `cannot stop it; stop that node and let the script start one (status said: ${status.output.trim()})`,
    );
  const stopped = await service("stop");
  if (stopped.code !== 0) throw new Error(`scripts/services/cassandra stop failed: ${stopped.output.trim()}`);
  // The process is gone once stop returns; nothing may answer on the port any more.
  const deadline = Date.now() + 10_000;
  while (await reachable(CASSANDRA_HOST, CASSANDRA_PORT, 500)) {
    if (Date.now() > deadline)
      throw new Error(
        `scripts/services/cassandra stop returned, but ${CASSANDRA_CONTACT_POINT} still accepts connections: ` +
          `another node is listening there (stop output: ${stopped.output.trim()})`,
      );
    await Bun.sleep(100);
  }
  if ((await service("status")).code === 0)
    throw new Error(`CQL still answers on ${CASSANDRA_CONTACT_POINT} after scripts/services/cassandra stop`);
}

/** Runs `request` and says how long it took. */
async function timed<T>(request: () => Promise<T>): Promise<{ reply: T; ms: number }> {
  const started = performance.now();
  const reply = await request();
  return { reply, ms: performance.now() - started };
}

cassandra.describe("a Cassandra outage", () => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer({
      cassandraContactPoints: [CASSANDRA_CONTACT_POINT],
      cassandraTimeoutMs: TIMEOUT_MS,
    });
    user = await newUser(server.url, "outage");
  }, 60_000);

  afterAll(async () => {
    if ((await service("status")).code !== 0) await service("start");
    await server?.close();
  }, 240_000);

  test("storage routes answer 503 promptly while Cassandra is down, and the same server recovers when it returns", async () => {
    const anonymous = new Client(server.url);
    expect((await user.api.get("/v1/users/me")).status).toBe(200);
    const room = (await user.api.post("/v1/rooms", { name: "outage", type: "public" })).body.id as string;
    const watcher = await WsClient.connect(server.url, user.api.token!);
    await watcher.subscribe(room);
    const send = (content: string) => user.api.post(`/v1/rooms/${room}/messages`, { content });
    for (const content of ["before 1", "before 2"]) expect((await send(content)).status).toBe(201);

    const stopped = await timed(() => stopCassandra());

    // Sends while storage is down: 503 over REST, an `unavailable` error frame over the WebSocket.
    for (let i = 0; i < 3; i++) {
      const { reply, ms } = await timed(() => send(`lost ${i}`));
      expect(reply.status).toBe(503);
      expect(ms).toBeLessThan(3 * TIMEOUT_MS);
    }
    expect(
      await watcher.request({ type: "message.send", room_id: room, content: "lost ws" }, 3 * TIMEOUT_MS),
    ).toMatchObject({ type: "error", code: "unavailable" });

    // Reads and writes alike: a catalog 503, bounded by the timeout.
    for (const call of [
      () => user.api.get("/v1/users/me"),
      () => anonymous.post("/v1/auth/signup", uniqueUser("down")),
    ]) {
      const { reply, ms } = await timed(call);
      expect(reply.status).toBe(503);
      expect(reply.body.error.code).toBe("unavailable");
      expect(ms).toBeLessThan(3 * TIMEOUT_MS);
    }
    const ready = await timed(() => anonymous.get("/readyz"));
    expect(ready.reply.status).toBe(503);
    expect(ready.reply.body.error.message).toContain("storage");
    expect(ready.reply.body.checks.storage).not.toBe("ok");
    expect(ready.reply.body.checks.mail).toBe("ok");
    expect(ready.ms).toBeLessThan(3 * TIMEOUT_MS);

    const started = await timed(() => service("start"));
    expect(started.reply.code).toBe(0);

    // No restart of chatd: the driver reconnects by itself, and "ready" means storage routes work again.
    const since = performance.now();
    let recovered = await timed(() => anonymous.get("/readyz"));
    while (recovered.reply.status !== 200 && performance.now() - since < 60_000) {
      expect(recovered.ms).toBeLessThan(3 * TIMEOUT_MS);
      await Bun.sleep(250);
      recovered = await timed(() => anonymous.get("/readyz"));
    }
    const recoveryMs = performance.now() - since;
    expect(recovered.reply.body).toMatchObject({ status: "ready" });
    expect(await user.api.get("/v1/users/me")).toMatchObject({ status: 200, body: { id: user.id } });
    expect((await anonymous.post("/v1/auth/signup", uniqueUser("back"))).status).toBe(201);

    // Nothing that failed was published or took a position: the subscriber got exactly what is stored,
    // the positions run on without a hole, and the next sends follow at once.
    for (const content of ["after 1", "after 2"]) expect((await send(content)).status).toBe(201);
    await watcher.next((f) => f.type === "message.created" && f.message.content === "after 2", 10_000);
    const history = (await user.api.get(`/v1/rooms/${room}/messages?limit=50`)).body.messages.reverse();
    expect(history.map((m: { content: string }) => m.content)).toEqual(["before 1", "before 2", "after 1", "after 2"]);
    expect(messagesIn(watcher, room)).toEqual(history);
    const positions = history.map((m: { seq: number }) => m.seq);
    expect(positions).toEqual(positions.map((_: number, i: number) => positions[0] + i));
    await watcher.close();
    console.log(
      `cassandra outage: stop took ${Math.round(stopped.ms)} ms, start ${Math.round(started.ms)} ms; ` +
        `chatd ready again ${Math.round(recoveryMs)} ms after the start returned`,
    );
  }, 180_000);
});
