// The JSON shapes of rooms, members and messages: what REST answers and what events carry, built once.
import type { MessageRecord, ReactionRecord } from "../ports/messages";
import type { AuditRecord, BanRecord, MemberRecord, RoomRecord } from "../ports/rooms";
import type { ThreadSummary } from "../ports/threads";

export type ReactionView = { emoji: string; count: number; me: boolean };

/** An attachment as a message lists it. */
export type AttachmentView = { id: string; filename: string; content_type: string; size: number };

/** A thread root's replies: null for a message without live replies. */
export type ThreadView = { reply_count: number; last_reply_at: string };

export type MessageView = {
  id: string;
  /** The room position of the message's creation. */
  seq: number;
  room_id: string;
  author_id: string;
  author_username: string;
  content: string;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  reply_to: string | null;
  /** The thread root this message replies in; null: not a thread reply. */
  thread_root: string | null;
  /** A thread root's summary; null when it has no live replies (and for replies). */
  thread: ThreadView | null;
  /** The users the message mentions (resolved at send and edit time). */
  mentions: string[];
  attachments: AttachmentView[];
  reactions: ReactionView[];
  client_id: string | null;
};

export type RoomView = ReturnType<typeof roomView>;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const roomView = (room: RoomRecord) => ({
  id: room.id,
  type: room.type,
  name: room.name,
  description: room.description,
  max_members: room.maxMembers,
  owner_id: room.ownerId,
  member_count: room.memberCount,
  created_at: room.createdAt.toISOString(),
});

export const memberView = (member: MemberRecord) => ({
  user_id: member.userId,
  username: member.username,
  role: member.role,
  joined_at: member.joinedAt.toISOString(),
});

export const banView = (ban: BanRecord) => ({
  user_id: ban.userId,
  banned_by: ban.bannedBy,
  reason: ban.reason,
  expires_at: iso(ban.expiresAt),
  created_at: ban.createdAt.toISOString(),
});

export const auditView = (entry: AuditRecord) => ({
  id: entry.id,
  action: entry.action,
  actor_id: entry.actorId,
  target_user_id: entry.targetUserId,
  message_id: entry.messageId,
  details: entry.details,
  created_at: entry.createdAt.toISOString(),
});

/**
 * Groups reactions per emoji, in first-added order. `viewerId` sets `me`; events go to many viewers
 * and carry `me: false` (a client knows its own reactions from the reaction events it caused).
 */
export function reactionViews(reactions: ReactionRecord[], viewerId: string | null): ReactionView[] {
  if (reactions.length === 0) return [];
  const byEmoji = new Map<string, ReactionView>();
  for (const reaction of reactions) {
    const view = byEmoji.get(reaction.emoji) ?? { emoji: reaction.emoji, count: 0, me: false };
    view.count++;
    if (reaction.userId === viewerId) view.me = true;
    byEmoji.set(reaction.emoji, view);
  }
  return [...byEmoji.values()];
}

/**
 * A message as clients see it. `attachments` are those the message carries that are still shown
 * (Attachments.ofMessages); a tombstone shows no reactions and no attachments.
 */
export const threadView = (summary: ThreadSummary | undefined): ThreadView | null =>
  summary ? { reply_count: summary.replyCount, last_reply_at: summary.lastReplyAt.toISOString() } : null;

export const messageView = (
  message: MessageRecord,
  reactions: ReactionView[] = [],
  attachments: AttachmentView[] = [],
  thread: ThreadSummary | undefined = undefined,
): MessageView => ({
  id: message.id,
  seq: message.seq,
  room_id: message.roomId,
  author_id: message.authorId,
  author_username: message.authorUsername,
  content: message.content,
  created_at: message.createdAt.toISOString(),
  edited_at: iso(message.editedAt),
  deleted: message.deleted,
  reply_to: message.replyTo,
  thread_root: message.threadRoot,
  thread: threadView(thread),
  mentions: message.mentions,
  attachments: message.deleted ? [] : attachments,
  reactions: message.deleted ? [] : reactions,
  client_id: message.clientId,
});
