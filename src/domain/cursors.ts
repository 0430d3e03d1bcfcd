// Opaque page cursors for lists ordered by more than an id (members by join, DMs by activity): a
// base64url text the client hands back unchanged. Anything else is 400 validation_failed on `cursor`.

import type { MemberPosition } from "../ports/rooms";
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

export const memberCursor = (member: MemberPosition): string =>
  encode(["m", String(member.joinedAt.getTime()), member.userId]);

export function decodeMemberCursor(cursor: string): MemberPosition {
  const [ms, userId] = decode(cursor, "m");
  const time = Number(ms);
  if (!Number.isSafeInteger(time) || !userId || !isUuid(userId)) throw invalidCursor();
  return { joinedAt: new Date(time), userId: userId.toLowerCase() };
}

/** A place in an activity-ordered list: a sort key (a string that sorts like the activity) and an id. */
export type ActivityPosition = { key: string; id: string };

export const activityCursor = (position: ActivityPosition): string => encode(["a", position.key, position.id]);

export function decodeActivityCursor(cursor: string): ActivityPosition {
  const [key, id] = decode(cursor, "a");
  if (!key || !/^[0-9a-f]{1,40}$/.test(key) || !id || !isUuid(id)) throw invalidCursor();
  return { key, id: id.toLowerCase() };
}
