// The indexer's feed through a NATS outage (a nats-server of the test's own; a server on it runs the
// indexer in-process, role all, from JetStream into SQLite FTS5): a message sent while NATS is down is
// stored (201) but cannot reach the stream; once NATS is back, the process appends it by itself and it
// becomes searchable, with no later event in its room to reveal the gap. Never touches the shared NATS.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { OwnNatsServer } from "../support/nats";
import { startTestServer, type TestServer } from "../support/server";
import { requireCommand } from "../support/services";

const natsServer = requireCommand("nats-server");

let nats: OwnNatsServer;
let server: TestServer;
let user: TestUser;

natsServer.describe("the search feed through a NATS outage", () => {
  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    server = await startTestServer({ natsUrl: [nats.url] });
    user = await newUser(server.url, "feed");
  }, 30_000);

  afterAll(async () => {
    await nats?.start().catch(() => {});
    await server?.close();
    await nats?.destroy();
  }, 30_000);

  const found = async (q: string) =>
    ((await user.api.get(`/v1/search/messages?q=${q}`)).body.results ?? []).map(
      (r: { message: { id: string } }) => r.message.id,
    ) as string[];

  async function until(check: () => Promise<boolean>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await Bun.sleep(50);
    }
  }

  test("a message stored while NATS was down becomes searchable once NATS is back, by itself", async () => {
    const room = (await user.api.post("/v1/rooms", { name: "feed outage", type: "public" })).body.id as string;
    const [before, during] = [`b${crypto.randomUUID().slice(0, 8)}`, `d${crypto.randomUUID().slice(0, 8)}`];
    const first = (await user.api.post(`/v1/rooms/${room}/messages`, { content: before })).body.id as string;
    await until(async () => (await found(before)).includes(first));

    await nats.stop();
    await until(async () => (await user.api.get("/readyz")).status === 503);
    const sent = await user.api.post(`/v1/rooms/${room}/messages`, { content: during });
    expect(sent.status).toBe(201);
    expect(await found(during)).toEqual([]);

    await nats.start();
    await until(async () => (await found(during)).includes(sent.body.id));
    // Everything is on the stream again: the watermark passes the message sent during the outage.
    await until(async () => {
      const reply = await user.api.get(`/v1/search/messages?q=${during}`);
      return reply.body.indexed_through !== null && reply.body.indexed_through >= sent.body.created_at;
    });
  }, 60_000);
});
