// Direct messages and the unread overview: DM rooms per user pair, the conversation list, unread counts.
import type { MessageStore } from "../ports/messages";
import type { RoomRecord, RoomStore } from "../ports/rooms";
import type { AccountStore } from "../ports/store";
import { notFound, validationFailed } from "./errors";
import { compareMessageIds, newRoomId } from "./ids";
import type { Messages } from "./messages";
import { type MessageView, messageView } from "./views";

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

/** Newest activity first: by last message id (time-ordered, no ties), else by when the DM was opened. */
function byLatestActivity(a: Conversation, b: Conversation): number {
  if (a.lastMessage && b.lastMessage) return compareMessageIds(b.lastMessage.id, a.lastMessage.id);
  const time = (c: Conversation) => (c.lastMessage ? Date.parse(c.lastMessage.created_at) : c.room.createdAt.getTime());
  return time(b) - time(a);
}

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

  /** The caller's DMs, most recent activity first. */
  async listDms(userId: string): Promise<Conversation[]> {
    const memberships = (await this.deps.store.listMemberships(userId)).filter((m) => m.roomType === "dm");
    const conversations = await Promise.all(
      memberships.map(async (membership): Promise<Conversation | null> => {
        const [room, members, last, unread] = await Promise.all([
          this.deps.store.getRoom(membership.roomId),
          this.deps.store.listMembers(membership.roomId),
          this.deps.store.latestMessage(membership.roomId),
          this.deps.messages.unreadIn(userId, membership.roomId, membership.joinedAt),
        ]);
        if (!room) return null;
        const other = members.find((m) => m.userId !== userId);
        return {
          room,
          other: other ? { id: other.userId, username: other.username } : null,
          lastMessage: last ? messageView(last) : null,
          unread: unread.count,
        };
      }),
    );
    return conversations.filter((c): c is Conversation => c !== null).sort(byLatestActivity);
  }

  /** Unread counts of every room the caller belongs to. */
  async unread(userId: string) {
    const memberships = await this.deps.store.listMemberships(userId);
    return Promise.all(
      memberships.map(async (m) => {
        const { count, mentioned } = await this.deps.messages.unreadIn(userId, m.roomId, m.joinedAt);
        return { roomId: m.roomId, unread: count, mention: mentioned };
      }),
    );
  }
}
