// The storage port for mentions by user: which messages mention a user, across rooms, newest first.
// Rows are an index only: the message itself (its current `mentions`, tombstone) and the user's
// membership decide what a reader shows, so an edit that drops a name or a deleted room needs no
// removal here.

export type MentionRecord = { userId: string; roomId: string; messageId: string };

export interface MentionStore {
  /** Records that the message mentions each of the users. Idempotent. */
  addMentions(roomId: string, messageId: string, userIds: string[]): Promise<void>;
  /**
   * The user's mentions in message id order (compareMessageIds), newest first; `before`: only those
   * older than that message id (exclusive, need not exist); at most `limit`.
   */
  listMentions(userId: string, page: { before?: string; limit: number }): Promise<MentionRecord[]>;
}
