// User presence in a split deployment (api + ws processes on NATS, Redis and Cassandra): a user on
// one ws process is seen online, idle and offline by a watcher on another, and the users of a ws
// process killed with SIGKILL turn offline for watchers within the stated bound.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { Cluster } from "../support/cluster";
import { NATS_HOST, NATS_PORT } from "../support/nats";
import { CASSANDRA_HOST, CASSANDRA_PORT, REDIS_HOST, REDIS_PORT, requireService } from "../support/services";
import { WsClient } from "../support/ws";

const services = [
  await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT),
  await requireService("nats", NATS_HOST, NATS_PORT),
  await requireService("redis", REDIS_HOST, REDIS_PORT),
];
const suite = services.every((s) => s.up) ? describe : describe.skip;

const TTL_SECONDS = 3;
/**
 * The README's bound for a dead process's users: their entries expire within the TTL, watchers read
 * again every TTL/3, and the coalescing window adds up to a second.
 */
const OFFLINE_BOUND_MS = TTL_SECONDS * 1000 + (TTL_SECONDS * 1000) / 3 + 1000;

suite("user presence across ws processes", () => {
  let cluster: Cluster;
  let api: string;
  const sockets: WsClient[] = [];
  const connect = async (url: string, user: TestUser) => {
    const client = await WsClient.connect(url, user.api.token!);
    sockets.push(client);
    return client;
  };
  const presenceOf = (client: WsClient, user: TestUser, status: string, timeoutMs = 8000) =>
    client.next((f) => f.type === "user.presence" && f.user_id === user.id && f.status === status, timeoutMs);

  beforeAll(async () => {
    cluster = await Cluster.start({ env: { PRESENCE_TTL_SECONDS: String(TTL_SECONDS) } });
    api = cluster.api.url;
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.socket.close();
    await cluster?.close();
  }, 60_000);

  test("a DM partner on the other ws process sees the user online, idle, and offline; the api process agrees", async () => {
    const [ana, bob] = await Promise.all([newUser(api, "ana"), newUser(api, "bob")]);
    await ana.api.post("/v1/dms", { user_id: bob.id });
    const bobWs = await connect(cluster.ws[1]!.url, bob);
    await Bun.sleep(300); // his DM partners are looked up as the connection opens
    const anaWs = await connect(cluster.ws[0]!.url, ana);
    await presenceOf(bobWs, ana, "online");
    expect((await bob.api.get(`/v1/users/presence?ids=${ana.id}`)).body.users[0].status).toBe("online");
    await anaWs.request({ type: "presence.set", status: "idle" });
    await presenceOf(bobWs, ana, "idle");
    await anaWs.close();
    const offline = await presenceOf(bobWs, ana, "offline");
    expect(Date.now() - Date.parse(offline.last_seen_at)).toBeLessThan(5000);
  }, 60_000);

  test("a ws process killed with SIGKILL: a watcher elsewhere sees its users offline within the bound", async () => {
    const [carol, dave] = await Promise.all([newUser(api, "carol"), newUser(api, "dave")]);
    const room = (await carol.api.post("/v1/rooms", { name: "crash", type: "public" })).body.id as string;
    await dave.api.post(`/v1/rooms/${room}/join`);
    const doomed = await cluster.startNode("ws");
    const daveWs = await connect(cluster.ws[0]!.url, dave);
    const watched = await daveWs.request({ type: "presence.watch", user_ids: [carol.id] });
    expect(watched.users).toEqual([{ user_id: carol.id, status: "offline", last_seen_at: null }]);
    await connect(doomed.url, carol);
    await presenceOf(daveWs, carol, "online");
    await doomed.kill();
    const killedAt = Date.now();
    const offline = await presenceOf(daveWs, carol, "offline", OFFLINE_BOUND_MS + 5000);
    const took = Date.now() - killedAt;
    console.log(`user offline ${took} ms after SIGKILL (bound ${OFFLINE_BOUND_MS} ms)`);
    expect(took).toBeLessThan(OFFLINE_BOUND_MS + 1000);
    expect(offline.last_seen_at).not.toBeNull();
  }, 60_000);
});
