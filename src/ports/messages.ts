// The storage port for messages, reactions and read state. Messages live by room in id order: ids are
// time-ordered UUIDv1 (Cassandra timeuuid), and `compareMessageIds` in domain/ids.ts is that order. New
// messages are stored through RoomLogStore.appendMessage, which mints ids in position order, so id
// order is also the order of the room's positions.

export type MessageRecord = {
  id: string;
  /** The room position of its creation (see room-log.ts); 0 for a message stored before positions existed. */
  seq: number;
  roomId: string;
  authorId: string;
  /** Denormalised at send time; usernames do not change. */
  authorUsername: string;
  /** Empty once deleted. */
  content: string;
  createdAt: Date;
  editedAt: Date | null;
  deleted: boolean;
  replyTo: string | null;
  /** The root message of the thread this is a reply in (ports/threads.ts); null: not a thread reply. */
  threadRoot: string | null;
  clientId: string | null;
  /** Ids of the users the content mentions. */
  mentions: string[];
  attachmentIds: string[];
  /**
   * Hints a store may set on history pages when it keeps them (SQLite): false when the message has
   * no reactions, or no live thread replies, so a view need not read them. Unset: unknown, read them.
   * True only means "read them": what is read decides what is shown.
   */
  hasReactions?: boolean;
  hasReplies?: boolean;
};

export type HistoryQuery = {
  /** Only messages older than this id, newest first. */
  before?: string;
  /** Only messages newer than this id, oldest first. */
  after?: string;
  /** Without a cursor: the newest messages, newest first. */
  limit: number;
};

export type ReactionRecord = { messageId: string; emoji: string; userId: string };

export type UnreadCount = {
  count: number;
  /** True when one of the counted messages mentions the user. */
  mentioned: boolean;
};

export interface MessageStore {
  getMessage(roomId: string, id: string): Promise<MessageRecord | null>;
  findMessageByClientId(roomId: string, authorId: string, clientId: string): Promise<MessageRecord | null>;
  /**
   * A page of history in the order the query names (see HistoryQuery). Cursors are ids and need not
   * exist. Tombstones are included. Pages never overlap or skip, also while messages are being added.
   */
  listMessages(roomId: string, query: HistoryQuery): Promise<MessageRecord[]>;
  /** Null when the message does not exist; a tombstone is returned unchanged (an edit never revives it). */
  updateMessage(
    roomId: string,
    id: string,
    patch: { content: string; editedAt: Date; mentions: string[] },
  ): Promise<MessageRecord | null>;
  /** Empties content, mentions and attachments and sets deleted; null when the message does not exist. Idempotent. */
  tombstoneMessage(roomId: string, id: string): Promise<MessageRecord | null>;
  /** The room's newest message (a tombstone counts), or null. */
  latestMessage(roomId: string): Promise<MessageRecord | null>;

  /** True when added; false when the user already had that reaction. */
  addReaction(roomId: string, reaction: ReactionRecord): Promise<boolean>;
  /** True when removed; false when there was none. */
  removeReaction(roomId: string, reaction: ReactionRecord): Promise<boolean>;
  /** Every reaction on those messages, in the order each was first added per message and emoji. */
  listReactions(roomId: string, messageIds: string[]): Promise<ReactionRecord[]>;

  /** Moves the user's read marker forward to `messageId`; never backwards. True when it moved. */
  setReadMarker(roomId: string, userId: string, messageId: string): Promise<boolean>;
  getReadMarker(roomId: string, userId: string): Promise<string | null>;
  /**
   * Messages in the room newer than `after` (a message id; null: since the room began) that are not
   * the user's own and not deleted: the oldest `cap` of them are counted, and `mentioned` looks at those.
   */
  countUnread(roomId: string, userId: string, after: string | null, cap: number): Promise<UnreadCount>;
}
