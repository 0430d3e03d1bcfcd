// The storage contract for notifications: one lease holder at a time across processes, forward-only
// last-seen times, preferences with defaults, one digest claim per previous value, webhooks per room
// and forward-only delivery positions.
import { describe, expect, test } from "bun:test";
import type { WebhookRecord } from "../../src/ports/notify";
import type { Store } from "../../src/ports/store";
import { at, newUserId } from "./store-fixtures";

const hookFixture = (roomId: string, over: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id: crypto.randomUUID(),
  roomId,
  url: "https://hooks.example.test/chatd",
  secretSealed: "v1.sealed-secret",
  createdBy: newUserId(),
  createdAt: at(1000),
  ...over,
});

export function describeNotifyStore(get: () => Store, factory: () => Promise<Store>) {
  describe("notifications", () => {
    test("a lease has one holder at a time: two processes racing, renewals, expiry and release", async () => {
      const store = get();
      const other = await factory();
      try {
        const name = `lease-${crypto.randomUUID()}`;
        const now = new Date();
        const wins = await Promise.all([
          store.acquireLease(name, "a", 5000, now),
          other.acquireLease(name, "b", 5000, now),
          store.acquireLease(name, "c", 5000, now),
        ]);
        expect(wins.filter(Boolean)).toHaveLength(1);
        const holder = ["a", "b", "c"][wins.indexOf(true)] as string;
        const loser = holder === "a" ? "b" : "a";
        expect(await other.acquireLease(name, holder, 5000, now)).toBe(true);
        expect(await store.acquireLease(name, loser, 5000, now)).toBe(false);
        await store.releaseLease(name, loser);
        expect(await store.acquireLease(name, loser, 5000, now)).toBe(false);
        await other.releaseLease(name, holder);
        expect(await store.acquireLease(name, loser, 1000, now)).toBe(true);
        // Past its expiry (the Cassandra adapter's TTL is whole seconds), anyone may take it.
        await Bun.sleep(1100);
        expect(await other.acquireLease(name, holder, 5000, new Date(now.getTime() + 1100))).toBe(true);
      } finally {
        await other.close();
      }
    });

    test("preferences default to mail on, text off, and keep the fields not patched", async () => {
      const store = get();
      const user = newUserId();
      expect(await store.getNotifySettings(user)).toEqual({ email: true, includeText: false });
      expect(await store.setNotifySettings(user, { email: false })).toEqual({ email: false, includeText: false });
      expect(await store.setNotifySettings(user, { includeText: true })).toEqual({ email: false, includeText: true });
      expect(await store.getNotifySettings(user)).toEqual({ email: false, includeText: true });
    });

    test("last-seen times only move forward, and the scan lists each seen user once with the last digest", async () => {
      const store = get();
      const users = Array.from({ length: 5 }, newUserId);
      await store.markSeen(users, at(5000));
      await store.markSeen([users[0] as string], at(2000));
      await store.markSeen([users[1] as string], at(9000));
      expect(await store.claimDigest(users[2] as string, null, at(6000))).toBe(true);
      const seen = new Map<string, { seenAt: number; digestAt: number | null }>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<Store["scanSeen"]>> = await store.scanSeen(cursor, 2);
        for (const user of page.users) {
          expect(seen.has(user.userId)).toBe(false);
          seen.set(user.userId, { seenAt: user.seenAt.getTime(), digestAt: user.digestAt?.getTime() ?? null });
        }
        cursor = page.next;
        pages++;
      } while (cursor && pages < 10_000);
      expect(seen.get(users[0] as string)).toEqual({ seenAt: at(5000).getTime(), digestAt: null });
      expect(seen.get(users[1] as string)).toEqual({ seenAt: at(9000).getTime(), digestAt: null });
      expect(seen.get(users[2] as string)).toEqual({ seenAt: at(5000).getTime(), digestAt: at(6000).getTime() });
      expect(seen.has(newUserId())).toBe(false);
    });

    test("a digest claim succeeds once per previous value, also when two processes claim at once", async () => {
      const store = get();
      const other = await factory();
      try {
        const user = newUserId();
        const first = await Promise.all([
          store.claimDigest(user, null, at(1000)),
          other.claimDigest(user, null, at(1001)),
        ]);
        expect(first.filter(Boolean)).toHaveLength(1);
        const stamped = first[0] ? at(1000) : at(1001);
        expect(await store.claimDigest(user, null, at(2000))).toBe(false);
        expect(await store.claimDigest(user, at(999), at(2000))).toBe(false);
        const second = await Promise.all([
          store.claimDigest(user, stamped, at(3000)),
          other.claimDigest(user, stamped, at(3001)),
        ]);
        expect(second.filter(Boolean)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    test("webhooks are listed per room oldest first, scanned across rooms, and deleted with their positions", async () => {
      const store = get();
      const room = crypto.randomUUID();
      const elsewhere = crypto.randomUUID();
      const older = hookFixture(room, { createdAt: at(1000) });
      const newer = hookFixture(room, { createdAt: at(2000) });
      const foreign = hookFixture(elsewhere);
      for (const hook of [newer, older, foreign]) await store.createWebhook(hook);
      expect(await store.listWebhooks(room)).toEqual([older, newer]);
      expect(await store.listWebhooks(crypto.randomUUID())).toEqual([]);
      const all = await store.scanWebhooks();
      for (const hook of [older, newer, foreign]) expect(all).toContainEqual(hook);

      await store.setWebhookPosition(older.id, room, 5);
      await store.setWebhookPosition(older.id, room, 3);
      expect(await store.getWebhookPosition(older.id, room)).toBe(5);
      await store.setWebhookPosition(older.id, room, 7);
      expect(await store.getWebhookPosition(older.id, room)).toBe(7);
      expect(await store.getWebhookPosition(older.id, elsewhere)).toBeNull();
      await store.setWebhookPosition("global", room, 2);
      expect(await store.getWebhookPosition("global", room)).toBe(2);

      expect(await store.deleteWebhook(elsewhere, older.id)).toBe(false);
      expect(await store.deleteWebhook(room, older.id)).toBe(true);
      expect(await store.deleteWebhook(room, older.id)).toBe(false);
      expect(await store.listWebhooks(room)).toEqual([newer]);
      expect(await store.getWebhookPosition(older.id, room)).toBeNull();
      expect((await store.scanWebhooks()).map((h) => h.id)).not.toContain(older.id);
    });
  });
}
