// A NATS outage, as users and operators see it: with a server on a nats-server of the test's own,
// stopping NATS turns /readyz into a 503 naming the bus and makes publishes fail at once (a message
// sent meanwhile is still stored); once NATS is back on the same port, the same process reconnects by
// itself, its room subscriptions deliver again and readiness recovers. Never touches the shared NATS.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { AppError } from "../../src/domain/errors";
import { Client, newUser, type TestUser } from "../support/client";
import { OwnNatsServer } from "../support/nats";
import { startTestServer, type TestServer } from "../support/server";
import { requireCommand } from "../support/services";
import { missedMessages, WsClient } from "../support/ws";

const natsServer = requireCommand("nats-server");

let nats: OwnNatsServer;
let server: TestServer;
let user: TestUser;

natsServer.describe("a NATS outage", () => {
  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    server = await startTestServer({ natsUrl: [nats.url] });
    user = await newUser(server.url, "outage");
  }, 30_000);

  afterAll(async () => {
    await nats?.start().catch(() => {});
    await server?.close();
    await nats?.destroy();
  }, 30_000);

  /** Polls until `check` holds (or fails after `timeoutMs`). */
  async function until(check: () => Promise<boolean>, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await Bun.sleep(50);
    }
  }

  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: unknown) => error,
    );

  test("NATS down: readiness names the bus and publishes fail fast; NATS back: the same process delivers again", async () => {
    const ops = new Client(server.url);
    const room = (await user.api.post("/v1/rooms", { name: "outage", type: "public" })).body.id as string;
    const socket = await WsClient.connect(server.url, user.api.token!);
    try {
      await socket.subscribe(room);
      const before = (await user.api.post(`/v1/rooms/${room}/messages`, { content: "before" })).body.id as string;
      await socket.next((f) => f.type === "message.created" && f.message.id === before);
      expect((await ops.get("/readyz")).status).toBe(200);

      await nats.stop();
      await until(async () => (await ops.get("/readyz")).status === 503);
      const down = await ops.get("/readyz");
      expect(down.body.error).toMatchObject({ code: "unavailable" });
      expect(down.body.error.message).toContain("bus");
      expect(down.body.checks.bus).not.toBe("ok");
      expect(down.body.checks.storage).toBe("ok");

      // Publishing fails at once with the catalog error instead of queueing.
      for (const attempt of [
        server.backends.bus.publish("chat.room.x", new TextEncoder().encode("{}")),
        server.backends.stream.append("chat.events.x", new TextEncoder().encode("{}"), { msgId: crypto.randomUUID() }),
      ]) {
        const error = await rejection(attempt);
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe("unavailable");
      }
      // A message sent meanwhile is stored; only its publish fails.
      const during = await user.api.post(`/v1/rooms/${room}/messages`, { content: "during" });
      expect(during.status).toBe(201);

      await nats.start();
      await until(async () => (await ops.get("/readyz")).status === 200);

      // The subscription the process held before the outage delivers again, to the same socket, and the
      // room's feed reads what the bus lost meanwhile from the log: the socket gets it once, in order.
      const after = (await user.api.post(`/v1/rooms/${room}/messages`, { content: "after" })).body.id as string;
      await socket.next((f) => f.type === "message.created" && f.message.id === after);
      const live = socket.frames.filter((f) => f.type === "message.created").map((f) => f.message.content);
      expect(live.slice(-2)).toEqual(["during", "after"]);
      expect(live.filter((content) => content === "during")).toHaveLength(1);
      // A client that resubscribes from before the outage gets the same from the log.
      const recovered = await socket.subscribe(room, before);
      expect(missedMessages(recovered).map((m: { content: string }) => m.content)).toEqual(["during", "after"]);
      // The event stream takes appends again.
      const appended = await server.backends.stream.append("chat.events.x", new TextEncoder().encode("{}"), {
        msgId: crypto.randomUUID(),
      });
      expect(appended.duplicate).toBe(false);
    } finally {
      await socket.close();
    }
  }, 60_000);
});
