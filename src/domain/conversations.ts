// Direct messages and the unread overview: DM rooms per user pair, the conversation list, unread counts.
import type { MessageRecord, MessageStore } from "../ports/messages";
import type { Membership, RoomRecord, RoomStore } from "../ports/rooms";
import type { AccountStore } from "../ports/store";
import {
  type ActivityPosition,
  activityCursor,
  decodeActivityCursor,
  decodeMembershipCursor,
  membershipCursor,
} from "./cursors";
import { notFound, validationFailed } from "./errors";
import { messageIdFloor, messageSortKey, newRoomId } from "./ids";
import type { Messages } from "./messages";
import { type AttachmentView, type MessageView, messageView } from "./views";

export type ConversationDeps = {
  store: RoomStore & MessageStore & AccountStore;
  messages: Messages;
  now?: () => Date;
};

export type Conversation = {
  room: RoomRecord;
  other: { id: string; username: string } | null;
  lastMessage: MessageView | null;
  unread: number;
};

/** A DM and its place in the activity order. */
type Placed = { membership: Membership; last: MessageRecord | null; place: ActivityPosition };

/**
 * Where a DM sits in "latest activity first": its last message's sort key (time-ordered, no ties), or
 * for a DM without messages the sort key of the moment it was opened (when its members joined); ties
 * between those break on the room id.
 */
const placeOf = (membership: Membership, last: MessageRecord | null): ActivityPosition => ({
  key: messageSortKey(last ? last.id : messageIdFloor(membership.joinedAt.getTime())),
  id: membership.roomId.toLowerCase(),
});

/** Descending: greater (later) places first. */
const byPlaceDesc = (a: ActivityPosition, b: ActivityPosition) =>
  a.key < b.key ? 1 : a.key > b.key ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

export class Conversations {
  readonly #now: () => Date;

  constructor(private readonly deps: ConversationDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** The pair's DM room; the same room for the same pair every time, also when both open it at once. */
  async openDm(userId: string, otherId: string): Promise<{ room: RoomRecord; created: boolean }> {
    if (otherId === userId)
      throw validationFailed("cannot open a DM with yourself", [{ field: "user_id", message: "is the caller" }]);
    const [me, other] = await Promise.all([this.deps.store.getUserById(userId), this.deps.store.getUserById(otherId)]);
    if (!me) throw notFound("user");
    if (!other) throw notFound("user");
    const now = this.#now();
    const id = newRoomId();
    const room = {
      id,
      type: "dm" as const,
      name: [me.username, other.username].sort().join(", "),
      description: null,
      maxMembers: 2,
      ownerId: userId,
      createdAt: now,
    };
    return this.deps.store.getOrCreateDm(room, [
      { roomId: id, userId, username: me.username, role: "member", joinedAt: now },
      { roomId: id, userId: otherId, username: other.username, role: "member", joinedAt: now },
    ]);
  }

  /**
   * One page of the caller's DMs, most recent activity first, and the cursor of the next page (null
   * at the end). The cursor is a place in the activity order: the next page holds the DMs after it as
   * they stand then. A DM that gets a message while the list is paged moves to the front (the next
   * walk shows it first); none is listed twice in one walk. Placing the DMs reads each one's latest
   * message; the rest (room, other user, unread count) is read for the page only.
   */
  async listDms(userId: string, page: { limit: number; cursor?: string }) {
    const after = page.cursor === undefined ? undefined : decodeActivityCursor(page.cursor);
    const memberships = (await this.deps.store.listMemberships(userId)).filter((m) => m.roomType === "dm");
    const placed = await Promise.all(
      memberships.map(async (membership): Promise<Placed> => {
        const last = await this.deps.store.latestMessage(membership.roomId);
        return { membership, last, place: placeOf(membership, last) };
      }),
    );
    const ordered = placed
      .filter((p) => !after || byPlaceDesc(p.place, after) > 0)
      .sort((a, b) => byPlaceDesc(a.place, b.place));
    const shown = ordered.slice(0, page.limit);
    const attachments = await this.deps.messages.attachmentsOf(shown.flatMap((p) => (p.last ? [p.last] : [])));
    const conversations = await Promise.all(shown.map((p) => this.#conversation(userId, p, attachments)));
    const last = shown.at(-1);
    return {
      conversations: conversations.filter((c): c is Conversation => c !== null),
      nextCursor: ordered.length > page.limit && last ? activityCursor(last.place) : null,
    };
  }

  /** The DM as listed; null when its room went away meanwhile. */
  async #conversation(
    userId: string,
    { membership, last }: Placed,
    attachments: Map<string, AttachmentView[]>,
  ): Promise<Conversation | null> {
    const [room, members, unread] = await Promise.all([
      this.deps.store.getRoom(membership.roomId),
      this.deps.store.listMembers(membership.roomId, { limit: 2 }),
      this.deps.messages.unreadIn(userId, membership.roomId, membership.joinedAt),
    ]);
    if (!room) return null;
    const other = members.find((m) => m.userId !== userId);
    return {
      room,
      other: other ? { id: other.userId, username: other.username } : null,
      lastMessage: last ? messageView(last, [], attachments.get(last.id)) : null,
      unread: unread.count,
    };
  }

  /**
   * Unread counts of one page of the caller's rooms, in the order they joined them (equal times by
   * room id), and the cursor of the next page (null at the end). Rooms joined meanwhile come last.
   */
  async unread(userId: string, page: { limit: number; cursor?: string }) {
    const after = page.cursor === undefined ? undefined : decodeMembershipCursor(page.cursor);
    const memberships = (await this.deps.store.listMemberships(userId))
      .filter((m) => !after || byJoin(m, after) > 0)
      .sort(byJoin);
    const shown = memberships.slice(0, page.limit);
    const rooms = await Promise.all(
      shown.map(async (m) => {
        const { count, mentioned } = await this.deps.messages.unreadIn(userId, m.roomId, m.joinedAt);
        return { roomId: m.roomId, unread: count, mention: mentioned };
      }),
    );
    const last = shown.at(-1);
    return { rooms, nextCursor: memberships.length > page.limit && last ? membershipCursor(last) : null };
  }
}

/** Join order of a user's rooms: join time, then room id. */
const byJoin = (a: { joinedAt: Date; roomId: string }, b: { joinedAt: Date; roomId: string }) =>
  a.joinedAt.getTime() - b.joinedAt.getTime() || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0);
