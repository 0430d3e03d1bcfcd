// Rows of the room tables ↔ records, and the statements that write a room, a member and a directory
// entry — shared by rooms.ts, members.ts and listing.ts so each denormalised copy is written one way.
import type { MemberRecord, NewRoom, RoomRecord } from "../../ports/rooms";
import type { Row, Statement } from "./client";
import { monthOfV7 } from "./keys";

export const ROOM_COLUMNS = "id, type, name, description, max_members, owner_id, created_at, member_count";
export const MEMBER_COLUMNS = "room_id, user_id, username, role, joined_at, join_order";

/** The single partition of public_room_months. */
export const DIRECTORY = 0;

export const toRoom = (row: Row): RoomRecord => ({
  id: row.id.toString(),
  type: row.type,
  name: row.name ?? "",
  description: row.description ?? null,
  maxMembers: row.max_members ?? null,
  ownerId: row.owner_id.toString(),
  createdAt: row.created_at,
  memberCount: row.member_count ?? 0,
});

export const toMember = (row: Row): MemberRecord => ({
  roomId: row.room_id.toString(),
  userId: row.user_id.toString(),
  username: row.username,
  role: row.role,
  joinedAt: row.joined_at,
});

export const roomInsert = (room: NewRoom, memberCount: number, dmPair: string | null = null): Statement => ({
  query: `INSERT INTO rooms (${ROOM_COLUMNS}, dm_pair) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  params: [
    room.id,
    room.type,
    room.name,
    room.description,
    room.maxMembers,
    room.ownerId,
    room.createdAt,
    memberCount,
    dmPair,
  ],
});

/** The member row, its place in the member list and its copy in the member's list of rooms. */
export const memberInserts = (member: MemberRecord, joinOrder: string): Statement[] => [
  memberOrderInsert(member),
  {
    query: `INSERT INTO room_members (${MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
    params: [member.roomId, member.userId, member.username, member.role, member.joinedAt, joinOrder],
  },
  membershipInsert(member),
];

/** The member's place in the room's member list (room_members_by_join). */
export const memberOrderInsert = (member: Pick<MemberRecord, "roomId" | "userId" | "joinedAt">): Statement => ({
  query: "INSERT INTO room_members_by_join (room_id, joined_at, user_id) VALUES (?, ?, ?)",
  params: [member.roomId, member.joinedAt, member.userId],
});

export const memberOrderDelete = (member: Pick<MemberRecord, "roomId" | "userId" | "joinedAt">): Statement => ({
  query: "DELETE FROM room_members_by_join WHERE room_id = ? AND joined_at = ? AND user_id = ?",
  params: [member.roomId, member.joinedAt, member.userId],
});

/** The member's copy of a membership, in their list of rooms. */
export const membershipInsert = (member: MemberRecord): Statement => ({
  query: "INSERT INTO rooms_by_member (user_id, room_id, role, joined_at) VALUES (?, ?, ?, ?)",
  params: [member.userId, member.roomId, member.role, member.joinedAt],
});

/** A public room's directory entry (and its month, so listing finds the partition). */
export const directoryInserts = (roomId: string, name: string): Statement[] => {
  const month = monthOfV7(roomId);
  return [
    { query: "INSERT INTO public_room_months (directory, month) VALUES (?, ?)", params: [DIRECTORY, month] },
    {
      query: "INSERT INTO public_rooms (month, room_id, name_key) VALUES (?, ?, ?)",
      params: [month, roomId, name.toLowerCase()],
    },
  ];
};

export const directoryDelete = (roomId: string): Statement => ({
  query: "DELETE FROM public_rooms WHERE month = ? AND room_id = ?",
  params: [monthOfV7(roomId), roomId],
});
