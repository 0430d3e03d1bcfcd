// The storage contract for membership and moderation: members and the member limit, bans, the audit log.
import { describe, expect, test } from "bun:test";
import { MessageIdGenerator, newAuditId } from "../../src/domain/ids";
import type { AuditRecord, BanRecord, MemberPosition, MemberRecord, Membership } from "../../src/ports/rooms";
import type { Store } from "../../src/ports/store";
import { at, byString, memberFixture, newUserId, roomFixture, seedRoom, shuffled } from "./store-fixtures";

/** A page large enough for every member a test adds. */
const ALL = { limit: 1000 };

/** Registers the membership and moderation tests; `getStore` answers the suite's migrated store. */
export function describeMemberStore(getStore: () => Store) {
  describe("members", () => {
    test("a member is added once; adding again is 'exists' and changes nothing", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const member = memberFixture(room.id, newUserId(), { joinedAt: at(9_000) });
      expect(await store.addMember(member, null)).toBe("added");
      expect(await store.getMember(room.id, member.userId)).toEqual(member);
      expect(await store.addMember({ ...member, role: "admin", joinedAt: at(9_999) }, null)).toBe("exists");
      expect(await store.getMember(room.id, member.userId)).toEqual(member);
      expect((await store.getRoom(room.id))?.memberCount).toBe(2);
      expect(await store.getMember(room.id, newUserId())).toBeNull();
    });

    test("a room never holds more than maxMembers, also under concurrent adds", async () => {
      const store = getStore();
      const { room, owner } = await seedRoom(store, { maxMembers: 5 });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.addMember(memberFixture(room.id, newUserId()), 5)),
      );
      expect(results.filter((r) => r === "added")).toHaveLength(4);
      expect(results.filter((r) => r === "full")).toHaveLength(6);
      expect((await store.getRoom(room.id))?.memberCount).toBe(5);
      expect(await store.listMembers(room.id, ALL)).toHaveLength(5);
      expect(await store.addMember(owner, 5)).toBe("exists");
      const leaver = (await store.listMembers(room.id, ALL)).find((m) => m.role === "member")!;
      expect(await store.removeMember(room.id, leaver.userId)).toBe(true);
      expect(await store.addMember(memberFixture(room.id, newUserId()), 5)).toBe("added");
      expect(await store.addMember(memberFixture(room.id, newUserId()), 5)).toBe("full");
      expect(await store.addMember(memberFixture(room.id, newUserId()), null)).toBe("added");
    });

    test("members are listed oldest join first", async () => {
      const store = getStore();
      const { room, owner } = await seedRoom(store);
      const members = [1, 2, 3, 4].map((i) => memberFixture(room.id, newUserId(), { joinedAt: at(10_000 + i) }));
      for (const member of shuffled(members)) await store.addMember(member, null);
      expect(await store.listMembers(room.id, ALL)).toEqual([owner, ...members]);
    });

    /** Every member, walking pages of `limit`; `between` runs after each page. */
    async function walk(
      store: Store,
      roomId: string,
      limit: number,
      between: (page: number) => Promise<void> = async () => {},
    ) {
      const seen: MemberRecord[] = [];
      let after: MemberPosition | undefined;
      for (let page = 0; page < 100; page++) {
        const members = await store.listMembers(roomId, { limit, after });
        expect(members.length).toBeLessThanOrEqual(limit);
        seen.push(...members);
        if (members.length < limit) return seen;
        after = members.at(-1)!;
        await between(page);
      }
      throw new Error("the member list did not end");
    }

    test("members page in join order, equal join times by user id, whatever order they were added in", async () => {
      const store = getStore();
      const { room, owner } = await seedRoom(store);
      // Ids on both sides of 8 in their first digit: a store ordering UUIDs as signed bytes fails here.
      const ids = ["0", "7", "8", "f", ""].map((digit) => digit + newUserId().slice(digit.length));
      const tied = ids.map((id) => memberFixture(room.id, id, { joinedAt: at(50_000) }));
      const later = [1, 2, 3].map((i) => memberFixture(room.id, newUserId(), { joinedAt: at(50_000 + i) }));
      for (const member of shuffled([...tied, ...later])) await store.addMember(member, null);
      const expected = [owner, ...[...tied].sort((a, b) => byString(a.userId, b.userId)), ...later];
      for (const limit of [1, 2, 3, 9, 10]) expect(await walk(store, room.id, limit)).toEqual(expected);
      // A position need not be a member's.
      const lowest = { joinedAt: at(50_000), userId: "00000000-0000-4000-8000-000000000000" };
      expect(await store.listMembers(room.id, { limit: 20, after: lowest })).toEqual(expected.slice(1));
      expect(await store.listMembers(room.id, { limit: 20, after: { ...lowest, joinedAt: at(60_000) } })).toEqual([]);
    });

    test("pages neither overlap nor skip while members join and leave", async () => {
      const store = getStore();
      const { room, owner } = await seedRoom(store);
      const first = [1, 2, 3, 4, 5, 6].map((i) => memberFixture(room.id, newUserId(), { joinedAt: at(70_000 + i) }));
      for (const member of first) await store.addMember(member, null);
      const joiners = [1, 2, 3].map((i) => memberFixture(room.id, newUserId(), { joinedAt: at(80_000 + i) }));
      const leaver = first[4]!;
      const rejoiner = first[0]!;
      const back = { ...rejoiner, joinedAt: at(90_000) };
      const seen = await walk(store, room.id, 2, async (page) => {
        if (page !== 0) return;
        for (const member of joiners) await store.addMember(member, null);
        await store.removeMember(room.id, leaver.userId);
        // Left after being listed, back at a later time: listed again there, as a new membership.
        await store.removeMember(room.id, rejoiner.userId);
        await store.addMember(back, null);
      });
      expect(seen).toEqual([owner, rejoiner, ...first.slice(1).filter((m) => m !== leaver), ...joiners, back]);
      expect(await walk(store, room.id, 100)).toEqual([
        owner,
        ...first.slice(1).filter((m) => m !== leaver),
        ...joiners,
        back,
      ]);
    });

    test("removing a member updates the count; removing a non-member is false", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const member = memberFixture(room.id, newUserId());
      await store.addMember(member, null);
      expect(await store.removeMember(room.id, member.userId)).toBe(true);
      expect(await store.getMember(room.id, member.userId)).toBeNull();
      expect((await store.getRoom(room.id))?.memberCount).toBe(1);
      expect(await store.removeMember(room.id, member.userId)).toBe(false);
      expect((await store.getRoom(room.id))?.memberCount).toBe(1);
    });

    test("setMemberRole changes the role of a member; for a non-member it is false", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const member = memberFixture(room.id, newUserId());
      await store.addMember(member, null);
      expect(await store.setMemberRole(room.id, member.userId, "admin")).toBe(true);
      expect(await store.getMember(room.id, member.userId)).toEqual({ ...member, role: "admin" });
      expect(await store.setMemberRole(room.id, newUserId(), "admin")).toBe(false);
      expect(await store.getMember(room.id, member.userId)).toMatchObject({ role: "admin" });
    });

    test("a user's memberships name each of their rooms with its type and their role", async () => {
      const store = getStore();
      const userId = newUserId();
      const owned = (await seedRoom(store, { ownerId: userId, createdAt: at(20_000) })).room;
      const privateRoom = (await seedRoom(store, { type: "private" })).room;
      await store.addMember(memberFixture(privateRoom.id, userId, { role: "admin", joinedAt: at(20_001) }), null);
      const dmRoom = roomFixture({ type: "dm", ownerId: userId });
      const { room: dm } = await store.getOrCreateDm(dmRoom, [
        memberFixture(dmRoom.id, userId, { joinedAt: at(20_002) }),
        memberFixture(dmRoom.id, newUserId(), { joinedAt: at(20_002) }),
      ]);
      const expected: Membership[] = [
        { roomId: owned.id, roomType: "public", role: "owner", joinedAt: at(20_000) },
        { roomId: privateRoom.id, roomType: "private", role: "admin", joinedAt: at(20_001) },
        { roomId: dm.id, roomType: "dm", role: "member", joinedAt: at(20_002) },
      ];
      const sorted = (list: Membership[]) => [...list].sort((a, b) => byString(a.roomId, b.roomId));
      expect(sorted(await store.listMemberships(userId))).toEqual(sorted(expected));
      await store.removeMember(privateRoom.id, userId);
      expect((await store.listMemberships(userId)).map((m) => m.roomId).sort(byString)).toEqual(
        [owned.id, dm.id].sort(byString),
      );
      expect(await store.listMemberships(newUserId())).toEqual([]);
    });
  });

  describe("bans", () => {
    test("a ban is stored, replaced by a second put, kept past its expiry, and removed once", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const ban: BanRecord = {
        roomId: room.id,
        userId: newUserId(),
        bannedBy: room.ownerId,
        reason: "spam",
        expiresAt: at(60_000),
        createdAt: at(1_000),
      };
      expect(await store.getBan(room.id, ban.userId)).toBeNull();
      await store.putBan(ban);
      expect(await store.getBan(room.id, ban.userId)).toEqual(ban);
      const replaced: BanRecord = {
        ...ban,
        bannedBy: newUserId(),
        reason: null,
        expiresAt: null,
        createdAt: at(2_000),
      };
      await store.putBan(replaced);
      expect(await store.getBan(room.id, ban.userId)).toEqual(replaced);
      const expired: BanRecord = { ...ban, expiresAt: new Date(Date.now() - 60_000) };
      await store.putBan(expired);
      expect(await store.getBan(room.id, ban.userId)).toEqual(expired);
      expect(await store.removeBan(room.id, ban.userId)).toBe(true);
      expect(await store.getBan(room.id, ban.userId)).toBeNull();
      expect(await store.removeBan(room.id, ban.userId)).toBe(false);
    });

    test("a ban holds in its room only", async () => {
      const store = getStore();
      const [{ room }, { room: other }] = [await seedRoom(store), await seedRoom(store)];
      const ban: BanRecord = {
        roomId: room.id,
        userId: newUserId(),
        bannedBy: room.ownerId,
        reason: null,
        expiresAt: null,
        createdAt: at(1),
      };
      await store.putBan(ban);
      expect(await store.getBan(other.id, ban.userId)).toBeNull();
      expect(await store.removeBan(other.id, ban.userId)).toBe(false);
      expect(await store.getBan(room.id, ban.userId)).toEqual(ban);
    });
  });

  describe("audit", () => {
    test("the moderation log lists a room's entries newest first, with every field, and pages with before", async () => {
      const store = getStore();
      const [{ room }, { room: other }] = [await seedRoom(store), await seedRoom(store)];
      const entries: AuditRecord[] = [];
      for (let i = 0; i < 5; i++) {
        entries.push({
          id: newAuditId(),
          roomId: room.id,
          actorId: room.ownerId,
          action: i % 2 ? "member.banned" : "message.deleted",
          targetUserId: i % 2 ? newUserId() : null,
          messageId: i % 2 ? null : new MessageIdGenerator().next(),
          details: { reason: `r${i}`, nested: { list: [1, "two", null], flag: true } },
          createdAt: at(30_000 + ((i * 3) % 5)), // the order is the ids', not the times'
        });
      }
      for (const entry of shuffled(entries)) await store.appendAudit(entry);
      await store.appendAudit({ ...entries[0]!, id: newAuditId(), roomId: other.id });
      const newestFirst = [...entries].sort((a, b) => byString(b.id, a.id));
      expect(await store.listAudit(room.id, { limit: 10 })).toEqual(newestFirst);
      expect(await store.listAudit(room.id, { limit: 2 })).toEqual(newestFirst.slice(0, 2));
      expect(await store.listAudit(room.id, { limit: 2, before: newestFirst[1]!.id })).toEqual(newestFirst.slice(2, 4));
      expect(await store.listAudit(room.id, { limit: 2, before: newestFirst[3]!.id })).toEqual(newestFirst.slice(4));
      expect(await store.listAudit(room.id, { limit: 2, before: newestFirst[4]!.id })).toEqual([]);
      expect(await store.listAudit(other.id, { limit: 10 })).toHaveLength(1);
    });

    test("paging with before neither overlaps nor skips while entries are added", async () => {
      const store = getStore();
      const { room } = await seedRoom(store);
      const entry = (): AuditRecord => ({
        id: newAuditId(),
        roomId: room.id,
        actorId: room.ownerId,
        action: "room.updated",
        targetUserId: null,
        messageId: null,
        details: {},
        createdAt: at(40_000),
      });
      const older = Array.from({ length: 5 }, entry);
      for (const e of older) await store.appendAudit(e);
      const seen: AuditRecord[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.listAudit(room.id, { limit: 2, before });
        seen.push(...page);
        if (page.length < 2) break;
        before = page.at(-1)!.id;
        await store.appendAudit(entry()); // newer than everything: never on a later page
      }
      expect(seen).toEqual([...older].reverse());
    });
  });
}
