// Mentions, pins and threads in the split deployment (one api and two ws processes on Cassandra, NATS
// and Redis): a mention made on the api or on one ws process reaches the user's sockets on the other
// ws process; @here sees who is online on any process; pin and thread events recover on another one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { Cluster } from "../support/cluster";
import { NATS_HOST, NATS_PORT } from "../support/nats";
import { CASSANDRA_HOST, CASSANDRA_PORT, REDIS_HOST, REDIS_PORT, requireService } from "../support/services";
import { type Frame, WsClient } from "../support/ws";

const services = [
  await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT),
  await requireService("nats", NATS_HOST, NATS_PORT),
  await requireService("redis", REDIS_HOST, REDIS_PORT),
];
const suite = services.every((s) => s.up) ? describe : describe.skip;

suite("split deployment: mentions, pins and threads across processes", () => {
  let cluster: Cluster;
  let api: string;
  let ana: TestUser;
  let bob: TestUser;
  const sockets: WsClient[] = [];
  const connect = async (node: number, user: TestUser) => {
    const client = await WsClient.connect(cluster.ws[node]!.url, user.api.token!);
    sockets.push(client);
    return client;
  };

  beforeAll(async () => {
    cluster = await Cluster.start();
    api = cluster.api.url;
    [ana, bob] = [await newUser(api, "ana"), await newUser(api, "bob")];
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.socket.close();
    await cluster?.close();
  }, 60_000);

  test("a mention from the api or from one ws process reaches the user's socket on the other, unsubscribed", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "split mentions", type: "public" })).body.id;
    await bob.api.post(`/v1/rooms/${room}/join`);
    const [anaWs, bobWs] = [await connect(0, ana), await connect(1, bob)];
    const byApi = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `@${bob.username} from api` })).body;
    expect((await bobWs.next((f) => f.type === "mention" && f.message.id === byApi.id)).room_id).toBe(room);
    await anaWs.subscribe(room);
    const byWs = await anaWs.request({ type: "message.send", room_id: room, content: `@${bob.username} from ws` });
    await bobWs.next((f) => f.type === "mention" && f.message.id === byWs.message.id);
  });

  test("@here reaches a member online on another ws process; pins and threads recover on the other process", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "split depth", type: "public" })).body.id;
    await bob.api.post(`/v1/rooms/${room}/join`);
    const bobWs = await connect(1, bob);
    const start = await bobWs.subscribe(room);
    for (let i = 0; i < 100; i++) {
      const online = (await ana.api.get(`/v1/rooms/${room}/presence`)).body.online;
      if (online.some((u: any) => u.user_id === bob.id)) break;
      await Bun.sleep(50);
    }
    const root = await (await connect(0, ana)).request({ type: "message.send", room_id: room, content: "@here all" });
    expect(root.message.mentions).toEqual([bob.id]);
    await bobWs.next((f) => f.type === "mention" && f.message.id === root.message.id);
    await ana.api.request("PUT", `/v1/rooms/${room}/pins/${root.message.id}`);
    await bob.api.post(`/v1/rooms/${room}/messages`, { content: "reply", thread_root: root.message.id });
    const live = await bobWs.next((f) => f.type === "thread.updated");
    const replay = await (await connect(0, bob)).subscribe(room, start.seq);
    const types = (replay.missed as Frame[]).map((e) => [e.type, e.seq]);
    expect(types).toEqual([
      ["message.created", start.seq + 1],
      ["message.pinned", start.seq + 2],
      ["message.created", start.seq + 3],
      ["thread.updated", start.seq + 4],
    ]);
    expect(live.seq).toBe(start.seq + 4);
    expect((replay.missed as Frame[])[0]!.message.thread).toMatchObject({ reply_count: 1 });
  });
});
