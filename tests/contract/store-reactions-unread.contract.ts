// The storage contract for what users do with messages after sending: reactions, read markers, unread counts.
import { describe, expect, test } from "bun:test";
import { MessageIdGenerator } from "../../src/domain/ids";
import type { Store } from "../../src/ports/store";
import { appendAs, idsOverTime, messageFixture, newUserId, roomWithHistory, seedRoom, T0 } from "./store-fixtures";

/** Registers the reaction and read-state tests; `getStore` answers the suite's migrated store. */
export function describeReactionAndReadStore(getStore: () => Store) {
  describe("reactions", () => {
    test("a reaction is added once and removed once", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 1);
      const reaction = { messageId: history[0]!, emoji: "👍", userId: newUserId() };
      expect(await store.addReaction(room.id, reaction)).toBe(true);
      expect(await store.addReaction(room.id, reaction)).toBe(false);
      expect(await store.listReactions(room.id, [reaction.messageId])).toEqual([reaction]);
      expect(await store.removeReaction(room.id, reaction)).toBe(true);
      expect(await store.removeReaction(room.id, reaction)).toBe(false);
      expect(await store.listReactions(room.id, [reaction.messageId])).toEqual([]);
    });

    test("reactions are listed by message, then by the emoji that came first, then by who reacted first", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 12);
      const [m1, m2] = [history[3]!, history[10]!];
      const [ana, bob, cyd] = [newUserId(), newUserId(), newUserId()];
      const r = (messageId: string, emoji: string, userId: string) => ({ messageId, emoji, userId });
      for (const reaction of [
        r(m2, "🎉", ana),
        r(m1, "👍", bob),
        r(m1, "🎉", ana),
        r(m1, "👍", ana),
        r(m2, "👍", cyd),
        r(m1, "🎉", cyd),
        r(m2, "🎉", bob),
      ])
        await store.addReaction(room.id, reaction);
      expect(await store.listReactions(room.id, [m2, m1])).toEqual([
        r(m1, "👍", bob),
        r(m1, "👍", ana),
        r(m1, "🎉", ana),
        r(m1, "🎉", cyd),
        r(m2, "🎉", ana),
        r(m2, "🎉", bob),
        r(m2, "👍", cyd),
      ]);
      // Once an emoji is gone from a message, its next first reaction goes to the end.
      await store.removeReaction(room.id, r(m1, "👍", bob));
      await store.removeReaction(room.id, r(m1, "👍", ana));
      await store.addReaction(room.id, r(m1, "👍", cyd));
      expect(await store.listReactions(room.id, [m1])).toEqual([r(m1, "🎉", ana), r(m1, "🎉", cyd), r(m1, "👍", cyd)]);
    });

    test("only reactions on the asked messages of the room are listed", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 3);
      const { room: other } = await seedRoom(store);
      const userId = newUserId();
      for (const messageId of history) await store.addReaction(room.id, { messageId, emoji: "👀", userId });
      expect(await store.listReactions(room.id, [history[1]!])).toEqual([
        { messageId: history[1]!, emoji: "👀", userId },
      ]);
      expect(await store.listReactions(other.id, history)).toEqual([]);
      expect(await store.listReactions(room.id, [])).toEqual([]);
    });
  });

  describe("read state", () => {
    test("the read marker only moves forward, in message order", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 12);
      const userId = newUserId();
      const later = history.findIndex((id, i) => i > 0 && id < history[i - 1]!); // sorts before its predecessor
      expect(later).toBeGreaterThan(0);
      expect(await store.getReadMarker(room.id, userId)).toBeNull();
      expect(await store.setReadMarker(room.id, userId, history[later - 1]!)).toBe(true);
      expect(await store.setReadMarker(room.id, userId, history[later]!)).toBe(true);
      expect(await store.getReadMarker(room.id, userId)).toBe(history[later]!);
      expect(await store.setReadMarker(room.id, userId, history[later - 1]!)).toBe(false);
      expect(await store.setReadMarker(room.id, userId, history[later]!)).toBe(false);
      expect(await store.setReadMarker(room.id, userId, history[0]!)).toBe(false);
      expect(await store.getReadMarker(room.id, userId)).toBe(history[later]!);
      expect(await store.setReadMarker(room.id, userId, history.at(-1)!)).toBe(true);
      expect(await store.getReadMarker(room.id, userId)).toBe(history.at(-1)!);
    });

    test("read markers are per user and per room", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 3);
      const { room: other } = await seedRoom(store);
      const [ana, bob] = [newUserId(), newUserId()];
      await store.setReadMarker(room.id, ana, history[2]!);
      expect(await store.setReadMarker(room.id, bob, history[0]!)).toBe(true);
      expect(await store.getReadMarker(room.id, bob)).toBe(history[0]!);
      expect(await store.getReadMarker(room.id, ana)).toBe(history[2]!);
      expect(await store.getReadMarker(other.id, ana)).toBeNull();
    });

    test("unread counts other people's live messages after the marker, up to the cap", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const reader = newUserId();
      const history = idsOverTime(12);
      for (const [i, id] of history.entries())
        await appendAs(store, messageFixture(room.id, id, { authorId: i % 4 === 0 ? reader : newUserId() }));
      await store.tombstoneMessage(room.id, history[5]!);
      // Others' live messages: 1, 2, 3, 6, 7, 9, 10, 11 (0, 4, 8 are the reader's; 5 is deleted).
      expect(await store.countUnread(room.id, reader, null, 100)).toEqual({ count: 8, mentioned: false });
      expect(await store.countUnread(room.id, reader, history[3]!, 100)).toEqual({ count: 5, mentioned: false });
      expect(await store.countUnread(room.id, reader, history[9]!, 100)).toEqual({ count: 2, mentioned: false });
      expect(await store.countUnread(room.id, reader, history[11]!, 100)).toEqual({ count: 0, mentioned: false });
      expect(await store.countUnread(room.id, reader, null, 3)).toEqual({ count: 3, mentioned: false });
      const between = new MessageIdGenerator().next(T0 + 5 * 60_000 + 30_000); // not a message: after 5, before 6
      expect(await store.countUnread(room.id, reader, between, 100)).toEqual({ count: 5, mentioned: false });
      expect(await store.countUnread(room.id, newUserId(), null, 100)).toEqual({ count: 11, mentioned: false });
    });

    test("unread reports a mention only when a counted message mentions the user", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const reader = newUserId();
      const [read, own, deleted, live] = idsOverTime(4);
      const mention = { mentions: [newUserId(), reader] };
      await appendAs(store, messageFixture(room.id, read!, mention));
      await appendAs(store, messageFixture(room.id, own!, { ...mention, authorId: reader }));
      await appendAs(store, messageFixture(room.id, deleted!, mention));
      await store.tombstoneMessage(room.id, deleted!);
      await appendAs(store, messageFixture(room.id, live!, { mentions: [newUserId()] }));
      expect(await store.countUnread(room.id, reader, read!, 100)).toEqual({ count: 1, mentioned: false });
      expect(await store.countUnread(room.id, reader, null, 100)).toEqual({ count: 2, mentioned: true });
      const later = idsOverTime(1, 10 * 60_000)[0]!;
      await appendAs(store, messageFixture(room.id, later, mention));
      expect(await store.countUnread(room.id, reader, live!, 100)).toEqual({ count: 1, mentioned: true });
      expect(await store.countUnread(room.id, newUserId(), read!, 100)).toEqual({ count: 3, mentioned: false });
    });
  });
}
