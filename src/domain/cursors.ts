// Opaque page cursors for lists ordered by more than an id (members and a user's rooms by join, DMs
// by activity): a base64url text the client hands back unchanged. Anything else, also a cursor of
// another list, is 400 validation_failed on `cursor`.

import type { MemberPosition, Membership } from "../ports/rooms";
import { validationFailed } from "./errors";
import { isUuid } from "./ids";

const encode = (parts: string[]) => Buffer.from(parts.join("|")).toString("base64url");

const invalidCursor = () =>
  validationFailed("cursor is not one this list returned", [{ field: "cursor", message: "unknown cursor" }]);

function decode(cursor: string, tag: string): string[] {
  const parts = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (parts[0] !== tag) throw invalidCursor();
  return parts.slice(1);
}

/** A place in a list in join order: a join time and the id that breaks ties. */
type Joined = { joinedAt: Date; id: string };

const encodeJoined = (tag: string, { joinedAt, id }: Joined) => encode([tag, String(joinedAt.getTime()), id]);

function decodeJoined(tag: string, cursor: string): Joined {
  const [ms, id] = decode(cursor, tag);
  const time = Number(ms);
  if (!Number.isSafeInteger(time) || !id || !isUuid(id)) throw invalidCursor();
  return { joinedAt: new Date(time), id: id.toLowerCase() };
}

/** Members of a room, in join order. */
export const memberCursor = (member: MemberPosition): string =>
  encodeJoined("m", { joinedAt: member.joinedAt, id: member.userId });

export function decodeMemberCursor(cursor: string): MemberPosition {
  const { joinedAt, id } = decodeJoined("m", cursor);
  return { joinedAt, userId: id };
}

/** A user's rooms, in the order they joined them. */
export const membershipCursor = (membership: Membership): string =>
  encodeJoined("u", { joinedAt: membership.joinedAt, id: membership.roomId });

export function decodeMembershipCursor(cursor: string): { joinedAt: Date; roomId: string } {
  const { joinedAt, id } = decodeJoined("u", cursor);
  return { joinedAt, roomId: id };
}

/** A place in an activity-ordered list: a sort key (a string that sorts like the activity) and an id. */
export type ActivityPosition = { key: string; id: string };

export const activityCursor = (position: ActivityPosition): string => encode(["a", position.key, position.id]);

export function decodeActivityCursor(cursor: string): ActivityPosition {
  const [key, id] = decode(cursor, "a");
  if (!key || !/^[0-9a-f]{1,40}$/.test(key) || !id || !isUuid(id)) throw invalidCursor();
  return { key, id: id.toLowerCase() };
}
