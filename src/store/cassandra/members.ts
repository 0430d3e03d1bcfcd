// The Cassandra side of membership: members by room and rooms by member, roles, and the room's member
// count, which only compare-and-set changes so `maxMembers` holds under concurrent joins.
import { types } from "cassandra-driver";
import { notFound } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type { MemberRecord, MemberRole, Membership } from "../../ports/rooms";
import type { Cql } from "./client";
import { contended } from "./errors";
import { collect, mapLimit } from "./parallel";
import { byJoin, MEMBER_COLUMNS, membershipInsert, toMember } from "./room-rows";

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
   * 3. The member row is claimed with `IF NOT EXISTS`; losing that race (the same user added twice at
   *    once) gives the seat back and is "exists".
   * So the count leads the member rows: it may briefly exceed them, the rows never exceed the limit.
   * Throws `not_found` when the room does not exist.
   */
  async addMember(member: MemberRecord, maxMembers: number | null): Promise<"added" | "exists" | "full"> {
    if (await this.getMember(member.roomId, member.userId)) return "exists";
    const seat = await this.#changeCount(member.roomId, 1, maxMembers);
    if (seat === "missing") throw notFound("room");
    if (seat === "full") return "full";
    try {
      const { applied } = await this.cql.lwt(
        `INSERT INTO room_members (${MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
        [member.roomId, member.userId, member.username, member.role, member.joinedAt, this.joinOrder()],
        "room",
      );
      if (!applied) {
        await this.#changeCount(member.roomId, -1, null);
        return "exists";
      }
    } catch (error) {
      // The outcome of a timed-out LWT is unknown: give the seat back only if the row is surely absent.
      if (!(await this.getMember(member.roomId, member.userId).catch(() => true)))
        await this.#changeCount(member.roomId, -1, null).catch(() => {});
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

  /** Oldest join first; equal join times in the order the members were added. */
  async listMembers(roomId: string): Promise<MemberRecord[]> {
    if (!isUuid(roomId)) return [];
    const rows = await collect(this.cql.rows(`SELECT ${MEMBER_COLUMNS} FROM room_members WHERE room_id = ?`, [roomId]));
    return rows.sort(byJoin).map(toMember);
  }

  /** The member row goes by LWT (`IF EXISTS`), so of concurrent removals one frees the seat. */
  async removeMember(roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    const { applied } = await this.cql.lwt(
      "DELETE FROM room_members WHERE room_id = ? AND user_id = ? IF EXISTS",
      [roomId, userId],
      "room",
    );
    if (!applied) return false;
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
