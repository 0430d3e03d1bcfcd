// The gateway on the NATS bus, as another process sees it: once a socket is told `subscribed`, every
// room event published after that by any process reaches it, also when this server's NATS connection
// is busy (its subscription queued behind megabytes of outgoing data).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { NatsBus } from "../../src/bus/nats";
import { encodeEvent, roomSubject } from "../../src/domain/events";
import { createLogger } from "../../src/log";
import { newUser, type TestUser } from "../support/client";
import { NATS_HOST, NATS_PORT, NATS_URL } from "../support/nats";
import { startTestServer, type TestServer } from "../support/server";
import { requireService } from "../support/services";
import { WsClient } from "../support/ws";

const nats = await requireService("nats", NATS_HOST, NATS_PORT);

nats.describe("gateway on NATS", () => {
  let server: TestServer;
  let user: TestUser;
  /** Another process's connection to the same NATS, under the server's subject prefix. */
  let other: NatsBus;

  beforeAll(async () => {
    server = await startTestServer({ natsUrl: [NATS_URL] });
    user = await newUser(server.url, "nats");
    other = await NatsBus.connect(
      { urls: [NATS_URL], name: "chatd-test-other" },
      { prefix: server.config.natsSubjectPrefix, log: createLogger("silent") },
    );
  });
  afterAll(async () => {
    await other?.close();
    await server?.close();
  });

  /** Queues several megabytes on the server's own NATS connection, ahead of whatever it sends next. */
  const busy = async () => {
    const bulk = new Uint8Array(900 * 1024);
    for (let i = 0; i < 8; i++) await server.backends.bus.publish(`load.${crypto.randomUUID()}`, bulk);
  };

  /** What another process does: store an event at the room's next position, then publish it. */
  const publishElsewhere = async (roomId: string, n: number) => {
    const bare = {
      type: "message.deleted" as const,
      room_id: roomId,
      message_id: `00000000-0000-1000-8000-${String(n).padStart(12, "0")}`,
    };
    const seq = await server.backends.store.appendEvent(roomId, bare.type, JSON.stringify(bare));
    const { data, headers } = encodeEvent({ ...bare, seq });
    await other.publish(roomSubject(roomId), data, headers);
  };

  test("an event another process publishes right after `subscribed` reaches the socket", async () => {
    const client = await WsClient.connect(server.url, user.api.token!);
    try {
      const rooms: string[] = [];
      for (let i = 0; i < 5; i++) {
        const room = (await user.api.post("/v1/rooms", { name: `nats${i}`, type: "public" })).body.id as string;
        await busy();
        await client.subscribe(room);
        await publishElsewhere(room, i);
        rooms.push(room);
      }
      for (const room of rooms) await client.next((f) => f.type === "message.deleted" && f.room_id === room);
    } finally {
      await client.close();
    }
  });

  test("a subscribe with `since` reads history only once the room's subscription is confirmed", async () => {
    const client = await WsClient.connect(server.url, user.api.token!);
    try {
      const rooms: string[] = [];
      for (let i = 0; i < 5; i++) {
        const room = (await user.api.post("/v1/rooms", { name: `since${i}`, type: "public" })).body.id as string;
        const first = (await user.api.post(`/v1/rooms/${room}/messages`, { content: "first" })).body.id as string;
        await busy();
        const reply = await client.subscribe(room, first);
        expect(reply).toMatchObject({ recovered: true, missed: [] });
        await publishElsewhere(room, i);
        rooms.push(room);
      }
      for (const room of rooms) await client.next((f) => f.type === "message.deleted" && f.room_id === room);
    } finally {
      await client.close();
    }
  });
});
