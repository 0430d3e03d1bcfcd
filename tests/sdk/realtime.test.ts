// The SDK's live connection against a real server, with the network broken for real by a TCP proxy
// in between: typed events in seq order, replays with `since`, reconnects that lose and repeat
// nothing, sends that survive a reconnect (also one whose ack was lost), heartbeats that find a dead
// connection, and the two endings of a socket's session (4001 token_expired / session_revoked).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { ServerFrames } from "../../clients/js/src";
import { Client } from "../support/client";
import { closeClients, record, type SdkUser, sdkUser, until } from "../support/sdk";
import { OWN_SERVER_TIMEOUT_MS, startTestServer, type TestServer } from "../support/server";
import { TcpProxy } from "../support/tcp-proxy";

let server: TestServer;
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000, wsHeartbeatIntervalMs: 300, wsRecoveryLimit: 4 });
});
afterEach(() => {
  closeClients();
  for (const proxy of proxies.splice(0)) proxy.stop();
});
afterAll(() => server.close());

const proxy = async (target = server.url) => {
  const p = await TcpProxy.start(target);
  proxies.push(p);
  return p;
};

/** Ana's public room with Bob in it. */
async function pair(bobBaseUrl = server.url, target = server) {
  const ana = await sdkUser(target.url, "ana");
  const bob = await sdkUser(bobBaseUrl, "bob", { connectTimeoutMs: 1000 } as never);
  const room = await ana.client.api.rooms.create({ name: "live", type: "public" });
  await bob.client.api.rooms.join(room.id);
  return { ana, bob, room: room.id };
}

const contents = (events: ServerFrames["message.created"][]) => events.map((e) => e.message.content);
const post = (user: SdkUser, room: string, content: string) => user.client.api.messages.send(room, { content });

describe("live events", () => {
  test("arrive typed, once and in seq order; subscribe with since replays what came after it", async () => {
    const { ana, bob, room } = await pair();
    const first = await post(ana, room, "m1");
    await post(ana, room, "m2");
    await post(ana, room, "m3");
    const created = record(bob.client, "message.created");
    bob.client.connect();
    const subscribed = await bob.client.subscribe(room, { since: first.seq });
    expect(subscribed.recovered).toBe(true);
    await post(ana, room, "m4");
    await until(() => created.length === 3, "three messages");
    expect(contents(created)).toEqual(["m2", "m3", "m4"]);
    const seqs = created.map((e) => e.seq);
    expect(seqs).toEqual([seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
    expect(bob.client.realtime.position(room)).toBe(seqs[2]!);
  });

  test("a replay longer than the server's limit is fetched to the end, every event once", async () => {
    const { ana, bob, room } = await pair();
    const first = await post(ana, room, "start");
    for (let i = 1; i <= 9; i++) await post(ana, room, `r${i}`);
    const created = record(bob.client, "message.created");
    bob.client.connect();
    await bob.client.subscribe(room, { since: first.seq }); // WS_RECOVERY_LIMIT is 4 here
    expect(contents(created)).toEqual(["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]);
  });

  test("typing and presence of others arrive for followed rooms", async () => {
    const { ana, bob, room } = await pair();
    const typing = record(ana.client, "typing");
    const presence = record(ana.client, "presence");
    ana.client.connect();
    await ana.client.subscribe(room);
    bob.client.connect();
    await bob.client.subscribe(room);
    await until(() => presence.some((p) => p.user_id === bob.id && p.status === "joined"), "bob's presence");
    bob.client.typing(room);
    await until(() => typing.length === 1, "typing");
    expect(typing[0]).toMatchObject({ room_id: room, user_id: bob.id, username: bob.username });
  });
});

describe("user presence", () => {
  test("watchPresence follows a user's status across a reconnect; setPresence idle is told to watchers", async () => {
    const net = await proxy();
    const { ana, bob } = await pair(server.url);
    const watcher = await sdkUser(net.url, "watcher");
    const shared = await ana.client.api.rooms.create({ name: "watched", type: "private" });
    await ana.client.api.rooms.invite(shared.id, watcher.id);
    const seen = record(watcher.client, "user.presence");
    const states = record(watcher.client, "state");
    watcher.client.connect();
    await until(() => watcher.client.state === "open", "open");
    const watched = await watcher.client.watchPresence([ana.id, bob.id]);
    expect(watched?.users.map((u) => u.status)).toEqual(["offline", "unknown"]);
    ana.client.connect();
    await until(() => seen.some((e) => e.user_id === ana.id && e.status === "online"), "ana online");
    net.cut();
    await until(() => states.includes("reconnecting"), "reconnecting");
    net.restore();
    await until(() => watcher.client.state === "open", "reconnected");
    await Bun.sleep(500);
    ana.client.setPresence("idle");
    await until(() => seen.some((e) => e.user_id === ana.id && e.status === "idle"), "ana idle");
    const [asked] = (await watcher.client.api.users.presence([ana.id])).users;
    expect(asked).toMatchObject({ user_id: ana.id, status: "idle" });
  });
});

describe("reconnects", () => {
  test("a cut connection comes back with backoff and misses nothing: every message sent meanwhile once, in order", async () => {
    const net = await proxy();
    const { ana, bob, room } = await pair(net.url);
    const created = record(bob.client, "message.created");
    const states = record(bob.client, "state");
    bob.client.connect();
    await bob.client.subscribe(room);
    await post(ana, room, "before");
    await until(() => created.length === 1, "the first message");
    net.cut();
    await until(() => states.includes("reconnecting"), "reconnecting");
    for (const content of ["while 1", "while 2", "while 3"]) await post(ana, room, content);
    net.restore();
    await until(() => created.length === 4, "the missed messages");
    await post(ana, room, "after");
    await until(() => created.length === 5, "the live message");
    expect(contents(created)).toEqual(["before", "while 1", "while 2", "while 3", "after"]);
    expect(new Set(created.map((e) => e.seq)).size).toBe(5);
    expect(bob.client.state).toBe("open");
  });

  test("a message sent while disconnected is delivered once the connection is back", async () => {
    const net = await proxy();
    const { ana, bob, room } = await pair(net.url);
    const seen = record(ana.client, "message.created");
    ana.client.connect();
    await ana.client.subscribe(room);
    bob.client.connect();
    await bob.client.subscribe(room);
    net.cut();
    await until(() => bob.client.state === "reconnecting", "reconnecting");
    const sending = bob.client.send(room, "sent offline");
    expect(bob.client.realtime.pending.map((p) => p.content)).toEqual(["sent offline"]);
    net.restore();
    const message = await sending;
    expect(message.content).toBe("sent offline");
    expect(bob.client.realtime.pending).toEqual([]);
    await until(() => seen.length === 1, "the message at ana's");
    expect(seen[0]!.message.id).toBe(message.id);
  });

  test("a send whose ack was lost is sent again with the same client_id and stored once", async () => {
    const net = await proxy();
    const { ana, bob, room } = await pair(net.url);
    const created = record(bob.client, "message.created");
    bob.client.connect();
    await bob.client.subscribe(room);
    const lost = net.dropNextAndCut('"type":"ack"');
    const sending = bob.client.send(room, "exactly once", { clientId: "client-id-1" });
    await lost; // stored by the server, ack never delivered, connection gone
    net.restore();
    const message = await sending;
    expect(message.client_id).toBe("client-id-1");
    await until(() => created.length >= 1, "the created event");
    const history = await ana.client.api.messages.list(room);
    expect(history.messages.filter((m) => m.content === "exactly once").map((m) => m.id)).toEqual([message.id]);
    await post(ana, room, "marker");
    await until(() => created.length === 2, "the marker");
    expect(contents(created)).toEqual(["exactly once", "marker"]);
  });

  test("a connection that goes silent is found dead by the heartbeat and replaced", async () => {
    const net = await proxy();
    const { ana, bob, room } = await pair(net.url);
    const created = record(bob.client, "message.created");
    const closed = record(bob.client, "closed");
    bob.client.connect();
    await bob.client.subscribe(room);
    net.freeze(); // no bytes flow, no socket closes: only the heartbeat can tell
    await post(ana, room, "while silent");
    await until(() => closed.some((c) => c.reason === "heartbeat timeout"), "the heartbeat to give up", 5000);
    net.restore();
    await until(() => created.length === 1, "the message after the reconnect");
    expect(contents(created)).toEqual(["while silent"]);
  });
});

describe("the end of a socket's session", () => {
  test(
    "close 4001 token_expired: the client refreshes, reconnects and misses nothing",
    async () => {
      const short = await startTestServer({ accessTokenTtlSeconds: 2, messagesPerMinute: 10_000 });
      try {
        const { ana, bob, room } = await pair(short.url, short);
        const created = record(bob.client, "message.created");
        const closed = record(bob.client, "closed");
        bob.client.connect();
        await bob.client.subscribe(room);
        const sent: string[] = [];
        // Sends across the token's expiry (and ana's own refreshes), until bob's socket was closed for it.
        for (let i = 0; i < 200 && !closed.some((c) => c.code === 4001); i++) {
          sent.push(`t${i}`);
          await post(ana, room, `t${i}`);
          await Bun.sleep(20);
        }
        for (const content of ["after 1", "after 2"]) {
          sent.push(content);
          await post(ana, room, content);
        }
        await until(() => created.length === sent.length, "every message", 10_000);
        expect(contents(created)).toEqual(sent);
        expect(closed.find((c) => c.code === 4001)?.reason).toBe("token_expired");
        expect(bob.client.signedIn).toBe(true);
      } finally {
        closeClients();
        await short.close();
      }
    },
    OWN_SERVER_TIMEOUT_MS,
  );

  test("close 4001 session_revoked: the session ends and the client does not reconnect", async () => {
    const { bob, room } = await pair();
    const ends: string[] = [];
    bob.client.onSessionEnd((reason) => ends.push(reason));
    bob.client.connect();
    await bob.client.subscribe(room);
    const tokens = bob.client.session.tokens!;
    await new Client(server.url, tokens.access_token).post("/v1/auth/logout", { refresh_token: tokens.refresh_token });
    await until(() => bob.client.state === "closed", "the client to stop");
    expect(ends).toEqual(["session_revoked"]);
    expect(bob.client.signedIn).toBe(false);
  });
});
