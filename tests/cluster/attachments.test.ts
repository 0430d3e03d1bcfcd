// Attachments in the split deployment (one api and two ws processes on Cassandra, NATS, Redis and a
// shared S3 bucket): an attachment uploaded through the api process goes to exactly one message when
// sends of it race on all three processes, and reaches the subscribers of both ws processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { patterned, uploadFile } from "../support/attachments";
import { newUser, type TestUser } from "../support/client";
import { Cluster } from "../support/cluster";
import { NATS_HOST, NATS_PORT } from "../support/nats";
import { dropBucket, S3_CREDENTIALS, S3_ENDPOINT, S3_HOST, S3_PORT, uniqueBucket } from "../support/s3";
import { CASSANDRA_HOST, CASSANDRA_PORT, REDIS_HOST, REDIS_PORT, requireService } from "../support/services";
import { WsClient } from "../support/ws";

const services = [
  await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT),
  await requireService("nats", NATS_HOST, NATS_PORT),
  await requireService("redis", REDIS_HOST, REDIS_PORT),
  await requireService("s3proxy", S3_HOST, S3_PORT),
];
const suite = services.every((s) => s.up) ? describe : describe.skip;

suite("split deployment: attachments on S3 across processes", () => {
  let cluster: Cluster;
  const bucket = uniqueBucket();
  const sockets: WsClient[] = [];
  const connect = async (node: number, user: TestUser) => {
    const client = await WsClient.connect(cluster.ws[node]!.url, user.api.token!);
    sockets.push(client);
    return client;
  };

  beforeAll(async () => {
    cluster = await Cluster.start({
      env: {
        S3_ENDPOINT,
        S3_BUCKET: bucket,
        S3_FORCE_PATH_STYLE: "true",
        S3_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
        S3_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      },
    });
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.socket.close();
    await cluster?.close();
    await dropBucket(bucket);
  }, 60_000);

  test("sends of one attachment racing on every process: exactly one carries it, and both ws processes show it", async () => {
    const [ana, bob] = [await newUser(cluster.api.url, "ana"), await newUser(cluster.api.url, "bob")];
    const room = (await ana.api.post("/v1/rooms", { name: "files", type: "public" })).body.id as string;
    await bob.api.post(`/v1/rooms/${room}/join`);
    const watchers = [await connect(0, bob), await connect(1, bob)];
    for (const w of watchers) await w.subscribe(room);
    const senders = [await connect(0, ana), await connect(1, ana)];

    for (let round = 0; round < 3; round++) {
      const file = await uploadFile(ana, { filename: `f${round}.png`, bytes: patterned(50_000, round) });
      const frame = { type: "message.send", room_id: room, content: `r${round}`, attachment_ids: [file.ticket.id] };
      const [viaWs0, viaWs1, viaApi] = await Promise.all([
        senders[0]!.request(frame),
        senders[1]!.request(frame),
        ana.api.post(`/v1/rooms/${room}/messages`, { content: `r${round}`, attachment_ids: [file.ticket.id] }),
      ]);
      const won = [viaWs0.type === "ack", viaWs1.type === "ack", viaApi.status === 201];
      expect(won.filter(Boolean)).toHaveLength(1);
      for (const reply of [viaWs0, viaWs1]) if (reply.type !== "ack") expect(reply.code).toBe("conflict");
      if (viaApi.status !== 201) expect(viaApi.status).toBe(409);
      const message = viaWs0.type === "ack" ? viaWs0.message : viaWs1.type === "ack" ? viaWs1.message : viaApi.body;
      const listed = [{ id: file.ticket.id, filename: `f${round}.png`, content_type: "image/png", size: 50_000 }];
      expect(message.attachments).toEqual(listed);
      for (const watcher of watchers) {
        const live = await watcher.next((f) => f.type === "message.created" && f.message.id === message.id);
        expect(live.message.attachments).toEqual(listed);
      }
      const shown = await bob.api.get(`/v1/attachments/${file.ticket.id}`);
      expect(new Uint8Array(await (await fetch(shown.body.download_url)).arrayBuffer())).toEqual(file.bytes);
    }
    const history = (await bob.api.get(`/v1/rooms/${room}/messages`)).body.messages;
    expect(history).toHaveLength(3);
  }, 60_000);
});
