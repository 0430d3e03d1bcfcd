// The search index contract (ports/search.ts) for every SearchIndex adapter: plain-text terms (words,
// phrases, prefixes), room filtering, newest-first paging by message id, versioned documents (an older
// change never replaces a newer one, tombstones stay), room positions, room deletion, highlights
// (HTML-escaped, bounded, <mark>), the watermark, and query text that looks like engine syntax.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { MessageIdGenerator } from "../../src/domain/ids";
import { parseSearchQuery } from "../../src/domain/search-query";
import type { DocumentChange, IndexedMessage, SearchIndex } from "../../src/ports/search";

/** A fresh, empty index; `dispose` removes what it made. */
export type SearchScope = { index: SearchIndex; dispose(): Promise<void> };

const ids = new MessageIdGenerator();
const newRoom = () => Bun.randomUUIDv7();

export function runSearchContract(name: string, newScope: () => Promise<SearchScope>) {
  describe(`SearchIndex contract: ${name}`, () => {
    let scope: SearchScope;
    let index: SearchIndex;

    beforeEach(async () => {
      scope = await newScope();
      index = scope.index;
    });
    afterEach(async () => {
      await index.close();
      await scope.dispose();
    });

    const message = (roomId: string, content: string, extra: Partial<IndexedMessage> = {}): IndexedMessage => ({
      roomId,
      messageId: ids.next(),
      authorId: crypto.randomUUID(),
      content,
      createdAt: new Date(),
      editedAt: null,
      ...extra,
    });
    const put = (m: IndexedMessage, version: number): DocumentChange => ({ type: "put", version, message: m });
    const apply = async (changes: DocumentChange[], positions = new Map<string, number>()) => {
      const result = await index.apply(changes, positions);
      await index.flush();
      return result;
    };
    const find = async (q: string, roomIds: string[], options: { limit?: number; before?: string } = {}) =>
      index.search({ terms: parseSearchQuery(q), roomIds, limit: options.limit ?? 50, before: options.before });
    const found = async (q: string, roomIds: string[]) => (await find(q, roomIds)).map((hit) => hit.messageId);

    test("a word finds the messages that contain it, whatever the case, with room and message ids", async () => {
      const room = newRoom();
      const a = message(room, "Deploy the Rocket today");
      const b = message(room, "nothing to see here");
      expect(await apply([put(a, 1), put(b, 2)])).toEqual({ failed: new Set() });
      const hits = await find("rocket", [room]);
      expect(hits.map((h) => [h.roomId, h.messageId])).toEqual([[room, a.messageId]]);
      expect(hits[0]?.editedAt).toBeNull();
      expect(await found("ROCKET", [room])).toEqual([a.messageId]);
      expect(await found("ÉCOLE", [room])).toEqual([]);
      const école = message(room, "une école fermée");
      await apply([put(école, 3)]);
      expect(await found("ÉCOLE", [room])).toEqual([école.messageId]);
    });

    test("every term must match; a phrase matches its words in order; a prefix matches word starts", async () => {
      const room = newRoom();
      const a = message(room, "the quick brown fox jumps");
      const b = message(room, "brown bears are quick");
      const c = message(room, "deployment finished");
      await apply([put(a, 1), put(b, 2), put(c, 3)]);
      expect((await found("quick brown", [room])).sort()).toEqual([a.messageId, b.messageId].sort());
      expect(await found('"quick brown"', [room])).toEqual([a.messageId]);
      expect(await found("quick deployment", [room])).toEqual([]);
      expect(await found("deplo*", [room])).toEqual([c.messageId]);
      expect(await found('"quick br"*', [room])).toEqual([a.messageId]);
      expect(await found("deplo", [room])).toEqual([]);
    });

    test("only the rooms asked for are searched; no rooms finds nothing", async () => {
      const [mine, other] = [newRoom(), newRoom()];
      const a = message(mine, "shared secret word");
      const b = message(other, "shared secret word");
      await apply([put(a, 1), put(b, 1)]);
      expect(await found("secret", [mine])).toEqual([a.messageId]);
      expect((await found("secret", [mine, other])).length).toBe(2);
      expect(await found("secret", [])).toEqual([]);
      // Many rooms in the filter (a user in thousands of rooms).
      const many = [...Array.from({ length: 5000 }, newRoom), other];
      expect(await found("secret", many)).toEqual([b.messageId]);
    });

    test("results come newest first by message id and page with `before` without overlap or gap", async () => {
      const [r1, r2] = [newRoom(), newRoom()];
      const sent = Array.from({ length: 7 }, (_, i) => message(i % 2 ? r1 : r2, `paging word ${i}`));
      await apply(sent.map((m, i) => put(m, i + 1)));
      const newestFirst = sent.map((m) => m.messageId).reverse();
      const seen: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await find("paging", [r1, r2], { limit: 3, before });
        seen.push(...page.map((h) => h.messageId));
        if (page.length < 3) break;
        before = page.at(-1)?.messageId;
      }
      expect(seen).toEqual(newestFirst);
    });

    test("messages two processes stamped in the same instant are each found, and paged once", async () => {
      const room = newRoom();
      const first = message(room, "same instant");
      // The same 100 ns timestamp, other clock sequences and nodes (other processes' generators).
      const twins = ["8aaa-0000000000a1", "9bbb-0000000000b2", "a000-0000000000c3"].map((tail) =>
        message(room, "same instant", { messageId: `${first.messageId.slice(0, 19)}${tail}` }),
      );
      await apply([first, ...twins].map((m, i) => put(m, i + 1)));
      const all = [first, ...twins].map((m) => m.messageId).sort();
      expect((await found("instant", [room])).sort()).toEqual(all);
      const seen: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await find("instant", [room], { limit: 1, before });
        if (page.length === 0) break;
        seen.push(...page.map((h) => h.messageId));
        before = page.at(-1)?.messageId;
      }
      expect(seen.sort()).toEqual(all);
    });

    test("an edit replaces the content; an older version arriving later changes nothing", async () => {
      const room = newRoom();
      const original = message(room, "alpha version");
      const editedAt = new Date(Date.now() + 1000);
      const edited = { ...original, content: "beta version", editedAt };
      await apply([put(original, 1), put(edited, 5)]);
      expect(await found("alpha", [room])).toEqual([]);
      const hits = await find("beta", [room]);
      expect(hits.map((h) => h.messageId)).toEqual([original.messageId]);
      expect(hits[0]?.editedAt?.getTime()).toBe(editedAt.getTime());
      // A redelivered create (version 1) and a replayed same version change nothing.
      expect(await apply([put(original, 1), put({ ...original, content: "gamma" }, 5)])).toEqual({ failed: new Set() });
      expect(await found("alpha", [room])).toEqual([]);
      expect(await found("gamma", [room])).toEqual([]);
      expect(await found("beta", [room])).toEqual([original.messageId]);
    });

    test("a tombstone is never found, and no older create or edit brings the content back", async () => {
      const room = newRoom();
      const m = message(room, "delete me please");
      await apply([put(m, 1), { type: "tombstone", version: 3, roomId: room, messageId: m.messageId }]);
      expect(await found("delete", [room])).toEqual([]);
      await apply([put(m, 1), put({ ...m, content: "delete me edited" }, 2)]);
      expect(await found("delete", [room])).toEqual([]);
      // A tombstone that arrives before the message was ever indexed wins too.
      const late = message(room, "never shown");
      await apply([{ type: "tombstone", version: 9, roomId: room, messageId: late.messageId }]);
      await apply([put(late, 8)]);
      expect(await found("shown", [room])).toEqual([]);
    });

    test("room positions move forward only and are kept per room", async () => {
      const [a, b, unknown] = [newRoom(), newRoom(), newRoom()];
      await apply([], new Map([[a, 5]]));
      await apply([put(message(b, "x y"), 2)], new Map([[b, 2]]));
      await apply([], new Map([[a, 3]]));
      const states = await index.rooms([a, b, unknown]);
      expect(states.get(a)).toEqual({ position: 5, deleted: false });
      expect(states.get(b)).toEqual({ position: 2, deleted: false });
      expect(states.has(unknown)).toBe(false);
    });

    test("a deleted room loses its documents and takes no later change or position", async () => {
      const [room, kept] = [newRoom(), newRoom()];
      const m = message(room, "gone with the room");
      const other = message(kept, "gone elsewhere");
      await apply([put(m, 1), put(other, 1)], new Map([[room, 1]]));
      await index.deleteRoom(room, 2);
      await index.deleteRoom(room, 2); // idempotent
      await index.flush();
      expect(await found("gone", [room, kept])).toEqual([other.messageId]);
      expect((await index.rooms([room])).get(room)).toEqual({ position: 2, deleted: true });
      await apply([put(m, 1), put(message(room, "gone again"), 2)], new Map([[room, 9]]));
      expect(await found("gone", [room])).toEqual([]);
      expect((await index.rooms([room])).get(room)).toEqual({ position: 2, deleted: true });
    });

    test("clearRoom and clear forget documents and positions but keep deleted rooms deleted", async () => {
      const [a, b, dead] = [newRoom(), newRoom(), newRoom()];
      await apply(
        [put(message(a, "clear words"), 1), put(message(b, "clear words"), 1)],
        new Map([
          [a, 1],
          [b, 1],
        ]),
      );
      await index.deleteRoom(dead, 4);
      await index.clearRoom(a);
      await index.flush();
      expect((await found("clear", [a, b])).length).toBe(1);
      expect((await index.rooms([a])).has(a)).toBe(false);
      await index.clear();
      await index.flush();
      expect(await found("clear", [a, b])).toEqual([]);
      const states = await index.rooms([a, b, dead]);
      expect(states.has(b)).toBe(false);
      expect(states.get(dead)?.deleted).toBe(true);
      // A cleared room takes documents again.
      const again = message(a, "clear again");
      await apply([put(again, 1)]);
      expect(await found("again", [a])).toEqual([again.messageId]);
    });

    test("highlights mark the matches and escape the content", async () => {
      const room = newRoom();
      const m = message(room, `<script>alert("x")</script> Tom & Jerry's rocket \uFDD0launch\uFDD1`);
      await apply([put(m, 1)]);
      const [hit] = await find("rocket launch", [room]);
      const text = (hit?.highlights ?? []).join(" ");
      expect(text).toContain("<mark>rocket</mark>");
      expect(text).toContain("<mark>launch</mark>");
      expect(text).not.toContain("<script");
      expect(text.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
      expect(text).not.toMatch(/[\uFDD0\uFDD1]/);
    });

    test("highlights are at most 3 fragments of bounded length, also for a very long message", async () => {
      const room = newRoom();
      const filler = "lorem ipsum dolor sit amet ".repeat(120);
      const m = message(room, `${filler} needle ${filler} needle ${"x".repeat(3000)} needle ${filler}`);
      await apply([put(m, 1)]);
      const [hit] = await find("needle", [room]);
      expect(hit?.highlights.length).toBeGreaterThanOrEqual(1);
      expect(hit?.highlights.length).toBeLessThanOrEqual(3);
      for (const fragment of hit?.highlights ?? []) {
        expect(fragment).toContain("<mark>needle</mark>");
        expect(fragment.replace(/<\/?mark>/g, "").length).toBeLessThanOrEqual(320);
      }
    });

    test("query text that looks like engine syntax is only words", async () => {
      const room = newRoom();
      const m = message(room, "near and or not title colon");
      await apply([put(m, 1)]);
      for (const q of [
        'NEAR(near and) OR "x',
        'title:near AND -or NOT {"query":{"match_all":{}}}',
        "near^3 AND (or) ~ \\ ` ' $ %",
        '"\'"; DROP TABLE search_docs; --',
        "* ** - + ^ : ( ) { } [ ] \"\" ''",
      ]) {
        const hits = await index.search({ terms: parseSearchQuery(q), roomIds: [room], limit: 10 });
        expect(Array.isArray(hits)).toBe(true);
      }
      expect(await found("near( and) OR", [room])).toEqual([m.messageId]);
      expect(await found('(title) -colon "and or"', [room])).toEqual([m.messageId]);
    });

    test("the watermark starts unset and only moves forward", async () => {
      expect(await index.watermark()).toBeNull();
      const t = new Date("2026-01-02T03:04:05.678Z");
      await index.setWatermark(t);
      expect((await index.watermark())?.getTime()).toBe(t.getTime());
      await index.setWatermark(new Date(t.getTime() - 1000));
      expect((await index.watermark())?.getTime()).toBe(t.getTime());
      await index.setWatermark(new Date(t.getTime() + 1));
      expect((await index.watermark())?.getTime()).toBe(t.getTime() + 1);
      await index.ping();
    });
  });
}
