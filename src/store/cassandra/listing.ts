// listRooms on Cassandra: the public-room directory (by month, rooms in id order) merged in code with
// the user's own rooms (rooms_by_member, in id order), then each candidate checked against its room
// row. Both sources are read a page at a time and the walk stops as soon as `limit` rooms qualify.
import { isUuid } from "../../domain/ids";
import type { RoomListQuery, RoomRecord } from "../../ports/rooms";
import type { Cql } from "./client";
import { MIN_BUCKET, monthOfV7, v7Bound } from "./keys";
import { mapLimit } from "./parallel";
import { DIRECTORY, ROOM_COLUMNS, toRoom } from "./room-rows";

const PAGE = 200;

/** A room that may be listed: from the directory (with its lowercased name), the user's rooms, or both. */
type Candidate = { id: string; nameKey?: string; member: boolean };

type Cursor = { op: string; bound: string } | null;

export async function listRooms(cql: Cql, query: RoomListQuery): Promise<RoomRecord[]> {
  if (query.limit <= 0 || !isUuid(query.userId)) return [];
  const cursor: Cursor = query.after === undefined ? null : v7Bound(query.after, "after");
  const needle = query.nameContains?.toLowerCase();
  // Public rooms all sit in the directory; private rooms and DMs are seen only by their members.
  const sources: AsyncGenerator<Candidate>[] = [];
  if (query.type === undefined || query.type === "public") sources.push(directory(cql, cursor));
  if (query.type !== "public") sources.push(memberRooms(cql, query.userId, cursor));

  const qualifies = (room: RoomRecord | null, candidate: Candidate): room is RoomRecord =>
    room !== null &&
    (query.type === undefined ? room.type !== "dm" : room.type === query.type) &&
    (room.type === "public" || candidate.member) &&
    (needle === undefined || room.name.toLowerCase().includes(needle));

  const found: RoomRecord[] = [];
  let batch: Candidate[] = [];
  const check = async () => {
    const rooms = await mapLimit(batch, 32, async (c) => {
      const row = await cql.one(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = ?`, [c.id]);
      return row ? toRoom(row) : null;
    });
    batch.forEach((candidate, i) => {
      const room = rooms[i] ?? null;
      if (qualifies(room, candidate)) found.push(room);
    });
    batch = [];
  };
  for await (const candidate of merged(sources)) {
    // A directory-only entry whose (denormalised) name cannot match is skipped unread.
    if (!candidate.member && needle !== undefined && !candidate.nameKey?.includes(needle)) continue;
    batch.push(candidate);
    if (batch.length >= Math.min(Math.max(query.limit - found.length, 16), 100)) {
      await check();
      if (found.length >= query.limit) break;
    }
  }
  if (batch.length > 0 && found.length < query.limit) await check();
  return found.slice(0, query.limit);
}

const after = (cursor: Cursor) => (cursor ? ` AND room_id ${cursor.op} ?` : "");

/** Public rooms in id order: months in order, each month's partition in id order. */
async function* directory(cql: Cql, cursor: Cursor): AsyncGenerator<Candidate> {
  const firstMonth = cursor ? monthOfV7(cursor.bound) : MIN_BUCKET;
  const months = cql.rows("SELECT month FROM public_room_months WHERE directory = ? AND month >= ?", [
    DIRECTORY,
    firstMonth,
  ]);
  for await (const { month } of months) {
    const rows = cql.rows(
      `SELECT room_id, name_key FROM public_rooms WHERE month = ?${after(cursor)}`,
      cursor ? [month, cursor.bound] : [month],
      PAGE,
    );
    for await (const row of rows) yield { id: row.room_id.toString(), nameKey: row.name_key ?? "", member: false };
  }
}

/** The user's rooms in id order (rows without a join time are leftovers of a race, not memberships). */
async function* memberRooms(cql: Cql, userId: string, cursor: Cursor): AsyncGenerator<Candidate> {
  const rows = cql.rows(
    `SELECT room_id, joined_at FROM rooms_by_member WHERE user_id = ?${after(cursor)}`,
    cursor ? [userId, cursor.bound] : [userId],
    PAGE,
  );
  for await (const row of rows) if (row.joined_at) yield { id: row.room_id.toString(), member: true };
}

/** Merges id-ordered sources into one id-ordered stream, one candidate per room. */
async function* merged(sources: AsyncGenerator<Candidate>[]): AsyncGenerator<Candidate> {
  const heads = await Promise.all(sources.map((source) => source.next()));
  try {
    for (;;) {
      let least: Candidate | undefined;
      for (const head of heads) if (!head.done && (!least || head.value.id < least.id)) least = head.value;
      if (!least) return;
      const id = least.id;
      const candidate: Candidate = { id, member: false };
      for (const [i, head] of heads.entries()) {
        if (head.done || head.value.id !== id) continue;
        candidate.member ||= head.value.member;
        candidate.nameKey ??= head.value.nameKey;
        heads[i] = await sources[i]!.next();
      }
      yield candidate;
    }
  } finally {
    await Promise.all(sources.map((source) => source.return(undefined)));
  }
}
