// The storage contract for rooms: create, update, delete with everything in them, listing, DM pairs.
import { describe, expect, test } from "bun:test";
import { MessageIdGenerator, newAuditId } from "../../src/domain/ids";
import type { AuditRecord, MemberRecord } from "../../src/ports/rooms";
import type { Store } from "../../src/ports/store";
import {
  appendAs,
  at,
  byString,
  memberFixture,
  messageFixture,
  newUserId,
  roomFixture,
  seedRoom,
  uniqueTag,
} from "./store-fixtures";

/** A page large enough for every member a test adds. */
const ALL = { limit: 1000 };

/** Registers the room tests; `getStore` answers the suite's migrated store. */
export function describeRoomStore(getStore: () => Store) {
  const ids = (rooms: { id: string }[]) => rooms.map((r) => r.id);

  describe("rooms", () => {
    test("a created room is found by id, with its owner as its only member; a missing room is null", async () => {
      const store = getStore();
      const room = roomFixture({ type: "private", description: "plans", maxMembers: 12 });
      const owner = memberFixture(room.id, room.ownerId, { role: "owner", joinedAt: at(5_000) });
      const created = await store.createRoom(room, owner);
      expect(created).toEqual({ ...room, memberCount: 1 });
      expect(await store.getRoom(room.id)).toEqual(created);
      expect(await store.getMember(room.id, owner.userId)).toEqual(owner);
      expect(await store.listMembers(room.id, ALL)).toEqual([owner]);
      expect(await store.getRoom(roomFixture().id)).toBeNull();
    });

    test("updateRoom changes only the given fields and returns the result; an unknown room is null", async () => {
      const store = getStore();
      const { room } = await seedRoom(store, { description: "old" });
      const name = `Renamed ${uniqueTag()}`;
      const renamed = await store.updateRoom(room.id, { name });
      expect(renamed).toEqual({ ...room, name });
      const found = await store.listRooms({ userId: newUserId(), nameContains: name.toUpperCase(), limit: 10 });
      expect(ids(found)).toEqual([room.id]);
      const changed = await store.updateRoom(room.id, { description: null, type: "private", maxMembers: 3 });
      expect(changed).toEqual({ ...room, name, description: null, type: "private", maxMembers: 3 });
      expect(await store.updateRoom(room.id, { maxMembers: null })).toMatchObject({ maxMembers: null });
      expect(await store.updateRoom(room.id, {})).toEqual({ ...changed!, maxMembers: null });
      expect(await store.getRoom(room.id)).toEqual({ ...changed!, maxMembers: null });
      expect(await store.updateRoom(roomFixture().id, { name: "x" })).toBeNull();
    });

    test("deleting a room removes everything in it and nothing of other rooms", async () => {
      const store = getStore();
      const [{ room, owner }, { room: other, owner: otherOwner }] = [await seedRoom(store), await seedRoom(store)];
      const [userId, bannedId] = [newUserId(), newUserId()];
      const gen = new MessageIdGenerator();
      for (const r of [room, other]) {
        await store.addMember(memberFixture(r.id, userId), null);
        await store.putBan({
          roomId: r.id,
          userId: bannedId,
          bannedBy: r.ownerId,
          reason: null,
          expiresAt: null,
          createdAt: at(1),
        });
        const audit: AuditRecord = {
          id: newAuditId(),
          roomId: r.id,
          actorId: r.ownerId,
          action: "member.kicked",
          targetUserId: userId,
          messageId: null,
          details: {},
          createdAt: at(2),
        };
        await store.appendAudit(audit);
        const { message } = await appendAs(
          store,
          messageFixture(r.id, gen.next(), { authorId: userId, clientId: "c1" }),
        );
        await store.appendEvent(r.id, "reaction.added", "{}");
        await store.addReaction(r.id, { messageId: message.id, emoji: "👍", userId });
        await store.setReadMarker(r.id, userId, message.id);
      }
      const message = (await store.latestMessage(room.id))!;
      await store.deleteRoom(room.id);

      expect(await store.getRoom(room.id)).toBeNull();
      expect(await store.getMember(room.id, owner.userId)).toBeNull();
      expect(await store.listMembers(room.id, ALL)).toEqual([]);
      expect((await store.listMemberships(userId)).map((m) => m.roomId)).toEqual([other.id]);
      expect(await store.getBan(room.id, bannedId)).toBeNull();
      expect(await store.listAudit(room.id, { limit: 10 })).toEqual([]);
      expect(await store.getMessage(room.id, message.id)).toBeNull();
      expect(await store.findMessageByClientId(room.id, userId, "c1")).toBeNull();
      expect(await store.listMessages(room.id, { limit: 10 })).toEqual([]);
      expect(await store.latestMessage(room.id)).toBeNull();
      expect(await store.headPosition(room.id)).toBe(0);
      expect(await store.readLog(room.id, 0, 10)).toEqual([]);
      expect(await store.headPosition(other.id)).toBe(2);
      expect(await store.listReactions(room.id, [message.id])).toEqual([]);
      expect(await store.getReadMarker(room.id, userId)).toBeNull();
      expect(await store.countUnread(room.id, otherOwner.userId, null, 10)).toEqual({ count: 0, mentioned: false });

      expect(await store.getRoom(other.id)).toMatchObject({ memberCount: 2 });
      expect(await store.getBan(other.id, bannedId)).not.toBeNull();
      expect(await store.listAudit(other.id, { limit: 10 })).toHaveLength(1);
      expect(await store.listMessages(other.id, { limit: 10 })).toHaveLength(1);
      expect(await store.listReactions(other.id, [(await store.latestMessage(other.id))!.id])).toHaveLength(1);
      expect(await store.getReadMarker(other.id, userId)).not.toBeNull();
      await store.deleteRoom(room.id); // deleting what is gone is no error
    });
  });

  describe("room listing", () => {
    /** One room of every kind, named with `tag`; `user` is a member of `mine` and `dm` only. */
    async function seedVisibility(store: Store) {
      const tag = uniqueTag();
      const user = newUserId();
      const publicRoom = (await seedRoom(store, { name: `${tag} public` })).room;
      const joinedPublic = (await seedRoom(store, { name: `${tag} joined public` })).room;
      const mine = (await seedRoom(store, { name: `${tag} mine`, type: "private" })).room;
      const notMine = (await seedRoom(store, { name: `${tag} not mine`, type: "private" })).room;
      await store.addMember(memberFixture(joinedPublic.id, user), null);
      await store.addMember(memberFixture(mine.id, user), null);
      const dmRoom = roomFixture({ name: `${tag} dm`, type: "dm", ownerId: user });
      const peer = newUserId();
      const { room: dm } = await store.getOrCreateDm(dmRoom, [
        memberFixture(dmRoom.id, user),
        memberFixture(dmRoom.id, peer),
      ]);
      return { tag, user, peer, publicRoom, joinedPublic, mine, notMine, dm };
    }

    test("a user sees every public room and the private rooms they are in, never a DM unless asked", async () => {
      const store = getStore();
      const s = await seedVisibility(store);
      const seen = await store.listRooms({ userId: s.user, nameContains: s.tag, limit: 100 });
      expect(ids(seen)).toEqual(ids([s.publicRoom, s.joinedPublic, s.mine]).sort(byString));
      expect(seen.find((r) => r.id === s.mine.id)).toEqual({ ...s.mine, memberCount: 2 });
      const stranger = await store.listRooms({ userId: newUserId(), nameContains: s.tag, limit: 100 });
      expect(ids(stranger)).toEqual(ids([s.publicRoom, s.joinedPublic]).sort(byString));
    });

    test("a type filter returns only that type, and only the user's own private rooms and DMs", async () => {
      const store = getStore();
      const s = await seedVisibility(store);
      const list = (userId: string, type: "public" | "private" | "dm") =>
        store.listRooms({ userId, type, nameContains: s.tag, limit: 100 }).then(ids);
      expect(await list(s.user, "public")).toEqual(ids([s.publicRoom, s.joinedPublic]).sort(byString));
      expect(await list(s.user, "private")).toEqual([s.mine.id]);
      expect(await list(s.user, "dm")).toEqual([s.dm.id]);
      expect(await list(s.peer, "dm")).toEqual([s.dm.id]);
      expect(await list(newUserId(), "private")).toEqual([]);
      expect(await list(newUserId(), "dm")).toEqual([]);
    });

    test("the name filter is a case-insensitive substring in which % and _ are ordinary characters", async () => {
      const store = getStore();
      const tag = uniqueTag();
      const literal = (await seedRoom(store, { name: `${tag}-Alpha_Team-100%` })).room;
      const lookalike = (await seedRoom(store, { name: `${tag}-alphaXteam-1000` })).room;
      const find = (nameContains: string) =>
        store.listRooms({ userId: newUserId(), nameContains, limit: 100 }).then(ids);
      expect(await find(`${tag}-ALPHA`)).toEqual(ids([literal, lookalike]).sort(byString));
      expect(await find(`${tag}-alpha_team`)).toEqual([literal.id]);
      expect(await find(`${tag.toUpperCase()}-ALPHA_TEAM-100%`)).toEqual([literal.id]);
      expect(await find(`${tag}-alpha%team`)).toEqual([]);
      const umlaut = (await seedRoom(store, { name: `${tag}-ÄRGER` })).room;
      expect(await find(`${tag}-ärger`)).toEqual([umlaut.id]);
    });

    test("pages come in ascending id order and the cursor is exclusive", async () => {
      const store = getStore();
      const tag = uniqueTag();
      const rooms = [];
      for (let i = 0; i < 5; i++) rooms.push((await seedRoom(store, { name: `${tag} ${i}` })).room);
      const expected = ids(rooms).sort(byString);
      const page = (after?: string) =>
        store.listRooms({ userId: newUserId(), nameContains: tag, after, limit: 2 }).then(ids);
      expect(await page()).toEqual(expected.slice(0, 2));
      expect(await page(expected[1])).toEqual(expected.slice(2, 4));
      expect(await page(expected[3])).toEqual(expected.slice(4));
      expect(await page(expected[4])).toEqual([]);
    });
  });

  describe("direct messages", () => {
    const dmRequest = (a: string, b: string) => {
      const room = roomFixture({ type: "dm", name: "", ownerId: a, createdAt: at(40_000) });
      const members: [MemberRecord, MemberRecord] = [
        memberFixture(room.id, a, { joinedAt: at(40_000) }),
        memberFixture(room.id, b, { joinedAt: at(40_000) }),
      ];
      return [room, members] as const;
    };

    test("a pair gets one DM room however often, concurrently and in whichever order it is asked", async () => {
      const store = getStore();
      const [a, b] = [newUserId(), newUserId()];
      const requests = Array.from({ length: 10 }, (_, i) => (i % 2 ? dmRequest(b, a) : dmRequest(a, b)));
      const results = await Promise.all(requests.map(([room, members]) => store.getOrCreateDm(room, members)));
      expect(new Set(results.map((r) => r.room.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const winner = results.findIndex((r) => r.created);
      const [room, members] = requests[winner]!;
      expect(results[winner]!.room).toEqual({ ...room, memberCount: 2 });
      for (const result of results) expect(result.room).toEqual({ ...room, memberCount: 2 });
      expect(await store.getRoom(room.id)).toEqual({ ...room, memberCount: 2 });
      const byUser = (list: MemberRecord[]) => [...list].sort((x, y) => byString(x.userId, y.userId));
      expect(byUser(await store.listMembers(room.id, ALL))).toEqual(byUser(members));
      for (const [proposed] of requests.filter((_, i) => i !== winner))
        expect(await store.getRoom(proposed.id)).toBeNull();

      const [again, againMembers] = dmRequest(b, a);
      expect(await store.getOrCreateDm(again, againMembers)).toEqual({
        room: { ...room, memberCount: 2 },
        created: false,
      });
      expect(await store.getRoom(again.id)).toBeNull();
    });

    test("different pairs get different rooms; deleting a DM frees its pair", async () => {
      const store = getStore();
      const [a, b, c] = [newUserId(), newUserId(), newUserId()];
      const ab = await store.getOrCreateDm(...dmRequest(a, b));
      const ac = await store.getOrCreateDm(...dmRequest(a, c));
      expect(ab.created && ac.created).toBe(true);
      expect(ab.room.id).not.toBe(ac.room.id);
      await store.deleteRoom(ab.room.id);
      const next = await store.getOrCreateDm(...dmRequest(b, a));
      expect(next.created).toBe(true);
      expect(next.room.id).not.toBe(ab.room.id);
      expect((await store.getOrCreateDm(...dmRequest(c, a))).room.id).toBe(ac.room.id);
    });
  });
}
