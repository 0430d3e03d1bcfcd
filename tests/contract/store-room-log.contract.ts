// The storage contract for room positions: dense per-room positions assigned once, also under
// concurrent appends from two processes (two store instances on one database), message ids minted in
// position order, and the log read back by position.
import { describe, expect, test } from "bun:test";
import { compareMessageIds, MessageIdGenerator } from "../../src/domain/ids";
import type { MessageRecord } from "../../src/ports/messages";
import type { MessageDraft } from "../../src/ports/room-log";
import type { Store } from "../../src/ports/store";
import { messageFixture, newUserId, seedRoom } from "./store-fixtures";

const draftOf = (roomId: string, over: Partial<MessageRecord> = {}): MessageDraft => {
  const { id: _id, seq: _seq, ...draft } = messageFixture(roomId, new MessageIdGenerator().next(), over);
  return draft;
};

/** Registers the room-log tests; `openAnother` opens a second store on the same database (a second process). */
export function describeRoomLogStore(getStore: () => Store, openAnother: () => Promise<Store>) {
  describe("room positions", () => {
    test("messages and events take positions 1, 2, 3, ... of their room; the log reads them back in order", async () => {
      const store = getStore();
      const [{ room }, { room: other }] = [await seedRoom(store), await seedRoom(store)];
      expect(await store.headPosition(room.id)).toBe(0);
      const ids = new MessageIdGenerator();
      const mint = (after: string | null) => ids.nextAfter(after);
      const first = await store.appendMessage(draftOf(room.id, { content: "one" }), mint);
      const event = await store.appendEvent(room.id, "reaction.added", '{"emoji":"ok"}');
      const second = await store.appendMessage(draftOf(room.id, { content: "two" }), mint);
      expect(await store.appendEvent(other.id, "member.left", "{}")).toBe(1);
      expect([first.message.seq, event, second.message.seq]).toEqual([1, 2, 3]);
      expect(await store.getMessage(room.id, first.message.id)).toEqual(first.message);
      expect(await store.headPosition(room.id)).toBe(3);

      await store.updateMessage(room.id, first.message.id, {
        content: "one, edited",
        editedAt: new Date(),
        mentions: [],
      });
      await store.tombstoneMessage(room.id, second.message.id);
      const log = await store.readLog(room.id, 0, 10);
      expect(log).toEqual([
        {
          position: 1,
          type: "message.created",
          payload: null,
          message: await store.getMessage(room.id, first.message.id),
        },
        { position: 2, type: "reaction.added", payload: '{"emoji":"ok"}', message: null },
        {
          position: 3,
          type: "message.created",
          payload: null,
          message: await store.getMessage(room.id, second.message.id),
        },
      ]);
      expect(log[0]!.message!.content).toBe("one, edited");
      expect(log[2]!.message!.deleted).toBe(true);
      expect(await store.readLog(room.id, 1, 1)).toEqual([log[1]!]);
      expect(await store.readLog(room.id, 3, 10)).toEqual([]);
      expect(await store.readLog(room.id, 99, 10)).toEqual([]);
      expect(await store.readLog(crypto.randomUUID(), 0, 10)).toEqual([]);
      expect(await store.headPosition(crypto.randomUUID())).toBe(0);
    });

    test("a scan of every room lists each room once, with its head, page by page", async () => {
      const store = getStore();
      const heads = new Map<string, number>();
      for (let i = 0; i < 7; i++) {
        const { room } = await seedRoom(store);
        for (let n = 0; n < i % 3; n++) await store.appendEvent(room.id, "member.left", "{}");
        heads.set(room.id, i % 3);
      }
      const seen = new Map<string, number>();
      const counts = new Map<string, number>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<Store["scanRooms"]>> = await store.scanRooms(cursor, 3);
        expect(page.rooms.length).toBeLessThanOrEqual(3);
        for (const { roomId, head } of page.rooms) {
          seen.set(roomId, head);
          counts.set(roomId, (counts.get(roomId) ?? 0) + 1);
        }
        cursor = page.next;
        pages++;
      } while (cursor !== null && pages < 10_000);
      for (const [roomId, head] of heads) {
        expect(seen.get(roomId)).toBe(head);
        expect(counts.get(roomId)).toBe(1);
      }
    });

    test("a message id is minted after the room's last message id, so ids sort in position order", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      // A generator whose clock runs an hour ahead (another process), then one on time.
      const [ahead, onTime] = [new MessageIdGenerator(), new MessageIdGenerator()];
      const seen: (string | null)[] = [];
      const a = await store.appendMessage(draftOf(room.id), (after) => {
        seen.push(after);
        return ahead.nextAfter(after, Date.now() + 3_600_000);
      });
      await store.appendEvent(room.id, "member.joined", "{}");
      const b = await store.appendMessage(draftOf(room.id), (after) => {
        seen.push(after);
        return onTime.nextAfter(after);
      });
      expect(seen).toEqual([null, a.message.id]);
      expect(compareMessageIds(b.message.id, a.message.id)).toBe(1);
      expect((await store.listMessages(room.id, { limit: 5 })).map((m) => m.seq)).toEqual([3, 1]);
    });

    test("an id that does not sort after the room's last message is refused and nothing is stored", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const gen = new MessageIdGenerator();
      const older = gen.next(Date.now() - 60_000);
      await store.appendMessage(draftOf(room.id), () => gen.next());
      await expect(store.appendMessage(draftOf(room.id), () => older)).rejects.toThrow(/does not sort after/);
      expect(await store.headPosition(room.id)).toBe(1);
      expect(await store.getMessage(room.id, older)).toBeNull();
    });

    test("concurrent appends from two processes get distinct, gapless positions", async () => {
      const [mine, theirs] = [getStore(), await openAnother()];
      try {
        const { room } = await seedRoom(mine);
        const [g1, g2] = [new MessageIdGenerator(), new MessageIdGenerator()];
        const authorId = newUserId();
        const appends = Array.from({ length: 24 }, (_, i) => {
          const store = i % 2 ? theirs : mine;
          const gen = i % 2 ? g2 : g1;
          if (i % 3 === 0) return store.appendEvent(room.id, "reaction.added", `{"i":${i}}`);
          return store
            .appendMessage(draftOf(room.id, { authorId, content: `m${i}` }), (after) => gen.nextAfter(after))
            .then((r) => r.message.seq);
        });
        const positions = await Promise.all(appends);
        expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
        const log = await mine.readLog(room.id, 0, 100);
        expect(log.map((e) => e.position)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
        const messages = log.flatMap((e) => (e.message ? [e.message] : []));
        expect(messages).toHaveLength(16);
        // Position order is id order: history and the log agree.
        const history = (await mine.listMessages(room.id, { limit: 50 })).reverse();
        expect(history.map((m) => m.id)).toEqual(messages.map((m) => m.id));
        expect(history.map((m) => m.seq)).toEqual(messages.map((m) => m.seq));
      } finally {
        await theirs.close();
      }
    });

    test("many appends at once from two processes, with repeated client ids: each message once, positions gapless", async () => {
      const [mine, theirs] = [getStore(), await openAnother()];
      try {
        const { room } = await seedRoom(mine);
        const [g1, g2] = [new MessageIdGenerator(), new MessageIdGenerator()];
        const authorId = newUserId();
        // 40 sends per process, all started together; client ids c0..c19 are sent by both processes.
        const sends = Array.from({ length: 80 }, (_, i) => {
          const [store, gen] = i % 2 ? [theirs, g2] : [mine, g1];
          const n = Math.floor(i / 2);
          const clientId = n < 20 ? `c${n}` : null;
          return store.appendMessage(draftOf(room.id, { authorId, clientId, content: `m${i}` }), (after) =>
            gen.nextAfter(after),
          );
        });
        const results = await Promise.all(sends);
        const created = results.filter((r) => r.created).map((r) => r.message);
        expect(created).toHaveLength(60);
        expect(created.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        // Both senders of a client id get the one message stored for it.
        for (let n = 0; n < 20; n++) expect(results[2 * n]!.message).toEqual(results[2 * n + 1]!.message);
        const log = await mine.readLog(room.id, 0, 100);
        expect(log.map((e) => e.position)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        const logged = log.map((e) => e.message!.id);
        expect(new Set(logged).size).toBe(60);
        expect([...logged].sort()).toEqual(created.map((m) => m.id).sort());
        const history = (await mine.listMessages(room.id, { limit: 100 })).reverse();
        expect(history.map((m) => m.id)).toEqual(logged);
        expect(history.map((m) => m.seq)).toEqual(log.map((e) => e.position));
        expect(await theirs.headPosition(room.id)).toBe(60);
      } finally {
        await theirs.close();
      }
    });

    test("overlapping appends of one process take positions in the order they started, client ids or not", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const gen = new MessageIdGenerator();
      const authorId = newUserId();
      const sends = Array.from({ length: 20 }, (_, i) =>
        store.appendMessage(
          draftOf(room.id, { authorId, clientId: i % 2 ? `k${i}` : null, content: `o${i}` }),
          (after) => gen.nextAfter(after),
        ),
      );
      const results = await Promise.all(sends);
      expect(results.map((r) => r.message.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(results.map((r) => r.message.content)).toEqual(Array.from({ length: 20 }, (_, i) => `o${i}`));
    });

    test("a repeated client id takes no position", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const gen = new MessageIdGenerator();
      const draft = draftOf(room.id, { clientId: "once" });
      const first = await store.appendMessage(draft, (after) => gen.nextAfter(after));
      const again = await store.appendMessage({ ...draft, content: "retry" }, (after) => gen.nextAfter(after));
      expect(again).toEqual({ message: first.message, created: false });
      expect(await store.headPosition(room.id)).toBe(1);
      expect(await store.readLog(room.id, 0, 10)).toHaveLength(1);
    });
  });
}
