// Outbound webhooks over real HTTP, to real receivers on loopback (WEBHOOK_ALLOW_PRIVATE=true here):
// owner-only management with the secret shown once, signed deliveries with event and delivery
// headers, position order per room under concurrent sends, retries with backoff until the receiver
// recovers, sends unaffected by a receiver that hangs, SSRF refusals, and the global WEBHOOK_URL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { newUser, type TestUser } from "../support/client";
import { metricsWhen, readMetrics, sample } from "../support/metrics";
import { Receiver } from "../support/notify";
import { startTestServer, type TestServer } from "../support/server";

const TEST_MS = 60_000;
const RETRY_BASE_MS = 100;

let server: TestServer;
const receivers: Receiver[] = [];
const receiver = () => {
  const r = new Receiver();
  receivers.push(r);
  return r;
};

beforeAll(async () => {
  server = await startTestServer({
    webhookAllowPrivate: true,
    webhookPollMs: 50,
    webhookRetryBaseMs: RETRY_BASE_MS,
    webhookRetryMaxMs: 2000,
    webhookTimeoutMs: 4000,
    messagesPerMinute: 100_000,
  });
}, TEST_MS);
afterAll(async () => {
  for (const r of receivers) r.close();
  await server.close();
}, TEST_MS);

async function roomWithHook(owner: TestUser, target: Receiver, type: "public" | "private" = "public") {
  const room = await owner.api.post("/v1/rooms", { name: `hooked-${crypto.randomUUID().slice(0, 8)}`, type });
  const hook = await owner.api.post(`/v1/rooms/${room.body.id}/webhooks`, { url: target.url });
  expect(hook.status).toBe(201);
  return { roomId: room.body.id as string, hook: hook.body };
}

const send = (user: TestUser, roomId: string, content: string) =>
  user.api.post(`/v1/rooms/${roomId}/messages`, { content });

/** Recomputes X-Chatd-Signature as a receiver would. */
function verify(secret: string, header: string, body: string) {
  const parts = Object.fromEntries(header.split(",").map((kv) => kv.split("=") as [string, string]));
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest("hex");
  return { valid: parts.v1 === expected, t: Number(parts.t) };
}

test(
  "the owner's hook gets the room's events signed with the secret shown once, with event and delivery headers",
  async () => {
    const owner = await newUser(server.url, "wh");
    const target = receiver();
    const { roomId, hook } = await roomWithHook(owner, target);
    expect(hook).toMatchObject({ room_id: roomId, url: target.url, created_by: owner.id });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await owner.api.get(`/v1/rooms/${roomId}/webhooks`);
    expect(listed.body.webhooks).toEqual([
      { id: hook.id, room_id: roomId, url: target.url, created_by: owner.id, created_at: hook.created_at },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(hook.secret);

    const sent = await send(owner, roomId, "hello hooks");
    await target.until((d) => d.length >= 1);
    const [delivery] = target.accepted(roomId);
    expect(delivery?.headers["x-chatd-event"]).toBe("message.created");
    expect(delivery?.headers["x-chatd-delivery"]).toBe(`${roomId}:${sent.body.seq}`);
    expect(delivery?.headers["content-type"]).toBe("application/json");
    const signature = verify(hook.secret, delivery?.headers["x-chatd-signature"] ?? "", delivery?.body ?? "");
    expect(signature.valid).toBe(true);
    expect(Math.abs(signature.t - Date.now() / 1000)).toBeLessThan(60);
    expect(verify(`${hook.secret}x`, delivery?.headers["x-chatd-signature"] ?? "", delivery?.body ?? "").valid).toBe(
      false,
    );
    expect(delivery?.event).toMatchObject({
      id: `${roomId}:${sent.body.seq}`,
      type: "message.created",
      room_id: roomId,
      seq: sent.body.seq,
      message: { id: sent.body.id, content: "hello hooks" },
    });

    await owner.api.request(
      "PUT",
      `/v1/rooms/${roomId}/messages/${sent.body.id}/reactions/${encodeURIComponent("👍")}`,
    );
    await owner.api.patch(`/v1/rooms/${roomId}/messages/${sent.body.id}`, { content: "edited" });
    await target.until((d) => d.length >= 3);
    expect(target.accepted(roomId).map((d) => d.headers["x-chatd-event"])).toEqual([
      "message.created",
      "reaction.added",
      "message.updated",
    ]);
  },
  TEST_MS,
);

test(
  "events of a room arrive in position order, each once, when members send at once",
  async () => {
    const owner = await newUser(server.url, "wh");
    const others = await Promise.all([newUser(server.url, "wh"), newUser(server.url, "wh")]);
    const target = receiver();
    const { roomId } = await roomWithHook(owner, target);
    for (const other of others) expect((await other.api.post(`/v1/rooms/${roomId}/join`)).status).toBe(200);
    const senders = [owner, ...others];
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => send(senders[i % 3] as TestUser, roomId, `m${i}`)),
    );
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const last = Math.max(...replies.map((r) => r.body.seq));
    await target.until((d) => d.some((x) => JSON.parse(x.body).seq === last));
    const seqs = target.accepted(roomId).map((d) => d.event.seq as number);
    const first = seqs[0] as number;
    expect(seqs).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    const messages = target.accepted(roomId).filter((d) => d.event.type === "message.created");
    expect(messages.map((d) => d.event.message.content).sort()).toEqual(replies.map((r) => r.body.content).sort());
  },
  TEST_MS,
);

test(
  "a receiver answering 500 is retried with growing delays under the same delivery id, then gets the events in order",
  async () => {
    const owner = await newUser(server.url, "wh");
    const target = receiver();
    const failures = 4;
    target.answer = () => (target.deliveries.length < failures ? 500 : 200);
    const { roomId } = await roomWithHook(owner, target);
    const before = await readMetrics(server.url);
    const first = await send(owner, roomId, "first");
    const second = await send(owner, roomId, "second");
    await target.until((d) => d.filter((x) => x.status === 200).length >= 2);
    const attempts = target.deliveries.slice(0, failures + 1);
    expect(new Set(attempts.map((d) => d.headers["x-chatd-delivery"]))).toEqual(
      new Set([`${roomId}:${first.body.seq}`]),
    );
    // Backoff: the n-th wait is at least half of base * 2^(n-1) (jitter takes at most half off).
    const gaps = attempts.slice(1).map((d, i) => d.at - (attempts[i] as { at: number }).at);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual((RETRY_BASE_MS * 2 ** i) / 2 - 5);
    });
    expect((gaps[3] as number) + (gaps[2] as number)).toBeGreaterThan((gaps[0] as number) + (gaps[1] as number));
    // Deduped by the receiver on X-Chatd-Delivery: each event accepted once, in order.
    const accepted = target.accepted(roomId).map((d) => d.headers["x-chatd-delivery"]);
    expect(accepted).toEqual([`${roomId}:${first.body.seq}`, `${roomId}:${second.body.seq}`]);
    const after = await metricsWhen(
      server.url,
      (s) => sample(s, 'chatd_webhook_deliveries_total{outcome="delivered"}') >= 2,
    );
    expect(
      sample(after, 'chatd_webhook_deliveries_total{outcome="failed"}') -
        sample(before, 'chatd_webhook_deliveries_total{outcome="failed"}'),
    ).toBeGreaterThanOrEqual(failures);
  },
  TEST_MS,
);

test(
  "sends complete while the room's receiver hangs",
  async () => {
    const owner = await newUser(server.url, "wh");
    const target = receiver();
    target.answer = () => "hang";
    const { roomId } = await roomWithHook(owner, target);
    await send(owner, roomId, "the first one reaches a receiver that never answers");
    await target.until((d) => d.length >= 1);
    const started = Date.now();
    for (let i = 0; i < 10; i++) expect((await send(owner, roomId, `while hanging ${i}`)).status).toBe(201);
    // Ten sends in less than one delivery timeout (4 s): none of them waited for the receiver.
    expect(Date.now() - started).toBeLessThan(4000);
    expect(target.deliveries).toHaveLength(1);
  },
  TEST_MS,
);

describe("who manages a room's hooks", () => {
  test(
    "only the owner: admins and members 403, outsiders of a private room 404, unknown hooks 404",
    async () => {
      const [owner, admin, member, outsider] = (await Promise.all(
        Array.from({ length: 4 }, () => newUser(server.url, "wh")),
      )) as [TestUser, TestUser, TestUser, TestUser];
      const target = receiver();
      const { roomId, hook } = await roomWithHook(owner, target, "private");
      for (const user of [admin, member])
        expect((await owner.api.post(`/v1/rooms/${roomId}/members`, { user_id: user.id })).status).toBe(201);
      await owner.api.request("PUT", `/v1/rooms/${roomId}/members/${admin.id}/role`, { role: "admin" });
      for (const user of [admin, member]) {
        expect((await user.api.post(`/v1/rooms/${roomId}/webhooks`, { url: target.url })).status).toBe(403);
        expect((await user.api.get(`/v1/rooms/${roomId}/webhooks`)).status).toBe(403);
        expect((await user.api.delete(`/v1/rooms/${roomId}/webhooks/${hook.id}`)).status).toBe(403);
      }
      expect((await outsider.api.get(`/v1/rooms/${roomId}/webhooks`)).status).toBe(404);
      expect((await outsider.api.delete(`/v1/rooms/${roomId}/webhooks/${hook.id}`)).status).toBe(404);
      expect((await owner.api.delete(`/v1/rooms/${roomId}/webhooks/${crypto.randomUUID()}`)).status).toBe(404);
      const bad = await owner.api.post(`/v1/rooms/${roomId}/webhooks`, { url: "ftp://example.com/x" });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].field).toBe("url");

      expect((await owner.api.delete(`/v1/rooms/${roomId}/webhooks/${hook.id}`)).status).toBe(204);
      expect((await owner.api.get(`/v1/rooms/${roomId}/webhooks`)).body.webhooks).toEqual([]);
      // A public room: a visitor who has not joined is refused too.
      const pub = await roomWithHook(owner, target, "public");
      expect((await outsider.api.get(`/v1/rooms/${pub.roomId}/webhooks`)).status).toBe(403);
    },
    TEST_MS,
  );

  test(
    "a deleted hook gets nothing more",
    async () => {
      const owner = await newUser(server.url, "wh");
      const target = receiver();
      const { roomId, hook } = await roomWithHook(owner, target);
      await send(owner, roomId, "before");
      await target.until((d) => d.length >= 1);
      await owner.api.delete(`/v1/rooms/${roomId}/webhooks/${hook.id}`);
      await send(owner, roomId, "after");
      await Bun.sleep(500);
      expect(target.accepted(roomId).map((d) => d.event.message.content)).toEqual(["before"]);
    },
    TEST_MS,
  );
});

test(
  "a deleted room's hooks are removed by the dispatcher",
  async () => {
    const owner = await newUser(server.url, "wh");
    const { roomId, hook } = await roomWithHook(owner, receiver());
    expect((await server.backends.store.scanWebhooks()).map((h) => h.id)).toContain(hook.id);
    expect((await owner.api.delete(`/v1/rooms/${roomId}`)).status).toBe(204);
    const deadline = Date.now() + 5000;
    while ((await server.backends.store.scanWebhooks()).some((h) => h.id === hook.id) && Date.now() < deadline)
      await Bun.sleep(20);
    expect((await server.backends.store.scanWebhooks()).map((h) => h.id)).not.toContain(hook.id);
  },
  TEST_MS,
);

describe("SSRF and the global hook", () => {
  let guarded: TestServer;
  let global: TestServer;
  const globalTarget = new Receiver();
  const refusedTarget = new Receiver();
  beforeAll(async () => {
    guarded = await startTestServer({
      webhookPollMs: 50,
      webhookRetryBaseMs: 50,
      webhookUrl: refusedTarget.url,
      webhookSecret: "global-secret-of-the-test-server",
    });
    global = await startTestServer({
      webhookAllowPrivate: true,
      webhookPollMs: 50,
      webhookRetryBaseMs: 50,
      webhookRetryMaxMs: 200,
      webhookRetryForSeconds: 1,
      webhookUrl: globalTarget.url,
      webhookSecret: "global-secret-of-the-test-server",
    });
  }, TEST_MS);
  afterAll(async () => {
    globalTarget.close();
    refusedTarget.close();
    await Promise.all([guarded.close(), global.close()]);
  }, TEST_MS);

  test(
    "hooks to loopback, private, link-local, metadata and unresolvable hosts are refused without WEBHOOK_ALLOW_PRIVATE",
    async () => {
      const owner = await newUser(guarded.url, "wh");
      const room = await owner.api.post("/v1/rooms", { name: "ssrf", type: "public" });
      for (const url of [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://nonexistent.invalid/",
      ]) {
        const reply = await owner.api.post(`/v1/rooms/${room.body.id}/webhooks`, { url });
        expect({ url, status: reply.status, code: reply.body.error?.code }).toEqual({
          url,
          status: 400,
          code: "validation_failed",
        });
      }
      expect((await owner.api.get(`/v1/rooms/${room.body.id}/webhooks`)).body.webhooks).toEqual([]);
    },
    TEST_MS,
  );

  test(
    "WEBHOOK_URL gets every room's events from the room's first position, signed with WEBHOOK_SECRET",
    async () => {
      const owner = await newUser(global.url, "wh");
      const room = await owner.api.post("/v1/rooms", { name: "global", type: "public" });
      const sent = await owner.api.post(`/v1/rooms/${room.body.id}/messages`, { content: "to the operator" });
      await globalTarget.until((d) => d.some((x) => JSON.parse(x.body).seq === sent.body.seq));
      const deliveries = globalTarget.accepted(room.body.id);
      expect(deliveries.map((d) => d.event.seq)).toEqual(Array.from({ length: sent.body.seq }, (_, i) => i + 1));
      for (const d of deliveries)
        expect(verify("global-secret-of-the-test-server", d.headers["x-chatd-signature"] ?? "", d.body).valid).toBe(
          true,
        );
    },
    TEST_MS,
  );

  test(
    "a global WEBHOOK_URL on loopback gets nothing without WEBHOOK_ALLOW_PRIVATE: each attempt is refused and counted",
    async () => {
      const owner = await newUser(guarded.url, "wh");
      const room = await owner.api.post("/v1/rooms", { name: "refused", type: "public" });
      expect((await owner.api.post(`/v1/rooms/${room.body.id}/messages`, { content: "stay inside" })).status).toBe(201);
      await metricsWhen(guarded.url, (s) => sample(s, 'chatd_webhook_deliveries_total{outcome="failed"}') >= 3);
      expect(refusedTarget.deliveries).toHaveLength(0);
    },
    TEST_MS,
  );

  test(
    "an event its receiver keeps failing is dropped after WEBHOOK_RETRY_FOR_SECONDS and counted; the next one follows",
    async () => {
      const owner = await newUser(global.url, "wh");
      const target = receiver();
      const { roomId } = await roomWithHook(owner, target);
      const doomed = await send(owner, roomId, "never accepted");
      target.answer = ({ headers }) => (headers["x-chatd-delivery"] === `${roomId}:${doomed.body.seq}` ? 500 : 200);
      const next = await send(owner, roomId, "accepted");
      await target.until((d) => d.some((x) => x.status === 200), 10_000);
      const attempts = target.deliveries.filter(
        (d) => d.headers["x-chatd-delivery"] === `${roomId}:${doomed.body.seq}`,
      );
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(
        (target.deliveries.at(-1) as { at: number }).at - (attempts[0] as { at: number }).at,
      ).toBeGreaterThanOrEqual(1000);
      expect(target.accepted(roomId).map((d) => d.event.seq)).toEqual([next.body.seq]);
      await metricsWhen(global.url, (s) => sample(s, 'chatd_webhook_deliveries_total{outcome="dropped"}') >= 1);
    },
    TEST_MS,
  );
});
