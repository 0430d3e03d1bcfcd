// The storage port for threads: a message stored with `threadRoot` (MessageRecord) is a reply in its
// root's thread. appendMessage counts a new reply in its root's summary and tombstoneMessage takes a
// deleted one out (both idempotent, also across processes), so a summary is the root's live replies.
import type { HistoryQuery, MessageRecord } from "./messages";

export type ThreadSummary = {
  /** Live (not deleted) replies; at least 1 in a summary the store returns. */
  replyCount: number;
  /** When the newest live reply was sent. */
  lastReplyAt: Date;
};

export interface ThreadStore {
  /** The summaries of those roots that have live replies, by root id; roots without any are absent. */
  threadSummaries(roomId: string, rootIds: string[]): Promise<Map<string, ThreadSummary>>;
  /**
   * A page of the root's live replies (tombstones are left out), in the order HistoryQuery names,
   * like listMessages: cursors are message ids that need not exist; pages never overlap or skip.
   */
  listThreadMessages(roomId: string, rootId: string, query: HistoryQuery): Promise<MessageRecord[]>;
}
