// The storage contract for threads (summaries kept by appendMessage and tombstoneMessage, thread
// pages), pins and mentions by user.
import { describe, expect, test } from "bun:test";
import { MessageIdGenerator } from "../../src/domain/ids";
import type { Store } from "../../src/ports/store";
import { appendAs, at, idsOverTime, messageFixture, newUserId, roomWithHistory, seedRoom, T0 } from "./store-fixtures";

/** A room with a root (history[0]) and `replies` thread replies a minute apart after it. */
async function threadRoom(store: Store, replies: number) {
  const { room } = await seedRoom(store);
  const [rootId, ...replyIds] = idsOverTime(replies + 1);
  await appendAs(store, messageFixture(room.id, rootId!));
  for (const id of replyIds) await appendAs(store, messageFixture(room.id, id, { threadRoot: rootId! }));
  return { room, rootId: rootId!, replyIds };
}

export function describeThreadPinMentionStore(getStore: () => Store) {
  describe("threads", () => {
    test("a root's summary counts its live replies and the newest one's time; a reply keeps its root", async () => {
      const store = getStore();
      const { room, rootId, replyIds } = await threadRoom(store, 3);
      const summaries = await store.threadSummaries(room.id, [rootId, replyIds[0]!, crypto.randomUUID()]);
      expect([...summaries.keys()]).toEqual([rootId]);
      expect(summaries.get(rootId)).toEqual({ replyCount: 3, lastReplyAt: new Date(T0 + 3 * 60_000) });
      expect((await store.getMessage(room.id, replyIds[1]!))?.threadRoot).toBe(rootId);
      expect((await store.getMessage(room.id, rootId))?.threadRoot).toBeNull();
    });

    test("tombstoning a reply takes it out of the summary once; the last one leaves no summary", async () => {
      const store = getStore();
      const { room, rootId, replyIds } = await threadRoom(store, 2);
      await store.tombstoneMessage(room.id, replyIds[1]!);
      await store.tombstoneMessage(room.id, replyIds[1]!);
      expect((await store.threadSummaries(room.id, [rootId])).get(rootId)).toEqual({
        replyCount: 1,
        lastReplyAt: new Date(T0 + 60_000),
      });
      await store.tombstoneMessage(room.id, replyIds[0]!);
      expect((await store.threadSummaries(room.id, [rootId])).size).toBe(0);
    });

    test("a page's hints never say none where a view would show reactions or a thread summary", async () => {
      const store = getStore();
      const { room, rootId, replyIds } = await threadRoom(store, 3);
      const [quietRoot] = idsOverTime(1, 3_600_000);
      await appendAs(store, messageFixture(room.id, quietRoot!));
      const [lastReply] = idsOverTime(1, 3_700_000);
      await appendAs(store, messageFixture(room.id, lastReply!, { threadRoot: quietRoot! }));
      const userId = newUserId();
      await store.addReaction(room.id, { messageId: rootId, emoji: "👍", userId });
      await store.addReaction(room.id, { messageId: replyIds[0]!, emoji: "👀", userId });
      await store.addReaction(room.id, { messageId: replyIds[1]!, emoji: "👀", userId });
      await store.removeReaction(room.id, { messageId: replyIds[1]!, emoji: "👀", userId });
      await store.tombstoneMessage(room.id, lastReply!);
      await store.tombstoneMessage(room.id, replyIds[2]!);
      const page = await store.listMessages(room.id, { limit: 20 });
      const ids = page.map((m) => m.id);
      const reacted = new Set((await store.listReactions(room.id, ids)).map((r) => r.messageId));
      const summarised = await store.threadSummaries(room.id, ids);
      expect([...reacted].sort()).toEqual([rootId, replyIds[0]!].sort());
      expect([...summarised.keys()]).toEqual([rootId]);
      for (const message of page) {
        if (reacted.has(message.id)) expect(message.hasReactions).not.toBe(false);
        if (summarised.has(message.id)) expect(message.hasReplies).not.toBe(false);
      }
      const thread = await store.listThreadMessages(room.id, rootId, { limit: 10 });
      expect(thread.find((m) => m.id === replyIds[0])?.hasReactions).not.toBe(false);
      for (const reply of thread) expect(reply).toMatchObject({ roomId: room.id, threadRoot: rootId });
    });

    test("a repeated idempotent reply is counted once", async () => {
      const store = getStore();
      const { room, rootId } = await threadRoom(store, 0);
      const gen = new MessageIdGenerator();
      const {
        id: _id,
        seq: _seq,
        ...bare
      } = messageFixture(room.id, gen.next(T0 + 60_000), {
        threadRoot: rootId,
        clientId: "again",
      });
      await store.appendMessage(bare, (after) => gen.nextAfter(after, T0 + 60_000));
      const second = await store.appendMessage(bare, (after) => gen.nextAfter(after, T0 + 120_000));
      expect(second.created).toBe(false);
      expect((await store.threadSummaries(room.id, [rootId])).get(rootId)?.replyCount).toBe(1);
    });

    test("thread pages go like history, leave out tombstones and other threads", async () => {
      const store = getStore();
      const { room, rootId, replyIds } = await threadRoom(store, 5);
      const [otherRoot] = idsOverTime(1, 3_600_000);
      await appendAs(store, messageFixture(room.id, otherRoot!));
      const [stray] = idsOverTime(1, 3_700_000);
      await appendAs(store, messageFixture(room.id, stray!, { threadRoot: otherRoot! }));
      await store.tombstoneMessage(room.id, replyIds[2]!);
      const ids = async (query: Parameters<Store["listThreadMessages"]>[2]) =>
        (await store.listThreadMessages(room.id, rootId, query)).map((m) => m.id);
      const live = replyIds.filter((_, i) => i !== 2);
      expect(await ids({ limit: 10 })).toEqual([...live].reverse());
      expect(await ids({ limit: 2 })).toEqual([live[3]!, live[2]!]);
      expect(await ids({ limit: 2, before: live[2]! })).toEqual([live[1]!, live[0]!]);
      expect(await ids({ limit: 10, after: live[0]! })).toEqual(live.slice(1));
      expect(await ids({ limit: 10, after: live[0]!, before: live[3]! })).toEqual([live[1]!, live[2]!]);
      expect(await store.listThreadMessages(room.id, crypto.randomUUID(), { limit: 10 })).toEqual([]);
    });
  });

  describe("pins", () => {
    test("a message is pinned once and unpinned once", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 1);
      const pin = { roomId: room.id, messageId: history[0]!, pinnedBy: newUserId(), pinnedAt: at(5_000) };
      expect(await store.addPin(pin)).toBe(true);
      expect(await store.addPin({ ...pin, pinnedBy: newUserId(), pinnedAt: at(9_000) })).toBe(false);
      expect(await store.listPins(room.id)).toEqual([pin]);
      expect(await store.removePin(room.id, pin.messageId)).toBe(true);
      expect(await store.removePin(room.id, pin.messageId)).toBe(false);
      expect(await store.listPins(room.id)).toEqual([]);
    });

    test("pins are listed newest pin first, per room, and go with their room", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 3);
      const other = await roomWithHistory(store, 1);
      const by = newUserId();
      const pins = history.map((messageId, i) => ({
        roomId: room.id,
        messageId,
        pinnedBy: by,
        pinnedAt: at([3, 1, 2][i]! * 1000),
      }));
      for (const pin of pins) await store.addPin(pin);
      await store.addPin({ roomId: other.room.id, messageId: other.history[0]!, pinnedBy: by, pinnedAt: at(1) });
      expect((await store.listPins(room.id)).map((p) => p.messageId)).toEqual([history[0]!, history[2]!, history[1]!]);
      await store.deleteRoom(other.room.id);
      expect(await store.listPins(other.room.id)).toEqual([]);
    });
  });

  describe("mentions by user", () => {
    test("a user's mentions across rooms, newest first, paged by message id; a repeat adds nothing", async () => {
      const store = getStore();
      const [a, b] = [await seedRoom(store), await seedRoom(store)];
      const user = newUserId();
      const ids = idsOverTime(4, 7_200_000);
      const rooms = [a.room.id, b.room.id, a.room.id, b.room.id];
      for (const [i, id] of ids.entries()) {
        await appendAs(store, messageFixture(rooms[i]!, id, { mentions: [user] }));
        await store.addMentions(rooms[i]!, id, [user, newUserId()]);
      }
      await store.addMentions(rooms[1]!, ids[1]!, [user]);
      const expected = ids.map((messageId, i) => ({ userId: user, roomId: rooms[i]!, messageId })).reverse();
      expect(await store.listMentions(user, { limit: 10 })).toEqual(expected);
      expect(await store.listMentions(user, { limit: 2 })).toEqual(expected.slice(0, 2));
      expect(await store.listMentions(user, { limit: 10, before: ids[2]! })).toEqual(expected.slice(2));
      expect(await store.listMentions(newUserId(), { limit: 10 })).toEqual([]);
    });
  });
}
