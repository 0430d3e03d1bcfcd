// Runs the storage contract against a real Cassandra on 127.0.0.1:9042 (scripts/services/cassandra),
// in a keyspace of its own that is dropped afterwards. Message buckets are five minutes wide here, so
// the contract's histories (minutes apart, with an hour-long gap) span and skip many partitions. Then
// what only the Cassandra adapter has to prove: concurrent migrations, the fixed bucket width, and
// message order on timestamp ties, where Cassandra's own timeuuid order differs from compareMessageIds,
// and room positions across log blocks (small blocks here) and a writer that died between two writes;
// attachments: the TTL of pending rows and claims restored with a message.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client } from "cassandra-driver";
import { compareMessageIds, MessageIdGenerator } from "../../src/domain/ids";
import { type CassandraOptions, CassandraStore } from "../../src/store/cassandra";
import { sortKey } from "../../src/store/cassandra/keys";
import {
  CASSANDRA_CONTACT_POINT,
  CASSANDRA_HOST,
  CASSANDRA_PORT,
  dropKeyspace,
  requireService,
  uniqueKeyspace,
} from "../support/services";
import { runStoreContract } from "./store.contract";
import { attachmentFixture, readyAttachment } from "./store-attachments.contract";
import { appendAs, at, memberFixture, messageFixture, newUserId, seedRoom, T0 } from "./store-fixtures";

const cassandra = await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT);

const options = (keyspace: string, over: Partial<CassandraOptions> = {}): CassandraOptions => ({
  contactPoints: [CASSANDRA_CONTACT_POINT],
  keyspace,
  localDataCenter: "datacenter1",
  replication: { class: "SimpleStrategy", replicationFactor: 1 },
  timeoutMs: 10_000,
  messageBucketMs: 5 * 60_000,
  ...over,
});

if (cassandra.up) {
  const keyspace = uniqueKeyspace("chatd_contract");
  // Create the schema up front, outside the suite's hook timeout (a cold node takes a while); the
  // suite's own migrate() then finds it applied. Fresh-keyspace migration is tested below.
  const setup = new CassandraStore(options(keyspace));
  await setup.migrate();
  await setup.close();
  runStoreContract(
    "cassandra",
    async () => new CassandraStore(options(keyspace)),
    () => dropKeyspace(keyspace),
  );
} else {
  cassandra.describe("Store contract: cassandra", () => test("runs against a live Cassandra", () => {}));
}

cassandra.describe("Cassandra store", () => {
  const keyspace = uniqueKeyspace("chatd_cassandra");
  const stores: CassandraStore[] = [];
  const open = (over: Partial<CassandraOptions> = {}) => {
    const store = new CassandraStore(options(keyspace, over));
    stores.push(store);
    return store;
  };
  let first: { applied: string[] }[];

  beforeAll(async () => {
    // Two processes starting at once on a keyspace that does not exist yet.
    first = await Promise.all([open().migrate(), open().migrate()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await dropKeyspace(keyspace);
  });

  test("processes migrating a fresh keyspace at once apply every migration exactly once between them", async () => {
    const applied = first.flatMap((result) => result.applied);
    expect(applied.length).toBeGreaterThan(0);
    expect(new Set(applied).size).toBe(applied.length);
    expect((await open().migrate()).applied).toEqual([]);
  });

  test("a process set up for another message bucket width refuses the keyspace", async () => {
    await expect(open({ messageBucketMs: 60 * 60_000 }).migrate()).rejects.toThrow(/buckets of 300000 ms/);
  });

  test("a keyspace from before the paged member list lists every member once migrated", async () => {
    const store = stores[0]!;
    const { room, owner } = await seedRoom(store);
    const members = [1, 2, 3].map((i) => memberFixture(room.id, newUserId(), { joinedAt: at(3_000 + i) }));
    for (const member of members) await store.addMember(member, null);
    // Back to the state before migration 0004: no member list, the migration not recorded.
    const raw = new Client({ contactPoints: [CASSANDRA_CONTACT_POINT], localDataCenter: "datacenter1", keyspace });
    try {
      await raw.execute("DELETE FROM room_members_by_join WHERE room_id = ?", [room.id], { prepare: true });
      await raw.execute("DELETE FROM schema_migrations WHERE version = ?", ["0004_member_pages"], { prepare: true });
    } finally {
      await raw.shutdown();
    }
    expect(await store.listMembers(room.id, { limit: 10 })).toEqual([]);
    expect((await open().migrate()).applied).toEqual(["0004_member_pages"]);
    expect(await store.listMembers(room.id, { limit: 10 })).toEqual([owner, ...members]);
  });

  test("ids minted in one 100-ns tick by different processes keep compareMessageIds order", async () => {
    const store = stores[0]!;
    const { room } = await seedRoom(store);
    // Twenty generators (processes) minting in the same millisecond: equal timestamps, random tails.
    // Cassandra's timeuuid type would order these by their tails as signed bytes.
    const tick = T0 + 7 * 60_000;
    const ids = [
      ...Array.from({ length: 20 }, () => new MessageIdGenerator().next(tick)),
      new MessageIdGenerator().next(tick - 1),
      new MessageIdGenerator().next(tick + 1),
    ];
    const reader = newUserId();
    const newestFirst = [...ids].sort((a, b) => compareMessageIds(b, a));
    for (const id of [...newestFirst].reverse()) await appendAs(store, messageFixture(room.id, id));
    expect((await store.listMessages(room.id, { limit: 50 })).map((m) => m.id)).toEqual(newestFirst);

    const paged: string[] = [];
    for (let before: string | undefined; ; ) {
      const page = await store.listMessages(room.id, { before, limit: 3 });
      if (page.length === 0) break;
      paged.push(...page.map((m) => m.id));
      before = page.at(-1)!.id;
    }
    expect(paged).toEqual(newestFirst);

    const oldestFirst = [...newestFirst].reverse();
    const middle = oldestFirst[10]!;
    expect((await store.listMessages(room.id, { after: middle, limit: 50 })).map((m) => m.id)).toEqual(
      oldestFirst.slice(11),
    );
    expect(await store.countUnread(room.id, reader, middle, 100)).toEqual({ count: 11, mentioned: false });
    expect(await store.setReadMarker(room.id, reader, middle)).toBe(true);
    expect(await store.setReadMarker(room.id, reader, oldestFirst[9]!)).toBe(false);
    expect(await store.setReadMarker(room.id, reader, oldestFirst[11]!)).toBe(true);
    expect(await store.getReadMarker(room.id, reader)).toBe(oldestFirst[11]!);
  });
});

cassandra.describe("Cassandra room positions", () => {
  // Blocks of 4 positions: a few appends cross several partitions.
  const keyspace = uniqueKeyspace("chatd_positions");
  const stores: CassandraStore[] = [];
  const open = () => {
    const store = new CassandraStore(options(keyspace, { logBlockSize: 4 }));
    stores.push(store);
    return store;
  };
  beforeAll(() => open().migrate(), 120_000);
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await dropKeyspace(keyspace);
  });
  const gen = new MessageIdGenerator();
  const mint = (after: string | null) => gen.nextAfter(after);
  const draft = (roomId: string) => {
    const { id: _id, seq: _seq, ...rest } = messageFixture(roomId, gen.next());
    return rest;
  };

  test("positions run on across log blocks, from two processes at once, and read back in order", async () => {
    const [a, b] = [stores[0]!, open()];
    const { room } = await seedRoom(a);
    const appends = Array.from({ length: 30 }, (_, i) =>
      i % 2
        ? b.appendEvent(room.id, "reaction.added", `{"i":${i}}`)
        : a.appendMessage(draft(room.id), mint).then((r) => r.message.seq),
    );
    const positions = await Promise.all(appends);
    expect([...positions].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // A fresh process finds the head from the block list, and reads across every block.
    const fresh = open();
    expect(await fresh.headPosition(room.id)).toBe(30);
    expect((await fresh.readLog(room.id, 2, 100)).map((e) => e.position)).toEqual(
      Array.from({ length: 28 }, (_, i) => i + 3),
    );
    expect((await fresh.readLog(room.id, 7, 5)).map((e) => e.position)).toEqual([8, 9, 10, 11, 12]);
    expect((await fresh.appendMessage(draft(room.id), mint)).message.seq).toBe(31);
    await fresh.deleteRoom(room.id);
    expect(await open().headPosition(room.id)).toBe(0);
  });

  test("appends queued together take their positions in groups that stop at block ends and at the payload bound", async () => {
    const [a, b] = [stores[0]!, open()];
    const { room } = await seedRoom(a);
    const big = "x".repeat(3000);
    // 50 at once per process: each process commits them in groups, which must not run past a block.
    const appends = Array.from({ length: 100 }, (_, i) => {
      const store = i % 2 ? b : a;
      if (i % 5 === 4) return store.appendEvent(room.id, "reaction.added", `{"i":${i}}`);
      const { id: _id, seq: _seq, ...rest } = messageFixture(room.id, gen.next(), { content: i % 3 ? `m${i}` : big });
      return store.appendMessage(rest, mint).then((r) => r.message.seq);
    });
    const positions = await Promise.all(appends);
    expect([...positions].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const fresh = open();
    expect(await fresh.headPosition(room.id)).toBe(100);
    const log = await fresh.readLog(room.id, 0, 200);
    expect(log.map((e) => e.position)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(log.filter((e) => e.message).map((e) => e.message!.seq)).toEqual(
      log.filter((e) => e.message).map((e) => e.position),
    );
    expect(await fresh.appendEvent(room.id, "member.left", "{}")).toBe(101);
  });

  test("a message whose writer died between its log entry and its row is restored when the log is read", async () => {
    const store = stores[0]!;
    const { room } = await seedRoom(store);
    const { message } = await store.appendMessage(draft(room.id), mint);
    // What a writer that died after the log entry leaves: the entry without the message row.
    const admin = new CassandraStore(options(keyspace, { logBlockSize: 4 }));
    stores.push(admin);
    const { Client } = await import("cassandra-driver");
    const raw = new Client({ contactPoints: [CASSANDRA_CONTACT_POINT], localDataCenter: "datacenter1", keyspace });
    try {
      await raw.execute(
        "DELETE FROM messages WHERE room_id = ? AND bucket = ? AND seq = ?",
        [room.id, Math.floor(message.createdAt.getTime() / (5 * 60_000)), sortKey(message.id)],
        { prepare: true },
      );
    } finally {
      await raw.shutdown();
    }
    expect(await store.getMessage(room.id, message.id)).toBeNull();
    const [entry] = await store.readLog(room.id, 0, 1);
    expect(entry).toEqual({ position: 1, type: "message.created", payload: null, message });
    expect(await store.getMessage(room.id, message.id)).toEqual(message);
    expect((await store.listMessages(room.id, { limit: 5 })).map((m) => m.id)).toEqual([message.id]);
  });
});

cassandra.describe("Cassandra attachments", () => {
  const keyspace = uniqueKeyspace("chatd_attach");
  const stores: CassandraStore[] = [];
  // No slack: a pending record's TTL is its remaining upload time, so the test sees it go.
  const open = () => {
    const store = new CassandraStore(options(keyspace, { attachmentTtlSlackSeconds: 0 }));
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    await open().migrate();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropKeyspace(keyspace);
  });
  const raw = async (query: string, params: unknown[]) => {
    const client = new Client({ contactPoints: [CASSANDRA_CONTACT_POINT], localDataCenter: "datacenter1", keyspace });
    try {
      return await client.execute(query, params, { prepare: true });
    } finally {
      await client.shutdown();
    }
  };

  test("a pending upload's row expires by TTL; a completed one outlives it, and the sweep still gets the object", async () => {
    const store = stores[0]!;
    const soon = new Date(Date.now() + 2_000);
    const [left, done] = [attachmentFixture({ expiresAt: soon }), attachmentFixture({ expiresAt: soon })];
    await store.createAttachment(left);
    await store.createAttachment(done);
    expect(await store.completeAttachment(done.id, new Date())).not.toBeNull();
    const deadline = Date.now() + 20_000;
    while ((await store.getAttachment(left.id)) !== null) {
      if (Date.now() > deadline) throw new Error("the pending row did not expire");
      await Bun.sleep(200);
    }
    expect(await store.getAttachment(done.id)).toEqual({ ...done, status: "ready", roomId: null, messageId: null });
    // The sweep index kept the expired upload's object key.
    const after = new Date(soon.getTime() + 1);
    const due = (await store.dueAttachments(after, 100)).filter((i) => i.id === left.id || i.id === done.id);
    expect(due).toEqual([{ id: left.id, blobKey: left.blobKey, status: "pending", due: soon }]);
    await store.removeAttachment(due[0]!);
    expect((await store.dueAttachments(after, 100)).filter((i) => i.id === left.id)).toEqual([]);
  }, 30_000);

  test("a message restored from its log entry names itself on the attachments its writer had claimed", async () => {
    const store = stores[0]!;
    const { room } = await seedRoom(store);
    const authorId = newUserId();
    const file = await readyAttachment(store, authorId);
    const gen = new MessageIdGenerator();
    const {
      id: _id,
      seq: _seq,
      ...draft
    } = messageFixture(room.id, gen.next(), {
      authorId,
      attachmentIds: [file.id],
    });
    const { message } = await store.appendMessage(draft, (after) => gen.nextAfter(after));
    // What a writer that died after the log entry leaves: the claim without the message, no message row.
    await raw("UPDATE attachments SET message_id = null WHERE id = ?", [file.id]);
    await raw("DELETE FROM messages WHERE room_id = ? AND bucket = ? AND seq = ?", [
      room.id,
      Math.floor(message.createdAt.getTime() / (5 * 60_000)),
      sortKey(message.id),
    ]);
    expect(await store.getAttachment(file.id)).toMatchObject({ roomId: room.id, messageId: null });
    const [entry] = await open().readLog(room.id, 0, 1);
    expect(entry?.message).toEqual(message);
    expect(await store.getAttachment(file.id)).toMatchObject({ roomId: room.id, messageId: message.id });
  });
});
