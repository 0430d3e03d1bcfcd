// The search indexer on the embedded shape (a real server: SQLite, SQLite FTS5, the in-process stream):
// events that never reached the stream are repaired from the room's log, old redelivered events never
// bring content back, a restart catches up with what the in-process stream lost, `reindex` rebuilds
// from storage; and the watermark on its own (an index that holds a batch): it never passes an event
// the index has not taken.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryEventStream } from "../../src/bus/memory";
import { encodeEvent, STREAM_SUBJECTS } from "../../src/domain/events";
import { MessageIdGenerator } from "../../src/domain/ids";
import { GRACE_MS, Indexer } from "../../src/domain/indexer";
import { reindex } from "../../src/domain/reindex";
import { createLogger } from "../../src/log";
import type { SearchIndex } from "../../src/ports/search";
import { SqliteSearchIndex } from "../../src/search/sqlite";
import { SqliteStore } from "../../src/store/sqlite";
import { Client, newUser, type Reply, type TestUser } from "../support/client";
import { readMetrics, sample } from "../support/metrics";
import { startTestServer, type TestServer } from "../support/server";

const log = createLogger("silent");
const word = () => `w${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
const ids = (reply: Reply) => (reply.body.results as { message: { id: string } }[]).map((r) => r.message.id);
const search = (who: TestUser, q: string) => who.api.get(`/v1/search/messages?q=${encodeURIComponent(q)}`);

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`never got there: ${JSON.stringify(value)}`);
    await Bun.sleep(25);
  }
}

/** Stores a message in the room's log without RoomEvents: an event that never reached the stream. */
async function storeBehindTheStream(server: TestServer, roomId: string, author: TestUser, content: string) {
  const ids = new MessageIdGenerator();
  const { message } = await server.backends.store.appendMessage(
    {
      roomId,
      authorId: author.id,
      authorUsername: author.username,
      content,
      createdAt: new Date(),
      editedAt: null,
      deleted: false,
      replyTo: null,
      threadRoot: null,
      clientId: null,
      mentions: [],
      attachmentIds: [],
    },
    (after) => ids.nextAfter(after),
  );
  return message;
}

describe("indexer on the embedded shape", () => {
  let server: TestServer;
  let ana: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ messagesPerMinute: 10_000 });
    ana = await newUser(server.url, "ana");
  });
  afterAll(() => server.close());

  const newRoom = async () => (await ana.api.post("/v1/rooms", { name: "indexed", type: "public" })).body.id as string;

  test("an event that never reached the stream is read from the room's log when a later one arrives", async () => {
    const room = await newRoom();
    const [lost, next] = [word(), word()];
    const missing = await storeBehindTheStream(server, room, ana, `${lost} never published`);
    const before = sample(await readMetrics(server.url), "chatd_indexer_repairs_total");
    const sent = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: next })).body;
    expect(
      ids(
        await until(
          () => search(ana, next),
          (r) => ids(r).length === 1,
        ),
      ),
    ).toEqual([sent.id]);
    expect(
      ids(
        await until(
          () => search(ana, lost),
          (r) => ids(r).length === 1,
        ),
      ),
    ).toEqual([missing.id]);
    expect(sample(await readMetrics(server.url), "chatd_indexer_repairs_total")).toBeGreaterThan(before);
  });

  test("an old event delivered again does not bring back a deleted or edited message", async () => {
    const room = await newRoom();
    const [w, edited, marker] = [word(), word(), word()];
    const gone = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} gone` })).body;
    const kept = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} kept` })).body;
    await ana.api.delete(`/v1/rooms/${room}/messages/${gone.id}`);
    await ana.api.patch(`/v1/rooms/${room}/messages/${kept.id}`, { content: edited });
    await until(
      () => search(ana, edited),
      (r) => ids(r).length === 1,
    );
    // The original creates again, under new message ids of the stream (so it stores them again).
    for (const message of [gone, kept]) {
      const { data } = encodeEvent({ type: "message.created", room_id: room, message, seq: message.seq });
      await server.backends.stream.append(`chat.events.${room}`, data, { msgId: crypto.randomUUID() });
    }
    const last = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: marker })).body;
    await until(
      () => search(ana, marker),
      (r) => ids(r).includes(last.id),
    );
    expect(ids(await search(ana, w))).toEqual([]);
    expect(ids(await search(ana, edited))).toEqual([kept.id]);
  });

  test("a search checks what the index found against storage: a lagging index never shows a tombstone or stale text", async () => {
    const room = await newRoom();
    const w = word();
    const deleted = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} deleted` })).body;
    const edited = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} edited` })).body;
    const kept = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} kept` })).body;
    await until(
      () => search(ana, w),
      (r) => ids(r).length === 3,
    );
    // Changed in storage behind the index's back: the index still has the old documents.
    await server.backends.store.tombstoneMessage(room, deleted.id);
    await server.backends.store.updateMessage(room, edited.id, {
      content: "other words",
      editedAt: new Date(),
      mentions: [],
    });
    const reply = await search(ana, w);
    expect(ids(reply)).toEqual([kept.id]);
    expect(reply.body.results[0].message.content).toBe(`${w} kept`);
  });

  test("reindex rebuilds the index from storage, and drops a room storage no longer has", async () => {
    const room = await newRoom();
    const w = word();
    const one = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} one` })).body;
    const two = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `${w} two` })).body;
    await ana.api.delete(`/v1/rooms/${room}/messages/${two.id}`);
    await until(
      () => search(ana, w),
      (r) => ids(r).length === 1,
    );
    const index = server.backends.search as SearchIndex;
    await index.clear();
    expect(ids(await search(ana, w))).toEqual([]);
    const done = await reindex({ store: server.backends.store, index, log });
    expect(done.rooms).toBeGreaterThanOrEqual(1);
    expect(ids(await search(ana, w))).toEqual([one.id]);
    expect((await index.rooms([room])).get(room)?.position).toBe(await server.backends.store.headPosition(room));
    const ghost = crypto.randomUUID();
    await reindex({ store: server.backends.store, index, log }, ghost);
    expect((await index.rooms([ghost])).get(ghost)?.deleted).toBe(true);
  });
});

test("a restart catches up with what the in-process stream lost, and chatd reindex works from the command line", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "chatd-restart-"));
  try {
    const first = await startTestServer({ dataDir });
    const ana = await newUser(first.url, "ana");
    const room = (await ana.api.post("/v1/rooms", { name: "restart", type: "public" })).body.id as string;
    const w = word();
    await first.stop();
    // Stored while no indexer ran (a process that died between storing and indexing).
    const store = new SqliteStore(join(dataDir, "chatd.sqlite"));
    const ids_ = new MessageIdGenerator();
    const draft = { roomId: room, authorId: ana.id, authorUsername: ana.username, createdAt: new Date() };
    const message = {
      ...draft,
      content: `${w} while down`,
      editedAt: null,
      deleted: false,
      replyTo: null,
      threadRoot: null,
      clientId: null,
      mentions: [],
      attachmentIds: [],
    };
    const { message: stored } = await store.appendMessage(message, (after) => ids_.nextAfter(after));
    await store.close();
    const second = await startTestServer({ dataDir });
    try {
      const client = new Client(second.url, ana.api.token);
      const found = await until(
        () => client.get(`/v1/search/messages?q=${w}`),
        (r) => r.status === 200 && r.body.results.length === 1,
      );
      expect(found.body.results[0].message.id).toBe(stored.id);
    } finally {
      await second.stop();
    }
    const proc = Bun.spawn(["bun", join(import.meta.dir, "../../src/main.ts"), "reindex", "--room", room], {
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "info" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(0);
    expect(await new Response(proc.stdout).text()).toContain('"msg":"reindex done"');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}, 60_000);

describe("the watermark", () => {
  test("it never passes an event the index has not taken, and moves on once it has", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chatd-watermark-"));
    const path = join(dir, "chatd.sqlite");
    const store = new SqliteStore(path);
    await store.migrate();
    const real = new SqliteSearchIndex(path);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = false;
    // The real index, whose first non-empty apply waits until the test lets it go.
    const index: SearchIndex = {
      rooms: (...args) => real.rooms(...args),
      apply: async (...args) => {
        if (args[0].length > 0 && !holding) {
          holding = true;
          await held;
        }
        return real.apply(...args);
      },
      deleteRoom: (...args) => real.deleteRoom(...args),
      clearRoom: (...args) => real.clearRoom(...args),
      clear: () => real.clear(),
      search: (...args) => real.search(...args),
      flush: () => real.flush(),
      watermark: () => real.watermark(),
      setWatermark: (...args) => real.setWatermark(...args),
      ping: () => real.ping(),
      close: () => real.close(),
    };
    const stream = new MemoryEventStream({ subjects: STREAM_SUBJECTS, log });
    const indexer = new Indexer({ stream, index, store, log });
    try {
      await indexer.start();
      const idle = await until(
        () => real.watermark(),
        (w) => w !== null && w.getTime() > Date.now() - 5 * GRACE_MS,
      );
      const room = crypto.randomUUID();
      const message = {
        id: new MessageIdGenerator().next(),
        seq: 1,
        room_id: room,
        author_id: crypto.randomUUID(),
        author_username: "ana",
        content: "held back",
        created_at: new Date().toISOString(),
        edited_at: null,
        deleted: false,
        reply_to: null,
        thread_root: null,
        thread: null,
        mentions: [],
        attachments: [],
        reactions: [],
        client_id: null,
      };
      const appendedAt = Date.now();
      const { data } = encodeEvent({ type: "message.created", room_id: room, message, seq: 1 });
      await stream.append(`chat.events.${room}`, data, { msgId: `${room}:1` });
      await until(
        async () => holding,
        (h) => h,
      );
      // Held for longer than the grace, so a watermark that ignored the held event would pass it.
      while (Date.now() < appendedAt + GRACE_MS + 1000) {
        await indexer.tick();
        expect((await real.watermark())!.getTime()).toBeLessThan(appendedAt);
        await Bun.sleep(100);
      }
      expect((await real.watermark())!.getTime()).toBeGreaterThanOrEqual(idle!.getTime());
      release();
      const after = await until(
        async () => {
          await indexer.tick();
          return real.watermark();
        },
        (w) => w!.getTime() >= Date.parse(message.created_at),
      );
      expect(after!.getTime()).toBeLessThanOrEqual(Date.now() - GRACE_MS);
      const hits = await real.search({ terms: [{ text: "held", prefix: false }], roomIds: [room], limit: 5 });
      expect(hits.map((h) => h.messageId)).toEqual([message.id]);
    } finally {
      release();
      await indexer.stop();
      await stream.close();
      await real.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
