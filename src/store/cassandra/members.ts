// The Cassandra side of membership: members by room (and in join order, for paging) and rooms by
// member, roles, and the room's member count, which only compare-and-set changes so `maxMembers` holds
// under concurrent joins.
import { types } from "cassandra-driver";
import { notFound } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type { MemberPosition, MemberRecord, MemberRole, Membership } from "../../ports/rooms";
import type { Cql, Row } from "./client";
import { contended } from "./errors";
import { collect, mapLimit } from "./parallel";
import { MEMBER_COLUMNS, memberOrderDelete, memberOrderInsert, membershipInsert, toMember } from "./room-rows";

/** How many compare-and-set rounds a count change may lose before it gives up with `unavailable`. */
const CAS_ATTEMPTS = 50;

export class CassandraMembers {
  constructor(
    private readonly cql: Cql,
    /** Time-ordered ids that keep equal join times in insertion order. */
    private readonly joinOrder: () => string,
  ) {}

  /**
   * 1. An existing member is "exists", also in a full room.
   * 2. A seat is taken by raising member_count with `IF member_count = n` (LWT), unless n has reached
   *    `maxMembers` ("full"). Lost rounds re-read n from the LWT answer and try again.
   * 3. The member's place in the member list (room_members_by_join) is written, then the member row
   *    is claimed with `IF NOT EXISTS`; losing that race (the same user added twice at once) gives the
   *    seat back, drops the place unless it is the winner's too, and is "exists".
   * So the count leads the member rows: it may briefly exceed them, the rows never exceed the limit.
   * Throws `not_found` when the room does not exist.
   */
  async addMember(member: MemberRecord, maxMembers: number | null): Promise<"added" | "exists" | "full"> {
    if (await this.getMember(member.roomId, member.userId)) return "exists";
    const seat = await this.#changeCount(member.roomId, 1, maxMembers);
    if (seat === "missing") throw notFound("room");
    if (seat === "full") return "full";
    const place = memberOrderInsert(member);
    const dropPlace = () => {
      const drop = memberOrderDelete(member);
      return this.cql.write(drop.query, drop.params);
    };
    try {
      await this.cql.write(place.query, place.params);
      const { applied, row } = await this.cql.lwt(
        `INSERT INTO room_members (${MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
        [member.roomId, member.userId, member.username, member.role, member.joinedAt, this.joinOrder()],
        "room",
      );
      if (!applied) {
        await this.#changeCount(member.roomId, -1, null);
        if (row?.joined_at?.getTime() !== member.joinedAt.getTime()) await dropPlace();
        return "exists";
      }
    } catch (error) {
      // The outcome of a timed-out LWT is unknown: give the seat back only if the row is surely absent.
      if (!(await this.getMember(member.roomId, member.userId).catch(() => true))) {
        await this.#changeCount(member.roomId, -1, null).catch(() => {});
        await dropPlace().catch(() => {}); // a place left behind is never listed (see listMembers)
      }
      throw error;
    }
    const copy = membershipInsert(member);
    await this.cql.write(copy.query, copy.params);
    return "added";
  }

  /**
   * Adds `delta` to the room's member_count by compare-and-set, refusing to pass `max` when adding.
   * The first reading is a LOCAL_SERIAL (Paxos) read, so "full" is never decided on a stale count.
   */
  async #changeCount(roomId: string, delta: 1 | -1, max: number | null): Promise<"ok" | "full" | "missing"> {
    const first = await this.cql.one("SELECT member_count FROM rooms WHERE id = ?", [roomId], {
      consistency: types.consistencies.localSerial,
    });
    let count: number | null | undefined = first?.member_count;
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      if (count === null || count === undefined) return "missing";
      if (delta > 0 && max !== null && count >= max) return "full";
      const { applied, row } = await this.cql.lwt(
        "UPDATE rooms SET member_count = ? WHERE id = ? IF member_count = ?",
        [count + delta, roomId, count],
        "room",
      );
      if (applied) return "ok";
      count = row?.member_count;
      if (attempt > 3) await Bun.sleep(Math.random() * 5 * attempt);
    }
    throw contended("member count");
  }

  async getMember(roomId: string, userId: string): Promise<MemberRecord | null> {
    if (!isUuid(roomId) || !isUuid(userId)) return null;
    const row = await this.cql.one(`SELECT ${MEMBER_COLUMNS} FROM room_members WHERE room_id = ? AND user_id = ?`, [
      roomId,
      userId,
    ]);
    return row ? toMember(row) : null;
  }

  /**
   * Oldest join first, equal join times by user id: slices of room_members_by_join after the position,
   * each place checked against its member row (one `IN` read per slice). A place without a member row
   * of the same join time (left behind by a failed add or remove, or by a leave and rejoin) is skipped,
   * and the slice after it read until the page is full or the list ends.
   */
  async listMembers(roomId: string, page: { limit: number; after?: MemberPosition }): Promise<MemberRecord[]> {
    if (!isUuid(roomId) || page.limit <= 0) return [];
    const members: MemberRecord[] = [];
    let after = page.after && isUuid(page.after.userId) ? page.after : undefined;
    for (;;) {
      const wanted = page.limit - members.length;
      const places = await this.cql.read(
        `SELECT joined_at, user_id FROM room_members_by_join WHERE room_id = ?${
          after ? " AND (joined_at, user_id) > (?, ?)" : ""
        } LIMIT ?`,
        after ? [roomId, after.joinedAt, after.userId, wanted] : [roomId, wanted],
      );
      if (places.rows.length === 0) return members;
      const rows = await this.cql.read(
        `SELECT ${MEMBER_COLUMNS} FROM room_members WHERE room_id = ? AND user_id IN ?`,
        [roomId, places.rows.map((place) => place.user_id)],
      );
      const byUser = new Map<string, Row>(rows.rows.map((row) => [String(row.user_id), row]));
      for (const place of places.rows) {
        const row = byUser.get(String(place.user_id));
        if (row && row.joined_at.getTime() === place.joined_at.getTime()) members.push(toMember(row));
      }
      if (members.length >= page.limit || places.rows.length < wanted) return members;
      const last = places.rows.at(-1)!;
      after = { joinedAt: last.joined_at, userId: String(last.user_id) };
    }
  }

  /**
   * The member row goes by LWT (`IF EXISTS`), so of concurrent removals one frees the seat; then its
   * place in the member list and its copy in the user's rooms go.
   */
  async removeMember(roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    const member = await this.getMember(roomId, userId);
    if (!member) return false;
    const { applied } = await this.cql.lwt(
      "DELETE FROM room_members WHERE room_id = ? AND user_id = ? IF EXISTS",
      [roomId, userId],
      "room",
    );
    if (!applied) return false;
    const place = memberOrderDelete(member);
    await this.cql.write(place.query, place.params);
    await this.cql.write("DELETE FROM rooms_by_member WHERE user_id = ? AND room_id = ?", [userId, roomId]);
    await this.#changeCount(roomId, -1, null); // "missing": the room is being deleted; nothing to count
    return true;
  }

  async setMemberRole(roomId: string, userId: string, role: MemberRole): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    const { applied } = await this.cql.lwt(
      "UPDATE room_members SET role = ? WHERE room_id = ? AND user_id = ? IF EXISTS",
      [role, roomId, userId],
      "room",
    );
    if (applied) {
      await this.cql.write("UPDATE rooms_by_member SET role = ? WHERE user_id = ? AND room_id = ?", [
        role,
        userId,
        roomId,
      ]);
    }
    return applied;
  }

  /**
   * Every room the user is in, oldest join first. The room type is read from each room (it may have
   * changed since the join); rooms that are gone, and copies left half-written by a race with a
   * removal (no join time), are skipped.
   */
  async listMemberships(userId: string): Promise<Membership[]> {
    if (!isUuid(userId)) return [];
    const rows = (
      await collect(this.cql.rows("SELECT room_id, role, joined_at FROM rooms_by_member WHERE user_id = ?", [userId]))
    ).filter((row) => row.joined_at);
    const rooms = await mapLimit(rows, 32, (row) => this.cql.one("SELECT type FROM rooms WHERE id = ?", [row.room_id]));
    const memberships: Membership[] = [];
    rows.forEach((row, i) => {
      const room = rooms[i];
      if (room)
        memberships.push({
          roomId: row.room_id.toString(),
          roomType: room.type,
          role: row.role,
          joinedAt: row.joined_at,
        });
    });
    return memberships.sort(
      (a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0),
    );
  }
}

/**
 * Migration 0004's backfill: every member row's place in room_members_by_join, read a page at a time
 * across the whole table (a one-off full scan), written as upserts.
 */
export async function backfillMemberOrder(cql: Cql, renew: () => Promise<void>): Promise<void> {
  let count = 0;
  for await (const row of cql.rows("SELECT room_id, user_id, joined_at FROM room_members", [], 1000)) {
    if (!row.joined_at) continue; // half written by a race with a removal: no member to list
    const place = memberOrderInsert({ roomId: row.room_id, userId: row.user_id, joinedAt: row.joined_at });
    await cql.write(place.query, place.params);
    if (++count % 5000 === 0) await renew();
  }
}
