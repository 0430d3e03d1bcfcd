// The storage contract for attachments: records and their states, completion as a compare-and-set
// bound to the expiry, what the sweep is given, and the claim a message append makes — one attachment,
// one message, also when two processes append at once.
import { describe, expect, test } from "bun:test";
import { newBlobKey } from "../../src/domain/attachment-rules";
import { MessageIdGenerator } from "../../src/domain/ids";
import type { NewAttachment } from "../../src/ports/attachments";
import type { MessageRecord } from "../../src/ports/messages";
import type { MessageDraft } from "../../src/ports/room-log";
import type { Store } from "../../src/ports/store";
import { messageFixture, newUserId, seedRoom } from "./store-fixtures";

export const attachmentFixture = (over: Partial<NewAttachment> = {}): NewAttachment => ({
  id: crypto.randomUUID(),
  uploaderId: newUserId(),
  filename: "photo ✓.png",
  contentType: "image/png",
  size: 3 * 1024 * 1024,
  blobKey: newBlobKey(),
  createdAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 7),
  expiresAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000),
  ...over,
});

/** A completed attachment of `uploaderId`, ready for a message. */
export async function readyAttachment(store: Store, uploaderId: string) {
  const attachment = attachmentFixture({ uploaderId });
  await store.createAttachment(attachment);
  const ready = await store.completeAttachment(attachment.id, new Date());
  if (!ready) throw new Error("fixture attachment did not complete");
  return ready;
}

const draftOf = (roomId: string, over: Partial<MessageRecord> = {}): MessageDraft => {
  const { id: _id, seq: _seq, ...draft } = messageFixture(roomId, new MessageIdGenerator().next(), over);
  return draft;
};

/** Registers the attachment tests; `openAnother` opens a second store on the same database (a second process). */
export function describeAttachmentStore(getStore: () => Store, openAnother: () => Promise<Store>) {
  const mint =
    (ids = new MessageIdGenerator()) =>
    (after: string | null) =>
      ids.nextAfter(after);

  describe("attachments", () => {
    test("a created attachment reads back pending with every field; unknown ids read as nothing", async () => {
      const store = getStore();
      const attachment = attachmentFixture();
      await store.createAttachment(attachment);
      const pending = { ...attachment, status: "pending" as const, roomId: null, messageId: null };
      expect(await store.getAttachment(attachment.id)).toEqual(pending);
      expect(await store.getAttachments([attachment.id, crypto.randomUUID(), "not-a-uuid"])).toEqual([pending]);
      expect(await store.getAttachment(crypto.randomUUID())).toBeNull();
      expect(await store.getAttachment("not-a-uuid")).toBeNull();
      expect(await store.getAttachments([])).toEqual([]);
    });

    test("many attachments are read in one call", async () => {
      const store = getStore();
      const many = Array.from({ length: 130 }, () => attachmentFixture());
      for (const a of many) await store.createAttachment(a);
      const read = await store.getAttachments(many.map((a) => a.id));
      expect(read.map((a) => a.id).sort()).toEqual(many.map((a) => a.id).sort());
    });

    test("completion makes a pending attachment ready exactly once, and never after its expiry", async () => {
      const store = getStore();
      const attachment = attachmentFixture();
      await store.createAttachment(attachment);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store.completeAttachment(attachment.id, new Date())),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toEqual([{ ...attachment, status: "ready", roomId: null, messageId: null }]);
      expect((await store.getAttachment(attachment.id))?.status).toBe("ready");
      expect(await store.completeAttachment(attachment.id, new Date())).toBeNull();

      const late = attachmentFixture();
      await store.createAttachment(late);
      expect(await store.completeAttachment(late.id, new Date(late.expiresAt.getTime()))).toBeNull();
      expect(await store.completeAttachment(crypto.randomUUID(), new Date())).toBeNull();
    });

    test("the sweep is given expired pending uploads and deleted attachments, never live or ready ones", async () => {
      const store = getStore();
      const now = Date.now();
      const expired = attachmentFixture({ expiresAt: new Date(now + 2_000) });
      const live = attachmentFixture({ expiresAt: new Date(now + 3_600_000) });
      const completed = attachmentFixture({ expiresAt: new Date(now + 2_000) });
      const discarded = attachmentFixture();
      for (const a of [expired, live, completed, discarded]) await store.createAttachment(a);
      await store.completeAttachment(completed.id, new Date(now));
      await store.completeAttachment(discarded.id, new Date(now));
      expect(await store.deleteAttachments([discarded.id, crypto.randomUUID()], new Date(now + 1_000))).toEqual([
        { id: discarded.id, blobKey: discarded.blobKey, status: "deleted", due: new Date(now + 1_000) },
      ]);
      expect(await store.deleteAttachments([discarded.id], new Date(now + 1_500))).toEqual([]);
      expect((await store.getAttachment(discarded.id))?.status).toBe("deleted");

      const mine = new Set([expired.id, live.id, completed.id, discarded.id]);
      const dueAt = async (ms: number) =>
        (await store.dueAttachments(new Date(ms), 1000)).filter((item) => mine.has(item.id));
      expect(await dueAt(now)).toEqual([]);
      expect(await dueAt(now + 1_000)).toEqual([
        { id: discarded.id, blobKey: discarded.blobKey, status: "deleted", due: new Date(now + 1_000) },
      ]);
      const both = await dueAt(now + 2_000);
      expect(both.map((item) => [item.id, item.blobKey, item.status]).sort()).toEqual(
        [
          [discarded.id, discarded.blobKey, "deleted"],
          [expired.id, expired.blobKey, "pending"],
        ].sort(),
      );

      for (const item of both) await store.removeAttachment(item);
      expect(await dueAt(now + 2_000)).toEqual([]);
      expect(await store.getAttachment(discarded.id)).toBeNull();
      expect(await store.getAttachment(expired.id)).toBeNull();
      expect((await store.getAttachment(completed.id))?.status).toBe("ready");
      expect((await store.getAttachment(live.id))?.status).toBe("pending");
    });

    test("removing a record checks its state: one that was completed meanwhile stays", async () => {
      const store = getStore();
      const attachment = attachmentFixture();
      await store.createAttachment(attachment);
      await store.completeAttachment(attachment.id, new Date());
      await store.removeAttachment({
        id: attachment.id,
        blobKey: attachment.blobKey,
        status: "pending",
        due: attachment.expiresAt,
      });
      expect((await store.getAttachment(attachment.id))?.status).toBe("ready");
    });

    test("a message claims its author's ready attachments and carries them", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const authorId = newUserId();
      const [a, b] = [await readyAttachment(store, authorId), await readyAttachment(store, authorId)];
      const { message } = await store.appendMessage(
        draftOf(room.id, { authorId, attachmentIds: [a.id, b.id] }),
        mint(),
      );
      expect(message.attachmentIds).toEqual([a.id, b.id]);
      expect(await store.getMessage(room.id, message.id)).toEqual(message);
      for (const id of [a.id, b.id]) {
        expect(await store.getAttachment(id)).toMatchObject({
          status: "ready",
          roomId: room.id,
          messageId: message.id,
        });
      }
    });

    test("an attachment that cannot be claimed fails the whole append: nothing is stored or claimed", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const authorId = newUserId();
      const free = await readyAttachment(store, authorId);
      const someoneElses = await readyAttachment(store, newUserId());
      const pending = attachmentFixture({ uploaderId: authorId });
      await store.createAttachment(pending);
      const used = await readyAttachment(store, authorId);
      await store.appendMessage(draftOf(room.id, { authorId, attachmentIds: [used.id] }), mint());
      const head = await store.headPosition(room.id);

      for (const bad of [someoneElses.id, pending.id, used.id, crypto.randomUUID()]) {
        const draft = draftOf(room.id, { authorId, attachmentIds: [free.id, bad] });
        await expect(store.appendMessage(draft, mint())).rejects.toMatchObject({
          code: "conflict",
          details: [{ field: "attachment_ids", reason: "unavailable" }],
        });
      }
      expect(await store.headPosition(room.id)).toBe(head);
      expect(await store.getAttachment(free.id)).toMatchObject({ roomId: null, messageId: null });
      // Given back: the free one is claimed by the next message that asks.
      const { message } = await store.appendMessage(draftOf(room.id, { authorId, attachmentIds: [free.id] }), mint());
      expect(await store.getAttachment(free.id)).toMatchObject({ roomId: room.id, messageId: message.id });
    });

    test("a deleted attachment cannot be claimed", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const authorId = newUserId();
      const gone = await readyAttachment(store, authorId);
      await store.deleteAttachments([gone.id], new Date());
      const draft = draftOf(room.id, { authorId, attachmentIds: [gone.id] });
      await expect(store.appendMessage(draft, mint())).rejects.toMatchObject({ code: "conflict" });
    });

    test("a repeated client id claims nothing again and returns the first message", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const authorId = newUserId();
      const a = await readyAttachment(store, authorId);
      const draft = draftOf(room.id, { authorId, clientId: "with-file", attachmentIds: [a.id] });
      const first = await store.appendMessage(draft, mint());
      const again = await store.appendMessage(draft, mint());
      expect(again).toEqual({ message: first.message, created: false });
      expect(await store.getAttachment(a.id)).toMatchObject({ messageId: first.message.id });
    });

    test("of concurrent sends from two processes with one attachment, exactly one carries it", async () => {
      const [mine, theirs] = [getStore(), await openAnother()];
      try {
        const [{ room }, { room: other }] = [await seedRoom(mine), await seedRoom(mine)];
        const authorId = newUserId();
        for (let round = 0; round < 3; round++) {
          const a = await readyAttachment(mine, authorId);
          const results = await Promise.allSettled(
            [mine, theirs, mine, theirs].map((store, i) =>
              store.appendMessage(draftOf(i % 2 ? other.id : room.id, { authorId, attachmentIds: [a.id] }), mint()),
            ),
          );
          const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.message] : []));
          expect(won).toHaveLength(1);
          for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "conflict" });
          expect(await mine.getAttachment(a.id)).toMatchObject({ roomId: won[0]!.roomId, messageId: won[0]!.id });
        }
        // The losers took no position.
        const heads = (await mine.headPosition(room.id)) + (await mine.headPosition(other.id));
        expect(heads).toBe(3);
      } finally {
        await theirs.close();
      }
    });
  });
}
