// The storage contract for messages: records, edits, tombstones, history paging and idempotent sends.
import { describe, expect, test } from "bun:test";
import { compareMessageIds, MessageIdGenerator } from "../../src/domain/ids";
import type { MessageRecord } from "../../src/ports/messages";
import type { Store } from "../../src/ports/store";
import { readyAttachment } from "./store-attachments.contract";
import {
  appendAs,
  at,
  byString,
  idsOverTime,
  messageFixture,
  newUserId,
  roomWithHistory,
  seedRoom,
  storedAt,
  T0,
} from "./store-fixtures";

/** Registers the message tests; `getStore` answers the suite's migrated store. */
export function describeMessageStore(getStore: () => Store) {
  const ids = (messages: MessageRecord[]) => messages.map((m) => m.id);
  const newestFirst = (list: string[]) => [...list].sort((a, b) => compareMessageIds(b, a));

  /**
   * Follows a history cursor (the last id seen) from no cursor until an empty page, calling `between`
   * after each page; every page holds at most `limit`. Gives up after 50 pages, so a store whose
   * cursor repeats itself fails instead of looping.
   */
  async function readAll(
    limit: number,
    fetch: (cursor: string | undefined) => Promise<MessageRecord[]>,
    between = async () => {},
  ) {
    const seen: string[] = [];
    for (let pages = 0; pages < 50; pages++) {
      const page = ids(await fetch(seen.at(-1)));
      if (page.length === 0) return seen;
      expect(page.length).toBeLessThanOrEqual(limit);
      seen.push(...page);
      await between();
    }
    throw new Error("history did not end after 50 pages");
  }

  describe("messages", () => {
    test("a stored message reads back with every field, and only in its own room", async () => {
      const store = getStore();
      const [{ room }, { room: other }] = [await seedRoom(store), await seedRoom(store)];
      const gen = new MessageIdGenerator();
      const first = messageFixture(room.id, gen.next());
      const authorId = newUserId();
      const reply = messageFixture(room.id, gen.next(), {
        authorId,
        replyTo: first.id,
        clientId: "client-1",
        mentions: [newUserId(), newUserId()],
        attachmentIds: [(await readyAttachment(store, authorId)).id],
        content: "héllo ✓ @someone",
      });
      expect(await appendAs(store, first)).toEqual({ message: storedAt(first, 1), created: true });
      expect(await appendAs(store, reply)).toEqual({ message: storedAt(reply, 2), created: true });
      expect(await store.getMessage(room.id, first.id)).toEqual(storedAt(first, 1));
      expect(await store.getMessage(room.id, reply.id)).toEqual(storedAt(reply, 2));
      // A history page reads every field a point read does: room, mentions, attachments, reply, client id.
      expect(await store.listMessages(room.id, { limit: 10 })).toMatchObject([storedAt(reply, 2), storedAt(first, 1)]);
      expect(await store.getMessage(other.id, reply.id)).toBeNull();
      expect(await store.getMessage(room.id, gen.next())).toBeNull();
      expect(await store.listMessages(other.id, { limit: 10 })).toEqual([]);
    });

    test("an edit sets content, editedAt and mentions and returns the message; a missing message is null", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const gen = new MessageIdGenerator();
      const authorId = newUserId();
      const { message } = await appendAs(
        store,
        messageFixture(room.id, gen.next(), {
          authorId,
          mentions: [newUserId()],
          attachmentIds: [(await readyAttachment(store, authorId)).id],
        }),
      );
      const patch = { content: "edited", editedAt: at(50_001), mentions: [] };
      const edited = await store.updateMessage(room.id, message.id, patch);
      expect(edited).toEqual({ ...message, ...patch });
      expect(await store.getMessage(room.id, message.id)).toEqual(edited);
      expect(await store.updateMessage(room.id, gen.next(), patch)).toBeNull();
      expect(await store.updateMessage((await seedRoom(store)).room.id, message.id, patch)).toBeNull();
    });

    test("a deleted message stays in history as a tombstone without content; deleting is idempotent", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 3);
      await store.updateMessage(room.id, history[1]!, {
        content: "@someone",
        editedAt: at(60_000),
        mentions: [newUserId()],
      });
      const target = (await store.getMessage(room.id, history[1]!))!;
      const tombstone = await store.tombstoneMessage(room.id, target.id);
      expect(tombstone).toEqual({ ...target, content: "", deleted: true, mentions: [], attachmentIds: [] });
      expect(await store.tombstoneMessage(room.id, target.id)).toEqual(tombstone);
      expect(await store.getMessage(room.id, target.id)).toEqual(tombstone);
      const page = await store.listMessages(room.id, { limit: 10 });
      expect(ids(page)).toEqual(newestFirst(history));
      expect(page[1]).toMatchObject(tombstone!);
      expect(await store.tombstoneMessage(room.id, new MessageIdGenerator().next())).toBeNull();
      // An edit racing the delete does not bring the content back.
      expect(
        await store.updateMessage(room.id, target.id, { content: "revived", editedAt: at(70_000), mentions: [] }),
      ).toEqual(tombstone);
      expect(await store.getMessage(room.id, target.id)).toEqual(tombstone);
    });

    test("the latest message is the newest by id, a tombstone included; an empty room has none", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 12);
      const newest = history.at(-1)!;
      expect((await store.latestMessage(room.id))?.id).toBe(newest);
      await store.tombstoneMessage(room.id, newest);
      expect(await store.latestMessage(room.id)).toMatchObject({ id: newest, deleted: true, content: "" });
      expect(await store.latestMessage((await seedRoom(store)).room.id)).toBeNull();
    });
  });

  describe("history", () => {
    test("message order is time order, not the string order of the ids", async () => {
      const history = idsOverTime(12);
      expect([...history].sort(byString)).not.toEqual(history); // the precondition the other tests rely on
      const store = getStore();
      const { room } = await seedRoom(store);
      for (const id of history) await appendAs(store, messageFixture(room.id, id));
      expect(ids(await store.listMessages(room.id, { limit: 50 }))).toEqual([...history].reverse());
    });

    test("without a cursor the newest messages come first, at most `limit`", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 25);
      expect(ids(await store.listMessages(room.id, { limit: 10 }))).toEqual(newestFirst(history).slice(0, 10));
      expect(ids(await store.listMessages(room.id, { limit: 100 }))).toEqual(newestFirst(history));
    });

    test("history pages never overlap or skip: newest first with before, oldest first with after", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 25);
      const backwards = await readAll(7, (before) => store.listMessages(room.id, { before, limit: 7 }));
      expect(backwards).toEqual([...history].reverse());
      const start = new MessageIdGenerator().next(T0 - 1); // older than the room's messages, and not one of them
      const forwards = await readAll(4, (after) => store.listMessages(room.id, { after: after ?? start, limit: 4 }));
      expect(forwards).toEqual(history);
    });

    test("history pages never overlap or skip while messages arrive", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 20);
      const late = new MessageIdGenerator();
      const arrived: string[] = [];
      const arrive = async () => {
        const id = late.next(T0 + 3_600_000 + arrived.length * 1_000);
        await appendAs(store, messageFixture(room.id, id));
        arrived.push(id);
      };

      // Scrolling back from a first page: what arrives meanwhile is newer than that page, so never shown.
      const backwards = await readAll(5, (before) => store.listMessages(room.id, { before, limit: 5 }), arrive);
      expect(backwards).toEqual([...history].reverse());
      expect(arrived.length).toBeGreaterThanOrEqual(4);

      // Reading forwards: what arrives meanwhile comes after everything older, in order, exactly once.
      const before = arrived.length;
      const forwards = await readAll(
        6,
        (after) => store.listMessages(room.id, { after: after ?? history[0]!, limit: 6 }),
        async () => {
          if (arrived.length < before + 3) await arrive();
        },
      );
      expect(arrived.length).toBe(before + 3);
      expect(forwards).toEqual([...history.slice(1), ...arrived]);
    });

    test("cursors need not be messages: they split history at their time", async () => {
      const store = getStore();
      const { room, history } = await roomWithHistory(store, 10);
      const between = new MessageIdGenerator().next(T0 + 4 * 60_000 + 30_000); // between history[4] and [5]
      const older = ids(await store.listMessages(room.id, { before: between, limit: 3 }));
      expect(older).toEqual([4, 3, 2].map((i) => history[i]!));
      const newer = ids(await store.listMessages(room.id, { after: between, limit: 3 }));
      expect(newer).toEqual([5, 6, 7].map((i) => history[i]!));
      expect(await store.listMessages(room.id, { before: history[0]!, limit: 3 })).toEqual([]);
      expect(await store.listMessages(room.id, { after: history.at(-1)!, limit: 3 })).toEqual([]);
    });
  });

  describe("idempotent sends", () => {
    test("a resend with the same client id returns the first message and stores nothing", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const gen = new MessageIdGenerator();
      const { message: first } = await appendAs(store, messageFixture(room.id, gen.next(), { clientId: "retry-me" }));
      const retry = { ...first, id: gen.next(), content: "second attempt" };
      expect(await appendAs(store, retry)).toEqual({ message: first, created: false });
      expect(await store.getMessage(room.id, retry.id)).toBeNull();
      expect(ids(await store.listMessages(room.id, { limit: 10 }))).toEqual([first.id]);
      expect(await store.headPosition(room.id)).toBe(1);
    });

    test("of concurrent sends with one client id exactly one is stored, and all return it", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const gen = new MessageIdGenerator();
      const authorId = newUserId();
      const attempts = Array.from({ length: 10 }, () =>
        messageFixture(room.id, gen.next(), { authorId, clientId: "c" }),
      );
      const results = await Promise.all(attempts.map((m) => appendAs(store, m)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const stored = results.find((r) => r.created)!.message;
      for (const result of results) expect(result.message).toEqual(stored);
      expect(ids(await store.listMessages(room.id, { limit: 20 }))).toEqual([stored.id]);
      expect(await store.headPosition(room.id)).toBe(1);
    });

    test("a client id belongs to its room and author; messages without one are never merged", async () => {
      const store = getStore();
      const [{ room }, { room: other }] = [await seedRoom(store), await seedRoom(store)];
      const gen = new MessageIdGenerator();
      const authorId = newUserId();
      const sends = [
        messageFixture(room.id, gen.next(), { authorId, clientId: "same" }),
        messageFixture(room.id, gen.next(), { authorId: newUserId(), clientId: "same" }),
        messageFixture(other.id, gen.next(), { authorId, clientId: "same" }),
        messageFixture(room.id, gen.next(), { authorId }),
        messageFixture(room.id, gen.next(), { authorId }),
      ];
      for (const message of sends) expect((await appendAs(store, message)).created).toBe(true);
      expect(await store.listMessages(room.id, { limit: 10 })).toHaveLength(4);
    });

    test("a message is found by room, author and client id, and by nothing less", async () => {
      const store = getStore();
      const [{ room }, { room: other }] = [await seedRoom(store), await seedRoom(store)];
      const { message } = await appendAs(
        store,
        messageFixture(room.id, new MessageIdGenerator().next(), { clientId: "find-me" }),
      );
      expect(await store.findMessageByClientId(room.id, message.authorId, "find-me")).toEqual(message);
      expect(await store.findMessageByClientId(room.id, newUserId(), "find-me")).toBeNull();
      expect(await store.findMessageByClientId(other.id, message.authorId, "find-me")).toBeNull();
      expect(await store.findMessageByClientId(room.id, message.authorId, "other")).toBeNull();
    });
  });
}
