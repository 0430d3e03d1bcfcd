// Builders for the storage contract: fresh ids on every call, times exact to the millisecond.
import { MessageIdGenerator, messageIdTime, newRoomId } from "../../src/domain/ids";
import type { MessageRecord } from "../../src/ports/messages";
import type { MemberRecord, NewRoom, RoomRecord } from "../../src/ports/rooms";
import type { Store } from "../../src/ports/store";

/** A fixed instant tests count from, so that order is explicit: 2026-01-01T00:00:00.000Z. */
export const T0 = Date.UTC(2026, 0, 1);
export const at = (offsetMs: number) => new Date(T0 + offsetMs);

export const newUserId = () => crypto.randomUUID();

/** A word no other test uses, to find this test's rooms by name. */
export const uniqueTag = () => `t${crypto.randomUUID().replaceAll("-", "")}`;

export function roomFixture(over: Partial<NewRoom> = {}): NewRoom {
  const id = newRoomId();
  return {
    id,
    type: "public",
    name: `room ${id}`,
    description: null,
    maxMembers: null,
    ownerId: newUserId(),
    createdAt: at(123),
    ...over,
  };
}

export function memberFixture(roomId: string, userId: string, over: Partial<MemberRecord> = {}): MemberRecord {
  return { roomId, userId, username: `user_${userId.slice(0, 8)}`, role: "member", joinedAt: at(1_001), ...over };
}

/** Creates a room with its owner as first member. */
export async function seedRoom(store: Store, over: Partial<NewRoom> = {}) {
  const room = roomFixture(over);
  const owner = memberFixture(room.id, room.ownerId, { role: "owner", joinedAt: room.createdAt });
  const created: RoomRecord = await store.createRoom(room, owner);
  return { room: created, owner };
}

/** A message to append under `id` (seq is what the store assigns; 0 until then). */
export function messageFixture(roomId: string, id: string, over: Partial<MessageRecord> = {}): MessageRecord {
  return {
    id,
    seq: 0,
    roomId,
    authorId: newUserId(),
    authorUsername: "author",
    content: `message ${id}`,
    createdAt: messageIdTime(id),
    editedAt: null,
    deleted: false,
    replyTo: null,
    threadRoot: null,
    clientId: null,
    mentions: [],
    attachmentIds: [],
    ...over,
  };
}

/**
 * Appends a fixture message under its own id: the store's mint returns it. A test's ids must rise in
 * the order it appends them (the store refuses an id that does not sort after the room's last one).
 */
export function appendAs(store: Store, message: MessageRecord) {
  const { id, seq: _assigned, ...draft } = message;
  return store.appendMessage(draft, () => id);
}

/** What the store returns for a fixture it stored at `seq`. */
export const storedAt = (message: MessageRecord, seq: number): MessageRecord => ({ ...message, seq });

/** A room holding `count` messages one minute apart (see idsOverTime), at positions 1..count. */
export async function roomWithHistory(store: Store, count: number) {
  const { room } = await seedRoom(store);
  const history = idsOverTime(count);
  for (const id of history) await appendAs(store, messageFixture(room.id, id));
  return { room, history };
}

/**
 * `count` message ids one minute apart from T0 + `startMs`, alternating between two generators (two
 * processes). Ten minutes and more span a wrap of the UUIDv1 low time field, so their string order is
 * not their time order: a store that sorts ids as plain strings gets them wrong.
 */
export function idsOverTime(
  count: number,
  startMs = 0,
  generators = [new MessageIdGenerator(), new MessageIdGenerator()],
) {
  return Array.from({ length: count }, (_, i) => generators[i % generators.length]!.next(T0 + startMs + i * 60_000));
}

/** Fisher–Yates: where insertion order must not matter to a store. */
export function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
