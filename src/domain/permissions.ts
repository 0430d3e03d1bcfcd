// Who may do what in a room. Roles rank owner > admin > member; moderators are owners and admins, and
// a moderator acts only on members ranked below them.
import type { MemberRecord, MemberRole, RoomRecord } from "../ports/rooms";
import { forbidden, notFound } from "./errors";

const rank: Record<MemberRole, number> = { member: 1, admin: 2, owner: 3 };

export const isModerator = (role: MemberRole) => role === "owner" || role === "admin";

export const outranks = (actor: MemberRole, target: MemberRole) => rank[actor] > rank[target];

/** A room the caller can see: public rooms, and rooms they belong to. Others do not exist for them. */
export function assertVisible(room: RoomRecord | null, member: MemberRecord | null): asserts room is RoomRecord {
  if (!room || (room.type !== "public" && !member)) throw notFound("room");
}

/** Room content (history, sending, members' actions) needs membership: 403 in a visible public room. */
export function assertMember(member: MemberRecord | null): asserts member is MemberRecord {
  if (!member) throw forbidden("join the room first");
}

export function assertModerator(member: MemberRecord) {
  if (!isModerator(member.role)) throw forbidden("only the room's owner or admins may do this");
}

export function assertOwner(member: MemberRecord) {
  if (member.role !== "owner") throw forbidden("only the room's owner may do this");
}

/** DMs have exactly their two members and no moderation. */
export function assertNotDm(room: RoomRecord) {
  if (room.type === "dm") throw forbidden("not possible in a direct message");
}
