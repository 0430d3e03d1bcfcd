// The split deployment (one api and two ws processes on Cassandra, NATS and Redis) behaves like one
// process: messages from every process reach every subscriber on every ws process exactly once, in
// the order history has them; recovery works on another ws process; presence, typing, kicks and
// session ends act everywhere.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, newUser, type TestUser } from "../support/client";
import { Cluster } from "../support/cluster";
import { NATS_HOST, NATS_PORT } from "../support/nats";
import { CASSANDRA_HOST, CASSANDRA_PORT, REDIS_HOST, REDIS_PORT, requireService } from "../support/services";
import { type Frame, messagesIn, missedMessages, WsClient } from "../support/ws";

const services = [
  await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT),
  await requireService("nats", NATS_HOST, NATS_PORT),
  await requireService("redis", REDIS_HOST, REDIS_PORT),
];
const suite = services.every((s) => s.up) ? describe : describe.skip;

/** Every durable event a client received in a room, by position. */
const positioned = (client: WsClient, roomId: string) =>
  client.frames.filter((f) => f.room_id === roomId && typeof f.seq === "number" && f.type !== "subscribed");

/** The room's history, oldest first. */
async function history(user: TestUser, roomId: string) {
  const all: Frame[] = [];
  for (let after: string | undefined; ; ) {
    const page = await user.api.get(
      `/v1/rooms/${roomId}/messages?limit=200${after ? `&after=${after}` : "&after=00000000-0000-1000-8000-000000000000"}`,
    );
    expect(page.status).toBe(200);
    all.push(...page.body.messages);
    if (!page.body.has_more) return all;
    after = page.body.messages.at(-1).id;
  }
}

suite("split deployment: api + 2 ws over NATS, Redis and Cassandra", () => {
  let cluster: Cluster;
  let api: string;
  const sockets: WsClient[] = [];
  const connect = async (node: number, user: TestUser) => {
    const client = await WsClient.connect(cluster.ws[node]!.url, user.api.token!);
    sockets.push(client);
    return client;
  };
  const room = async (owner: TestUser, ...members: TestUser[]) => {
    const id = (await owner.api.post("/v1/rooms", { name: "split", type: "public" })).body.id as string;
    for (const member of members) expect((await member.api.post(`/v1/rooms/${id}/join`)).status).toBe(200);
    return id;
  };

  beforeAll(async () => {
    cluster = await Cluster.start({ env: { PRESENCE_TTL_SECONDS: "3" } });
    api = cluster.api.url;
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.socket.close();
    await cluster?.close();
  }, 60_000);

  test("each role serves its part: REST on api, the gateway on ws", async () => {
    const ana = await newUser(api, "ana");
    expect((await new Client(cluster.ws[0]!.url, ana.api.token).get("/v1/users/me")).status).toBe(404);
    expect((await fetch(`${api}/v1/ws?token=${ana.api.token}`)).status).toBe(404);
    // The web app is a client of the REST API: served by api, not by ws.
    expect((await fetch(`${api}/`)).headers.get("content-type")).toContain("text/html");
    expect((await fetch(`${cluster.ws[0]!.url}/`)).status).toBe(404);
    for (const node of [cluster.api, ...cluster.ws]) expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
  });

  test("senders on all three processes at once: every receiver on both ws processes gets exactly history, in order", async () => {
    const [ana, bob, cat, dan, eve] = (await Promise.all(
      ["ana", "bob", "cat", "dan", "eve"].map((name) => newUser(api, name)),
    )) as [TestUser, TestUser, TestUser, TestUser, TestUser];
    const roomId = await room(ana, bob, cat, dan, eve);
    const [r1, r2] = [await connect(0, dan), await connect(1, eve)];
    await Promise.all([r1.subscribe(roomId), r2.subscribe(roomId)]);
    const [wsBob, wsCat] = [await connect(0, bob), await connect(1, cat)];
    const perSender = 60;

    const rest = (async () => {
      // Four in flight at a time over REST to the api process.
      for (let i = 0; i < perSender; i += 4)
        await Promise.all(
          [0, 1, 2, 3].map((j) =>
            i + j < perSender
              ? ana.api
                  .post(`/v1/rooms/${roomId}/messages`, { content: `rest ${i + j}` })
                  .then((r) => expect(r.status).toBe(201))
              : undefined,
          ),
        );
    })();
    const overWs = (client: WsClient, name: string) => {
      for (let i = 0; i < perSender; i++)
        client.send({ type: "message.send", room_id: roomId, content: `${name} ${i}`, ref: `${name}${i}` });
      return client.collect((f) => f.type === "ack", perSender, 30_000);
    };
    await Promise.all([rest, overWs(wsBob, "bob"), overWs(wsCat, "cat")]);

    const total = 3 * perSender;
    const stored = await history(ana, roomId);
    expect(stored).toHaveLength(total);
    // History is in position order, positions dense.
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => stored[0]!.seq + i));
    for (const receiver of [r1, r2]) {
      await receiver.collect((f) => f.type === "message.created" && f.room_id === roomId, total, 30_000);
      expect(messagesIn(receiver, roomId).map((m) => m.id)).toEqual(stored.map((m) => m.id));
      const seqs = positioned(receiver, roomId).map((f) => f.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    }
    // A socket's sends are stored in the order it sent them (REST sends overlap, so they have none).
    for (const name of ["bob", "cat"]) {
      const mine = stored.filter((m) => m.content.startsWith(`${name} `)).map((m) => Number(m.content.split(" ")[1]));
      expect(mine).toEqual(mine.map((_, i) => i));
    }
  }, 90_000);

  test("a client that reconnects to the other ws process with `since` loses nothing and gets nothing twice", async () => {
    const [ana, bob] = await Promise.all([newUser(api, "ana"), newUser(api, "bob")]);
    const roomId = await room(ana, bob);
    const first = await connect(0, bob);
    await first.subscribe(roomId);
    for (let i = 0; i < 5; i++) await ana.api.post(`/v1/rooms/${roomId}/messages`, { content: `before ${i}` });
    await first.collect((f) => f.type === "message.created" && f.room_id === roomId, 5);
    const lastSeen = positioned(first, roomId).at(-1)!.seq as number;
    await first.close();

    for (let i = 0; i < 5; i++) await ana.api.post(`/v1/rooms/${roomId}/messages`, { content: `away ${i}` });
    const sending = (async () => {
      for (let i = 0; i < 20; i++) await ana.api.post(`/v1/rooms/${roomId}/messages`, { content: `during ${i}` });
    })();
    const second = await connect(1, bob);
    const reply = await second.subscribe(roomId, lastSeen);
    await sending;
    await ana.api.post(`/v1/rooms/${roomId}/messages`, { content: "after" });
    await second.next((f) => f.type === "message.created" && f.message.content === "after", 10_000);

    expect(reply.recovered).toBe(true);
    const replayed = (reply.missed as Frame[]).map((f) => f.seq);
    const live = positioned(second, roomId).map((f) => f.seq);
    const received = [...replayed, ...live];
    expect(received).toEqual(received.map((_, i) => lastSeen + 1 + i));
    const stored = await history(ana, roomId);
    expect(
      [...messagesIn(first, roomId), ...missedMessages(reply), ...messagesIn(second, roomId)].map((m) => m.id),
    ).toEqual(stored.map((m) => m.id));
  }, 60_000);

  test("presence and typing cross processes; the api process lists who is online", async () => {
    const [ana, bob] = await Promise.all([newUser(api, "ana"), newUser(api, "bob")]);
    const roomId = await room(ana, bob);
    const [onFirst, onSecond] = [await connect(0, ana), await connect(1, bob)];
    await onFirst.subscribe(roomId);
    await onSecond.subscribe(roomId);
    await onFirst.next((f) => f.type === "presence" && f.user_id === bob.id && f.status === "joined");
    onSecond.send({ type: "typing", room_id: roomId });
    expect(await onFirst.next((f) => f.type === "typing" && f.room_id === roomId)).toMatchObject({ user_id: bob.id });
    const online = (await ana.api.get(`/v1/rooms/${roomId}/presence`)).body.online.map(
      (u: { user_id: string }) => u.user_id,
    );
    expect(online.sort()).toEqual([ana.id, bob.id].sort());
    await onSecond.close();
    await onFirst.next((f) => f.type === "presence" && f.user_id === bob.id && f.status === "left");
  }, 30_000);

  test("a kick or a ban on the api process takes the user's sockets on both ws processes out at once", async () => {
    const [ana, bob, cat] = await Promise.all([newUser(api, "ana"), newUser(api, "bob"), newUser(api, "cat")]);
    const roomId = await room(ana, bob, cat);
    const [bob1, bob2, watcher] = [await connect(0, bob), await connect(1, bob), await connect(1, cat)];
    for (const client of [bob1, bob2, watcher]) await client.subscribe(roomId);
    expect((await ana.api.delete(`/v1/rooms/${roomId}/members/${bob.id}`)).status).toBe(204);
    for (const client of [bob1, bob2])
      expect(await client.next((f) => f.type === "unsubscribed" && f.room_id === roomId)).toMatchObject({
        reason: "kicked",
      });
    await watcher.next((f) => f.type === "member.kicked" && f.user_id === bob.id);
    await ana.api.post(`/v1/rooms/${roomId}/messages`, { content: "bob is gone" });
    await watcher.next((f) => f.type === "message.created" && f.message.content === "bob is gone");
    // A ping answered after the message shows the message had its chance to arrive, and did not.
    for (const client of [bob1, bob2]) {
      await client.request({ type: "ping" });
      expect(messagesIn(client, roomId).map((m) => m.content)).not.toContain("bob is gone");
    }
    // A ban acts the same way on every process.
    const [cat1, cat2] = [await connect(0, cat), await connect(1, cat)];
    for (const client of [cat1, cat2]) await client.subscribe(roomId);
    expect((await ana.api.post(`/v1/rooms/${roomId}/bans`, { user_id: cat.id })).status).toBe(201);
    for (const client of [cat1, cat2])
      expect(await client.next((f) => f.type === "unsubscribed" && f.room_id === roomId)).toMatchObject({
        reason: "banned",
      });
  }, 30_000);

  test("logging out on the api process closes that login's sockets on every ws process with 4001", async () => {
    const anonymous = new Client(api);
    const ana = await newUser(api, "ana");
    const login = await anonymous.post("/v1/auth/login", { login: ana.username, password: ana.password });
    const other = await anonymous.post("/v1/auth/login", { login: ana.username, password: ana.password });
    const [a1, a2] = await Promise.all(
      [0, 1].map((node) => WsClient.connect(cluster.ws[node]!.url, login.body.access_token)),
    );
    const untouched = await WsClient.connect(cluster.ws[1]!.url, other.body.access_token);
    sockets.push(a1!, a2!, untouched);
    expect(
      (await anonymous.as(login.body.access_token).post("/v1/auth/logout", { refresh_token: login.body.refresh_token }))
        .status,
    ).toBe(204);
    for (const client of [a1!, a2!]) expect(await client.closed).toEqual({ code: 4001, reason: "session_revoked" });
    expect((await untouched.request({ type: "ping" })).type).toBe("pong");
  }, 30_000);

  test("a ws process killed with SIGKILL: its clients recover on the other one; its presence entries expire", async () => {
    const [ana, bob] = await Promise.all([newUser(api, "ana"), newUser(api, "bob")]);
    const roomId = await room(ana, bob);
    const doomed = await cluster.startNode("ws");
    const onDoomed = await WsClient.connect(doomed.url, bob.api.token!);
    sockets.push(onDoomed);
    await onDoomed.subscribe(roomId);
    await ana.api.post(`/v1/rooms/${roomId}/messages`, { content: "seen" });
    await onDoomed.next((f) => f.type === "message.created");
    const lastSeen = positioned(onDoomed, roomId).at(-1)!.seq as number;
    const online = async () =>
      (await ana.api.get(`/v1/rooms/${roomId}/presence`)).body.online.map((u: { user_id: string }) => u.user_id);
    expect(await online()).toContain(bob.id);

    await doomed.kill();
    expect((await onDoomed.closed).code).not.toBe(1000);
    for (let i = 0; i < 3; i++) await ana.api.post(`/v1/rooms/${roomId}/messages`, { content: `missed ${i}` });
    const again = await connect(0, bob);
    const reply = await again.subscribe(roomId, lastSeen);
    expect(missedMessages(reply).map((m) => m.content)).toEqual(["missed 0", "missed 1", "missed 2"]);
    await again.close();

    // Nobody told Redis the process died: its entries expire (PRESENCE_TTL_SECONDS=3 here).
    const deadline = Date.now() + 10_000;
    while ((await online()).includes(bob.id)) {
      if (Date.now() > deadline) throw new Error("the killed process's presence entries did not expire");
      await Bun.sleep(250);
    }
  }, 60_000);
});
