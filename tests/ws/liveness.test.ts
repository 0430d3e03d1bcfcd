// Liveness and memory: dead connections are closed by the heartbeat, slow consumers are closed instead
// of buffering without bound, and 200 clients in one room all get every message in order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeEvent } from "../../src/domain/events";
import { newUser, type TestUser } from "../support/client";
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

/**
 * A WebSocket client that speaks just the handshake over raw TCP and then answers nothing: no pongs,
 * and, once paused, reads nothing either. It reports the close frame the server sends, if any.
 */
async function rawClient(token: string, target = server) {
  let handshake = "";
  let upgraded = false;
  let closeCode: number | null = null;
  let ended = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: target.port,
    socket: {
      data(_s, chunk) {
        if (!upgraded) {
          handshake += chunk.toString("latin1");
          upgraded = handshake.includes("\r\n\r\n");
          return;
        }
        // Server frames are unmasked; a close frame is 0x88, length, then the 2-byte code.
        for (let i = 0; i + 3 < chunk.length; i++) {
          if (chunk[i] === 0x88 && chunk[i + 1]! >= 2 && chunk[i + 1]! < 126) {
            closeCode = (chunk[i + 2]! << 8) | chunk[i + 3]!;
            break;
          }
        }
      },
      close() {
        ended = true;
      },
    },
  });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(
    `GET /v1/ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const deadline = Date.now() + 3000;
  while (!upgraded && Date.now() < deadline) await Bun.sleep(5);
  if (!handshake.startsWith("HTTP/1.1 101")) throw new Error(`handshake failed: ${handshake}`);
  return {
    socket,
    closeCode: () => closeCode,
    ended: () => ended,
    /** Sends a masked text frame (clients must mask). */
    sendText(text: string) {
      const payload = Buffer.from(text);
      const mask = crypto.getRandomValues(new Uint8Array(4));
      const masked = payload.map((byte, i) => byte ^ mask[i % 4]!);
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    },
  };
}

const metric = async (name: string, target = server) => {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

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

  test("a connection that answers no pings is closed after two heartbeat intervals", async () => {
    const before = await metric('chatd_ws_disconnects_total{reason="heartbeat_timeout"}', beat);
    const client = await rawClient(user.api.token!, beat);
    const started = Date.now();
    expect(await until(() => client.closeCode() !== null || client.ended(), 3000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(client.closeCode()).toBe(1001);
    expect(await metric('chatd_ws_disconnects_total{reason="heartbeat_timeout"}', beat)).toBe(before + 1);
  });

  test("a client that answers pings stays connected", async () => {
    const client = await WsClient.connect(beat.url, user.api.token!);
    await Bun.sleep(1000); // five intervals; Bun's client answers pings by itself
    expect(await client.request({ type: "ping" })).toMatchObject({ type: "pong" });
    client.socket.close();
  });
});

describe("slow consumers", () => {
  test("a client that stops reading is closed instead of growing server memory; others are unaffected", async () => {
    const room = (await owner.api.post("/v1/rooms", { name: "firehose", type: "public" })).body.id as string;
    const healthy = await WsClient.connect(server.url, owner.api.token!);
    await healthy.subscribe(room);
    const slow = await rawClient(owner.api.token!);
    slow.sendText(JSON.stringify({ type: "subscribe", room_id: room }));
    await Bun.sleep(100);
    slow.socket.pause();

    const before = await metric('chatd_ws_disconnects_total{reason="slow_consumer"}');
    // 300 events of 32 KiB: far more than the socket buffers plus the 256 KiB bound.
    const content = "x".repeat(32 * 1024);
    for (let i = 0; i < 300; i++) {
      const message = { id: crypto.randomUUID(), room_id: room, content, seq: i };
      const { data, headers } = encodeEvent({ type: "message.created", room_id: room, message } as any);
      await server.backends.bus.publish(`chat.room.${room}`, data, headers);
      if (i % 20 === 0) await Bun.sleep(1);
    }
    expect(
      await until(async () => (await metric('chatd_ws_disconnects_total{reason="slow_consumer"}')) > before, 5000),
    ).toBe(true);
    const got = await healthy.collect((f) => f.type === "message.created", 300, 10_000);
    expect(got.map((f) => f.message.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    healthy.socket.close();
    slow.socket.end();
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
