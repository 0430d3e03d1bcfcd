// Liveness and memory: dead connections are closed by the heartbeat, slow consumers are closed instead
// of buffering without bound, and 200 clients in one room all get every message in order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeEvent } from "../../src/domain/events";
import { newUser, type TestUser } from "../support/client";
import { readMetrics, sample } from "../support/metrics";
import { RawWsClient } from "../support/raw-ws";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let owner: TestUser;

// The heartbeat tests have a server of their own with a short interval: under a heavy stream a pong
// can queue behind megabytes of frames, and the other tests are not about the heartbeat.
beforeAll(async () => {
  server = await startTestServer({ wsMaxBufferedBytes: 262_144, messagesPerMinute: 100_000 });
  owner = await newUser(server.url, "owner");
});
afterAll(() => server.close());

const metric = async (key: string, target = server) => sample(await readMetrics(target.url), key);

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(20);
  }
  return true;
}

describe("heartbeat", () => {
  let beat: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    beat = await startTestServer({ wsHeartbeatIntervalMs: 200 });
    user = await newUser(beat.url, "beat");
  });
  afterAll(() => beat.close());

  test("a connection that answers no pings is closed (1001) after two heartbeat intervals", async () => {
    const before = await metric('chatd_ws_disconnects_total{reason="heartbeat_timeout"}', beat);
    // Taken before connecting: the server counts the silence from the open, which comes after this.
    const started = Date.now();
    const client = await RawWsClient.connect(beat.port, user.api.token!, { answerPings: false });
    expect(await until(() => client.closeCode !== null || client.ended, 3000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(client.closeCode).toBe(1001);
    expect(await metric('chatd_ws_disconnects_total{reason="heartbeat_timeout"}', beat)).toBe(before + 1);
  });

  test("a client that only answers pings stays connected well past two heartbeat intervals", async () => {
    const client = await RawWsClient.connect(beat.port, user.api.token!, { answerPings: true });
    // Each ping comes after an interval of silence; without pongs counting, the server closes by the third.
    await client.until(() => client.pings >= 5 || client.closeCode !== null, 5000, "five pings");
    expect(client.closeCode).toBeNull();
    client.sendText(JSON.stringify({ type: "ping", ref: "alive" }));
    await client.until(() => client.frames.some((f) => f.ref === "alive"), 5000, "the pong");
    expect(client.frames.find((f) => f.ref === "alive")).toEqual({ type: "pong", ref: "alive" });
    client.end();
  });
});

describe("slow consumers", () => {
  test("a client that stops reading is closed with 1008 instead of growing server memory; others are unaffected", async () => {
    const room = (await owner.api.post("/v1/rooms", { name: "firehose", type: "public" })).body.id as string;
    const healthy = await WsClient.connect(server.url, owner.api.token!);
    await healthy.subscribe(room);
    const slow = await RawWsClient.connect(server.port, owner.api.token!, { answerPings: true });
    slow.sendText(JSON.stringify({ type: "subscribe", room_id: room, ref: "sub" }));
    await slow.until(() => slow.frames.some((f) => f.ref === "sub"), 5000, "subscribed");
    expect(slow.frames.find((f) => f.ref === "sub")).toMatchObject({ type: "subscribed", room_id: room });
    slow.pause();

    const before = await metric('chatd_ws_disconnects_total{reason="slow_consumer"}');
    // 300 events of 32 KiB: far more than the socket buffers plus the 256 KiB bound. The healthy client
    // (in this process, so it reads only when the loop lets it) is let catch up every 128 KiB: it is
    // never near the bound, while the paused one falls further behind with every event.
    const content = "x".repeat(32 * 1024);
    const created = (f: { type: string }) => f.type === "message.created";
    for (let i = 0; i < 300; i++) {
      const message = { id: crypto.randomUUID(), room_id: room, content, seq: i + 1 };
      // Published as the room's next positions (the room's log is empty: nothing to repair, nothing held).
      const { data, headers } = encodeEvent({ type: "message.created", room_id: room, message, seq: i + 1 } as any);
      await server.backends.bus.publish(`chat.room.${room}`, data, headers);
      if (i % 4 === 3) await healthy.collect(created, i + 1, 10_000);
    }
    expect(
      await until(async () => (await metric('chatd_ws_disconnects_total{reason="slow_consumer"}')) > before, 5000),
    ).toBe(true);
    // Reading again, the client gets what was buffered for it, then the close frame.
    slow.resume();
    await slow.until(() => slow.closeCode !== null || slow.ended, 10_000, "close frame");
    expect(slow.closeCode).toBe(1008);
    const got = await healthy.collect(created, 300, 10_000);
    expect(got.map((f) => f.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    healthy.socket.close();
    slow.end();
  });
});

describe("scale", () => {
  test("200 concurrent clients in one room all receive every message, in order", async () => {
    const room = (await owner.api.post("/v1/rooms", { name: "crowd", type: "public" })).body.id as string;
    const members = await Promise.all(Array.from({ length: 10 }, (_, i) => newUser(server.url, `crowd${i}`)));
    await Promise.all(members.map((m) => m.api.post(`/v1/rooms/${room}/join`)));
    const clients = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const client = await WsClient.connect(server.url, members[i % members.length]!.api.token!);
        await client.subscribe(room);
        return client;
      }),
    );
    const senders = members.slice(0, 5);
    await Promise.all(
      senders.map(async (sender, s) => {
        for (let i = 0; i < 10; i++) await sender.api.post(`/v1/rooms/${room}/messages`, { content: `s${s} m${i}` });
      }),
    );
    const history = (await owner.api.get(`/v1/rooms/${room}/messages?limit=200`)).body.messages
      .map((m: any) => m.id)
      .reverse();
    expect(history).toHaveLength(50);
    for (const client of clients) {
      const got = await client.collect((f) => f.type === "message.created", 50, 10_000);
      expect(got.map((f) => f.message.id)).toEqual(history);
    }
    for (const client of clients) client.socket.close();
  }, 60_000);
});
