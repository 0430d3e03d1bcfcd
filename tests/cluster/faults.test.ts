// Faults under a split deployment (one api, two ws processes) on a NATS server of the test's own: NATS
// restarted mid-run. The processes reconnect by themselves, readiness shows the outage, and subscribers
// lose nothing: what was stored while the bus was down reaches them once it is back, in order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { Cluster } from "../support/cluster";
import { OwnNatsServer } from "../support/nats";
import {
  CASSANDRA_HOST,
  CASSANDRA_PORT,
  REDIS_HOST,
  REDIS_PORT,
  requireCommand,
  requireService,
} from "../support/services";
import { messagesIn, WsClient } from "../support/ws";

const needed = [
  await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT),
  await requireService("redis", REDIS_HOST, REDIS_PORT),
  requireCommand("nats-server"),
];
const suite = needed.every((s) => s.up) ? describe : describe.skip;

/** Polls until `check` holds, or fails naming what it waited for. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

suite("split deployment: NATS restarted mid-run", () => {
  let nats: OwnNatsServer;
  let cluster: Cluster;
  const sockets: WsClient[] = [];
  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    cluster = await Cluster.start({ env: { NATS_URL: nats.url } });
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.socket.close();
    await cluster?.close();
    await nats?.destroy();
  }, 60_000);

  const readiness = async (url: string) => {
    const reply = await fetch(`${url}/readyz`);
    return { status: reply.status, body: (await reply.json()) as { checks: Record<string, string> } };
  };

  test("processes reconnect by themselves, readiness shows the outage, subscribers get every message once, in order", async () => {
    const api = cluster.api.url;
    const [ana, bob, cat] = (await Promise.all(["ana", "bob", "cat"].map((n) => newUser(api, n)))) as TestUser[];
    const roomId = (await ana!.api.post("/v1/rooms", { name: "outage", type: "public" })).body.id as string;
    for (const user of [bob!, cat!]) await user.api.post(`/v1/rooms/${roomId}/join`);
    const [onFirst, onSecond] = [
      await WsClient.connect(cluster.ws[0]!.url, bob!.api.token!),
      await WsClient.connect(cluster.ws[1]!.url, cat!.api.token!),
    ];
    sockets.push(onFirst, onSecond);
    await onFirst.subscribe(roomId);
    await onSecond.subscribe(roomId);
    const send = async (content: string) =>
      expect((await ana!.api.post(`/v1/rooms/${roomId}/messages`, { content })).status).toBe(201);
    await send("before");
    await onFirst.next((f) => f.type === "message.created" && f.message.content === "before");

    await nats.stop();
    for (const node of [cluster.api, ...cluster.ws]) {
      await until(`${node.role} to report the bus down`, async () => (await readiness(node.url)).status === 503);
      expect((await readiness(node.url)).body.checks.bus).not.toBe("ok");
    }
    // Storage works: sends succeed (the event is stored; only its publish fails).
    for (let i = 0; i < 3; i++) await send(`during ${i}`);

    await nats.start();
    for (const node of [cluster.api, ...cluster.ws])
      await until(`${node.role} to be ready again`, async () => (await readiness(node.url)).status === 200);
    // Before anything else is sent: the ws processes notice on their own that they missed something.
    for (const client of [onFirst, onSecond])
      await client.next((f) => f.type === "message.created" && f.message.content === "during 2", 10_000);
    await send("after");

    const history = (await ana!.api.get(`/v1/rooms/${roomId}/messages?limit=50`)).body.messages.reverse();
    expect(history.map((m: { content: string }) => m.content)).toEqual([
      "before",
      "during 0",
      "during 1",
      "during 2",
      "after",
    ]);
    for (const client of [onFirst, onSecond]) {
      // The same sockets, never reconnected: the ws processes read what the bus lost from the log.
      await client.collect((f) => f.type === "message.created" && f.room_id === roomId, 5, 20_000);
      expect(messagesIn(client, roomId).map((m) => m.id)).toEqual(history.map((m: { id: string }) => m.id));
      const seqs = client.frames.filter((f) => f.type === "message.created").map((f) => f.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    }
  }, 120_000);
});
