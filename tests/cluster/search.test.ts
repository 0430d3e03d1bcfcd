// Search in the split deployment: an api process and an indexer process (real `chatd --role ...`
// processes) on Cassandra, NATS (JetStream) and Redis, with OpenSearch fed only by the indexer. A
// message sent becomes searchable and indexed_through moves past it; an indexer killed with SIGKILL
// in the middle of the stream resumes where it stopped, and afterwards the index equals storage.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type Reply, type TestUser } from "../support/client";
import { Cluster, type Node } from "../support/cluster";
import { metricsWhen, readMetrics, sample } from "../support/metrics";
import { NATS_HOST, NATS_PORT } from "../support/nats";
import {
  deleteIndices,
  OPENSEARCH_HOST,
  OPENSEARCH_PORT,
  OPENSEARCH_URL,
  uniqueIndexPrefix,
} from "../support/opensearch";
import { CASSANDRA_HOST, CASSANDRA_PORT, REDIS_HOST, REDIS_PORT, requireService } from "../support/services";

const services = [
  await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT),
  await requireService("nats", NATS_HOST, NATS_PORT),
  await requireService("redis", REDIS_HOST, REDIS_PORT),
  await requireService("opensearch", OPENSEARCH_HOST, OPENSEARCH_PORT),
];
const suite = services.every((s) => s.up) ? describe : describe.skip;

const word = () => `w${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
const ids = (reply: Reply) => (reply.body.results as { message: { id: string } }[]).map((r) => r.message.id);

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`never got there: ${JSON.stringify(value).slice(0, 500)}`);
    await Bun.sleep(100);
  }
}

/** Every search result for `q` in the room, all pages, newest first. */
async function searchAll(user: TestUser, roomId: string, q: string) {
  const found: { id: string; content: string }[] = [];
  for (let cursor: string | null = null, pages = 0; pages < 100; pages++) {
    const reply: Reply = await user.api.get(
      `/v1/search/messages?q=${q}&room_id=${roomId}&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(reply.status).toBe(200);
    found.push(
      ...reply.body.results.map(({ message }: { message: { id: string; content: string } }) => ({
        id: message.id,
        content: message.content,
      })),
    );
    cursor = reply.body.next_cursor;
    if (!cursor) break;
  }
  return found;
}

/** The room's live messages (no tombstones), newest first. */
async function liveHistory(user: TestUser, roomId: string) {
  const all: { id: string; content: string; deleted: boolean }[] = [];
  for (let before: string | undefined; ; ) {
    const page: Reply = await user.api.get(
      `/v1/rooms/${roomId}/messages?limit=200${before ? `&before=${before}` : ""}`,
    );
    all.push(...page.body.messages);
    if (!page.body.has_more) break;
    before = page.body.messages.at(-1).id;
  }
  return all.filter((m) => !m.deleted).map(({ id, content }) => ({ id, content }));
}

suite("search in the split deployment: api + indexer over NATS, OpenSearch", () => {
  let cluster: Cluster;
  let indexer: Node;
  const indexPrefix = uniqueIndexPrefix();

  beforeAll(async () => {
    cluster = await Cluster.start({
      ws: 0,
      env: { OPENSEARCH_URL, OPENSEARCH_INDEX_PREFIX: indexPrefix, OPENSEARCH_TIMEOUT_MS: "20000" },
    });
    indexer = await cluster.startNode("indexer");
  }, 120_000);
  afterAll(async () => {
    await indexer?.stop();
    await cluster?.close();
    await deleteIndices(indexPrefix);
  }, 60_000);

  test("the indexer serves only operations; a message sent through api becomes searchable and indexed_through passes it", async () => {
    const ana = await newUser(cluster.api.url, "ana");
    expect((await fetch(`${indexer.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${indexer.url}/v1/search/messages?q=x`)).status).toBe(404);
    const room = (await ana.api.post("/v1/rooms", { name: "split search", type: "public" })).body.id;
    const w = word();
    const sent = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} over the wire` })).body;
    const reply = await until(
      () => ana.api.get(`/v1/search/messages?q=${w}`),
      (r) => ids(r).includes(sent.id) && r.body.indexed_through >= sent.created_at,
    );
    expect(reply.body.results[0].highlights[0]).toContain(`<mark>${w}</mark>`);
    const metrics = await metricsWhen(indexer.url, (m) => sample(m, "chatd_indexer_documents_total") >= 1);
    expect(metrics.has("chatd_indexer_lag_messages")).toBe(true);
    expect(sample(metrics, "chatd_indexer_batch_seconds_count")).toBeGreaterThanOrEqual(1);
  }, 90_000);

  test("an indexer killed with SIGKILL mid-stream resumes where it stopped; then the index equals storage", async () => {
    const ana = await newUser(cluster.api.url, "ana");
    const rooms: string[] = [];
    for (let i = 0; i < 3; i++)
      rooms.push((await ana.api.post("/v1/rooms", { name: `kill ${i}`, type: "public" })).body.id);
    const w = word();
    let n = 0;
    /** Sends, edits and deletes in every room, `count` messages each. */
    const traffic = async (count: number) => {
      await Promise.all(
        rooms.map(async (room) => {
          for (let i = 0; i < count; i++) {
            const sent = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} number ${n++}` })).body;
            if (i % 7 === 3)
              await ana.api.patch(`/v1/rooms/${room}/messages/${sent.id}`, { content: `${w} edited ${n}` });
            if (i % 11 === 5) await ana.api.delete(`/v1/rooms/${room}/messages/${sent.id}`);
          }
        }),
      );
    };
    const before = sample(await readMetrics(indexer.url), "chatd_indexer_documents_total");
    const sending = traffic(80);
    // Mid-stream: the indexer has taken some of this traffic, not all of it.
    await metricsWhen(indexer.url, (m) => sample(m, "chatd_indexer_documents_total") >= before + 20, 60_000);
    await indexer.kill();
    await sending;
    await traffic(20); // more while no indexer runs
    indexer = await cluster.startNode("indexer");
    const lastSent = new Date().toISOString();
    for (const room of rooms) {
      const stored = await liveHistory(ana, room);
      await until(
        async () => {
          const reply = await ana.api.get(`/v1/search/messages?q=${w}&room_id=${room}&limit=1`);
          return reply.body.indexed_through as string | null;
        },
        (through) => through !== null && through >= lastSent,
      );
      const found = await searchAll(ana, room, w);
      expect(found).toEqual(stored);
    }
    expect(sample(await readMetrics(indexer.url), "chatd_indexer_lag_messages")).toBe(0);
  }, 240_000);
});
