// The Cassandra side of rooms: create (one logged batch with the owner's membership and the directory
// entry), read, update (keeping the directory in step), delete with everything in it, and DM pairs
// claimed by LWT so concurrent openers of one pair get one room.
import { isUuid } from "../../domain/ids";
import type { MemberRecord, NewRoom, RoomPatch, RoomRecord } from "../../ports/rooms";
import type { Cql, Statement } from "./client";
import { collect, mapLimit } from "./parallel";
import { directoryDelete, directoryInserts, memberInserts, ROOM_COLUMNS, roomInsert, toRoom } from "./room-rows";

/** The key of an unordered user pair. */
const pairKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);

type DmProposal = { room: NewRoom; members: (MemberRecord & { joinOrder: string })[] };

const parseProposal = (json: string): DmProposal => {
  const parsed = JSON.parse(json);
  return {
    room: { ...parsed.room, createdAt: new Date(parsed.room.createdAt) },
    members: parsed.members.map((m: MemberRecord) => ({ ...m, joinedAt: new Date(m.joinedAt) })),
  };
};

/** RoomPatch fields and their columns. */
const PATCHABLE = { name: "name", description: "description", type: "type", maxMembers: "max_members" } as const;

export class CassandraRooms {
  constructor(
    private readonly cql: Cql,
    private readonly joinOrder: () => string,
    /** Removes the room's messages, reactions, bucket list and read markers (messages.ts). */
    private readonly purgeMessages: (roomId: string) => Promise<void>,
  ) {}

  async createRoom(room: NewRoom, owner: MemberRecord): Promise<RoomRecord> {
    await this.cql.batch([
      roomInsert(room, 1),
      ...memberInserts(owner, this.joinOrder()),
      ...(room.type === "public" ? directoryInserts(room.id, room.name) : []),
    ]);
    return { ...room, memberCount: 1 };
  }

  async getRoom(id: string): Promise<RoomRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.cql.one(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = ?`, [id]);
    return row ? toRoom(row) : null;
  }

  /**
   * Reads the room, then writes the changed columns and the directory entry in one logged batch: the
   * entry appears when the room becomes public, follows renames, and goes when the room stops being
   * public. Returns the room as read back.
   */
  async updateRoom(id: string, patch: RoomPatch): Promise<RoomRecord | null> {
    const current = await this.getRoom(id);
    if (!current) return null;
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, column] of Object.entries(PATCHABLE) as [keyof RoomPatch, string][]) {
      if (patch[field] === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(patch[field]);
    }
    if (sets.length === 0) return current;
    const next = { ...current, ...patch };
    const statements: Statement[] = [
      { query: `UPDATE rooms SET ${sets.join(", ")} WHERE id = ?`, params: [...values, id] },
    ];
    if (current.type === "public" && next.type !== "public") statements.push(directoryDelete(id));
    if (next.type === "public" && (current.type !== "public" || patch.name !== undefined))
      statements.push(...directoryInserts(id, next.name));
    await this.cql.batch(statements);
    return (await this.getRoom(id)) ?? next;
  }

  /**
   * Deletes every partition of the room: messages and what hangs off them, members (and each member's
   * copy), bans, audit, the directory entry, the DM pair (only while it still names this room); the
   * room row goes last, so a delete that fails halfway can be repeated. Deleting an unknown room does
   * nothing.
   */
  async deleteRoom(id: string): Promise<void> {
    if (!isUuid(id)) return;
    const room = await this.cql.one("SELECT dm_pair FROM rooms WHERE id = ?", [id]);
    const members = await collect(this.cql.rows("SELECT user_id FROM room_members WHERE room_id = ?", [id]));
    await this.purgeMessages(id);
    await mapLimit(members, 16, (m) =>
      this.cql.write("DELETE FROM rooms_by_member WHERE user_id = ? AND room_id = ?", [m.user_id, id]),
    );
    const directory = directoryDelete(id);
    await Promise.all([
      this.cql.write("DELETE FROM room_members WHERE room_id = ?", [id]),
      this.cql.write("DELETE FROM room_members_by_join WHERE room_id = ?", [id]),
      this.cql.write("DELETE FROM room_bans WHERE room_id = ?", [id]),
      this.cql.write("DELETE FROM room_audit WHERE room_id = ?", [id]),
      this.cql.write(directory.query, directory.params),
      room?.dm_pair
        ? this.cql.lwt("DELETE FROM dm_pairs WHERE pair_key = ? IF room_id = ?", [room.dm_pair, id], "global")
        : undefined,
    ]);
    await this.cql.write("DELETE FROM rooms WHERE id = ?", [id]);
  }

  /**
   * Claims the pair with `INSERT ... IF NOT EXISTS` at SERIAL, storing the proposed room with the claim;
   * the winner writes the room and both members in one logged batch. Everyone else gets the claimed
   * room. A caller that finds the claim but not the room (the winner is still writing it, or died
   * first) creates the claimed room itself: the room row with `IF NOT EXISTS`, so it never overwrites
   * the winner's, then the same member rows the winner writes.
   */
  async getOrCreateDm(room: NewRoom, members: [MemberRecord, MemberRecord]) {
    const key = pairKey(members[0].userId, members[1].userId);
    const proposal: DmProposal = { room, members: members.map((m) => ({ ...m, joinOrder: this.joinOrder() })) };
    const { applied, row } = await this.cql.lwt(
      "INSERT INTO dm_pairs (pair_key, room_id, proposal) VALUES (?, ?, ?) IF NOT EXISTS",
      [key, room.id, JSON.stringify(proposal)],
      "global",
    );
    if (applied) {
      await this.cql.batch(dmStatements(proposal, key));
      return { room: { ...room, memberCount: 2 }, created: true };
    }
    const existing = await this.getRoom(row!.room_id.toString());
    if (existing) return { room: existing, created: false };
    const claimed = parseProposal(row!.proposal);
    const [roomRow, ...memberRows] = dmStatements(claimed, key);
    const created = await this.cql.lwt(`${roomRow!.query} IF NOT EXISTS`, roomRow!.params, "room");
    if (created.applied) await this.cql.batch(memberRows);
    return { room: (await this.getRoom(claimed.room.id)) ?? { ...claimed.room, memberCount: 2 }, created: false };
  }
}

/** The rows of a DM: the room (first), then both members and their copies. */
const dmStatements = ({ room, members }: DmProposal, key: string): Statement[] => [
  roomInsert(room, 2, key),
  ...members.flatMap((m) => memberInserts(m, m.joinOrder)),
];
