// Notifications in a split deployment (two api processes and one ws process on Cassandra, NATS and
// Redis): the digest dispatcher runs in every api process but only the lease holder sends, so a user
// away past the delay gets exactly one digest; the ws process records when they left.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Client, newUser, type TestUser } from "../support/client";
import { Cluster, type Node } from "../support/cluster";
import { NATS_HOST, NATS_PORT } from "../support/nats";
import { digestsTo } from "../support/notify";
import { Outbox, tokenIn } from "../support/outbox";
import { CASSANDRA_HOST, CASSANDRA_PORT, REDIS_HOST, REDIS_PORT, requireService } from "../support/services";
import { WsClient } from "../support/ws";

const services = [
  await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT),
  await requireService("nats", NATS_HOST, NATS_PORT),
  await requireService("redis", REDIS_HOST, REDIS_PORT),
];
const suite = services.every((s) => s.up) ? describe : describe.skip;

const AFTER_MINUTES = 0.03; // 1.8 s
const POLL_SECONDS = 0.1;

suite("digests with two api processes", () => {
  let cluster: Cluster;
  let second: Node;
  const outboxOf = (node: Node) => new Outbox(join(node.dataDir, "outbox"));

  beforeAll(async () => {
    cluster = await Cluster.start({
      ws: 1,
      env: { NOTIFY_AFTER_MINUTES: String(AFTER_MINUTES), NOTIFY_POLL_SECONDS: String(POLL_SECONDS) },
    });
    second = await cluster.startNode("api");
  }, 120_000);
  afterAll(async () => {
    await second?.stop();
    await cluster?.close();
  }, 60_000);

  /** Signed up through the first api process, whose outbox has the verification mail. */
  async function verified(): Promise<TestUser> {
    const user = await newUser(cluster.api.url, "cl");
    const token = tokenIn(await outboxOf(cluster.api).latest(user.email, /Verify/, 10_000));
    expect((await user.api.post("/v1/auth/verify-email", { token })).status).toBe(200);
    return user;
  }

  test("a user away past the delay gets exactly one digest, from one of the two api processes", async () => {
    const [alice, bob] = await Promise.all([verified(), verified()]);
    const socket = await WsClient.connect(cluster.ws[0]!.url, bob.api.token!);
    await socket.close();
    // The ws process records the disconnect in Cassandra; give it a moment before the DM.
    await Bun.sleep(500);
    const dm = await alice.api.post("/v1/dms", { user_id: bob.id });
    // Sent through the second api process: it does not matter where a message comes from.
    const sent = await new Client(second.url, alice.api.token).post(`/v1/rooms/${dm.body.id}/messages`, {
      content: "ping",
    });
    expect(sent.status).toBe(201);
    const all = async () => [
      ...(await digestsTo(outboxOf(cluster.api), bob.email)),
      ...(await digestsTo(outboxOf(second), bob.email)),
    ];
    const deadline = Date.now() + 20_000;
    while ((await all()).length === 0 && Date.now() < deadline) await Bun.sleep(50);
    // Past the first digest, both dispatchers keep polling for many rounds: still one.
    await Bun.sleep(AFTER_MINUTES * 60_000 + 20 * POLL_SECONDS * 1000);
    const digests = await all();
    expect(digests).toHaveLength(1);
    expect(digests[0]?.text).toContain(`direct messages with ${alice.username}: 1 unread`);
  }, 60_000);
});
