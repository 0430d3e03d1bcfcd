// Missed-message digests over real HTTP and WebSocket, with minutes shrunk to about a second: one
// mail once a user has been away past the delay with unread DMs or mentions that arrived meanwhile,
// none when they read or reconnect first or opted out, at most one per interval, and message text only
// for users who allowed it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestUser } from "../support/client";
import { readMetrics, sample } from "../support/metrics";
import { awaitDigests, awaitSeen, digestsTo, lastDigestAt, verifiedUser } from "../support/notify";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

const AFTER_MINUTES = 0.02; // 1.2 s
const AFTER_MS = AFTER_MINUTES * 60_000;
const POLL_SECONDS = 0.1;
const TEST_MS = 60_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    notifyAfterMinutes: AFTER_MINUTES,
    notifyIntervalMinutes: 60,
    notifyPollSeconds: POLL_SECONDS,
  });
}, TEST_MS);
afterAll(() => server.close(), TEST_MS);

/** Connects the user's socket and closes it; resolves once the server has recorded them away. */
async function goAway(user: TestUser, on: TestServer = server) {
  const socket = await WsClient.connect(on.url, user.api.token as string);
  const leaving = Date.now();
  await socket.close();
  await awaitSeen(on.backends.store, user.id, leaving);
  return leaving;
}

async function dm(from: TestUser, to: TestUser, content: string) {
  const room = await from.api.post("/v1/dms", { user_id: to.id });
  const sent = await from.api.post(`/v1/rooms/${room.body.id}/messages`, { content });
  expect(sent.status).toBe(201);
  return { roomId: room.body.id as string, message: sent.body };
}

/** Long enough for a digest that would be due to have been sent: the delay and several polls. */
const pastTheDelay = () => Bun.sleep(AFTER_MS + 10 * POLL_SECONDS * 1000);

test(
  "a user away past the delay with unread DMs gets one digest, not before the delay, with counts and no text",
  async () => {
    const [alice, bob] = await Promise.all([
      verifiedUser(server.url, server.outbox),
      verifiedUser(server.url, server.outbox),
    ]);
    const away = await goAway(bob);
    await dm(alice, bob, "the launch code is 0000");
    await dm(alice, bob, "and the second secret");
    const { mails, seenAt } = await awaitDigests(server.outbox, bob.email, 1);
    expect(seenAt).toBeGreaterThanOrEqual(away + AFTER_MS);
    const text = mails[0]?.text ?? "";
    expect(text).toContain(`Hello ${bob.username},`);
    expect(text).toContain(`- direct messages with ${alice.username}: 2 unread`);
    expect(text).not.toContain("launch code");
    expect(text).not.toContain("secret");
    expect(text).toContain('{"notify_email": false}');
    await pastTheDelay();
    expect(await digestsTo(server.outbox, bob.email)).toHaveLength(1);
    expect(sample(await readMetrics(server.url), 'chatd_digest_mails_total{outcome="sent"}')).toBeGreaterThanOrEqual(1);
  },
  TEST_MS,
);

test(
  "a user who reads the DM before the delay gets no digest",
  async () => {
    const [alice, bob] = await Promise.all([
      verifiedUser(server.url, server.outbox),
      verifiedUser(server.url, server.outbox),
    ]);
    await goAway(bob);
    const { roomId, message } = await dm(alice, bob, "read me soon");
    expect((await bob.api.post(`/v1/rooms/${roomId}/read`, { message_id: message.id })).status).toBe(200);
    await pastTheDelay();
    expect(await digestsTo(server.outbox, bob.email)).toHaveLength(0);
  },
  TEST_MS,
);

test(
  "a user who reconnects before the delay gets no digest, also after leaving again",
  async () => {
    const [alice, bob] = await Promise.all([
      verifiedUser(server.url, server.outbox),
      verifiedUser(server.url, server.outbox),
    ]);
    await goAway(bob);
    await dm(alice, bob, "are you there?");
    const back = await WsClient.connect(server.url, bob.api.token as string);
    await pastTheDelay();
    expect(await digestsTo(server.outbox, bob.email)).toHaveLength(0);
    const leaving = Date.now();
    await back.close();
    await awaitSeen(server.backends.store, bob.id, leaving);
    await pastTheDelay();
    expect(await digestsTo(server.outbox, bob.email)).toHaveLength(0);
  },
  TEST_MS,
);

test(
  "in a group room only a mention makes a digest, which lists the room with its unread count",
  async () => {
    const [alice, bob] = await Promise.all([
      verifiedUser(server.url, server.outbox),
      verifiedUser(server.url, server.outbox),
    ]);
    const room = await alice.api.post("/v1/rooms", {
      name: `digest-${crypto.randomUUID().slice(0, 8)}`,
      type: "public",
    });
    expect((await bob.api.post(`/v1/rooms/${room.body.id}/join`)).status).toBe(200);
    await goAway(bob);
    await alice.api.post(`/v1/rooms/${room.body.id}/messages`, { content: "hello everyone" });
    await pastTheDelay();
    expect(await digestsTo(server.outbox, bob.email)).toHaveLength(0);
    await alice.api.post(`/v1/rooms/${room.body.id}/messages`, { content: `@${bob.username} look at this` });
    const { mails } = await awaitDigests(server.outbox, bob.email, 1);
    expect(mails[0]?.text).toContain(`- #${room.body.name}: 2 unread, you were mentioned`);
    expect(mails[0]?.text).not.toContain("look at this");
  },
  TEST_MS,
);

test(
  "a user who opted out gets no digest, and GET /v1/users/me shows the preferences",
  async () => {
    const [alice, bob] = await Promise.all([
      verifiedUser(server.url, server.outbox),
      verifiedUser(server.url, server.outbox),
    ]);
    const before = await bob.api.get("/v1/users/me");
    expect(before.body).toMatchObject({ notify_email: true, notify_include_text: false });
    const patched = await bob.api.patch("/v1/users/me", { notify_email: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: bob.id, notify_email: false, notify_include_text: false });
    expect((await bob.api.get("/v1/users/me")).body).toMatchObject({ notify_email: false });
    expect((await bob.api.patch("/v1/users/me", { notify_email: "no" })).status).toBe(400);
    await goAway(bob);
    await dm(alice, bob, "you will not hear of this");
    await pastTheDelay();
    expect(await digestsTo(server.outbox, bob.email)).toHaveLength(0);
  },
  TEST_MS,
);

test(
  "an unverified address gets no digest",
  async () => {
    const alice = await verifiedUser(server.url, server.outbox);
    const { newUser } = await import("../support/client");
    const bob = await newUser(server.url, "unv");
    await goAway(bob);
    await dm(alice, bob, "hello stranger");
    await pastTheDelay();
    expect(await digestsTo(server.outbox, bob.email)).toHaveLength(0);
  },
  TEST_MS,
);

test(
  "a user who allowed text gets the newest unread message quoted",
  async () => {
    const [alice, bob] = await Promise.all([
      verifiedUser(server.url, server.outbox),
      verifiedUser(server.url, server.outbox),
    ]);
    await bob.api.patch("/v1/users/me", { notify_include_text: true });
    await goAway(bob);
    await dm(alice, bob, "first words");
    await dm(alice, bob, "the last   words");
    const { mails } = await awaitDigests(server.outbox, bob.email, 1);
    expect(mails[0]?.text).toContain(`    ${alice.username}: the last words`);
    expect(mails[0]?.text).not.toContain("first words");
  },
  TEST_MS,
);

test(
  "after a digest, the next one waits for the interval, and comes for new messages only",
  async () => {
    const INTERVAL_MINUTES = 0.05; // 3 s
    const own = await startTestServer({
      notifyAfterMinutes: AFTER_MINUTES,
      notifyIntervalMinutes: INTERVAL_MINUTES,
      notifyPollSeconds: POLL_SECONDS,
    });
    try {
      const [alice, bob] = await Promise.all([verifiedUser(own.url, own.outbox), verifiedUser(own.url, own.outbox)]);
      await goAway(bob, own);
      await dm(alice, bob, "one");
      await awaitDigests(own.outbox, bob.email, 1);
      const firstClaimed = (await lastDigestAt(own.backends.store, bob.id)) as number;
      await dm(alice, bob, "two");
      // New messages right after a digest wait for the interval to pass from the first one's claim.
      const second = await awaitDigests(own.outbox, bob.email, 2);
      expect(second.seenAt).toBeGreaterThanOrEqual(firstClaimed + INTERVAL_MINUTES * 60_000);
      expect((await lastDigestAt(own.backends.store, bob.id)) as number).toBeGreaterThanOrEqual(
        firstClaimed + INTERVAL_MINUTES * 60_000,
      );
      expect(second.mails[1]?.text).toContain(`- direct messages with ${alice.username}: 2 unread`);
      // Nothing new since: the interval passes again without a third mail.
      await Bun.sleep(INTERVAL_MINUTES * 60_000 + 1000);
      expect(await digestsTo(own.outbox, bob.email)).toHaveLength(2);
    } finally {
      await own.close();
    }
  },
  TEST_MS,
);
