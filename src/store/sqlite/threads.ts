// The SQLite side of ThreadStore: replies are messages with thread_root set, so summaries and thread
// pages are reads of the messages table (index messages_by_thread); nothing extra to keep in step.
import type { Database } from "bun:sqlite";
import type { HistoryQuery } from "../../ports/messages";
import type { ThreadStore, ThreadSummary } from "../../ports/threads";
import { historyPage } from "./messages";

type Run = <T>(work: (db: Database) => T) => T;

export class SqliteThreads implements ThreadStore {
  constructor(private readonly run: Run) {}

  async threadSummaries(roomId: string, rootIds: string[]) {
    const summaries = new Map<string, ThreadSummary>();
    if (rootIds.length === 0) return summaries;
    const rows = this.run((db) =>
      db
        .query<{ root: string; count: number; last: number }, [string, string]>(
          `SELECT thread_root AS root, COUNT(*) AS count, MAX(created_at) AS last FROM messages
           WHERE room_id = ? AND thread_root IN (SELECT value FROM json_each(?)) AND deleted = 0
           GROUP BY thread_root`,
        )
        .all(roomId, JSON.stringify(rootIds)),
    );
    for (const row of rows) summaries.set(row.root, { replyCount: row.count, lastReplyAt: new Date(row.last) });
    return summaries;
  }

  /** Same bounds and order as SqliteMessages.listMessages, within the thread's live replies. */
  async listThreadMessages(roomId: string, rootId: string, query: HistoryQuery) {
    const where = "room_id = $roomId AND thread_root = $rootId AND deleted = 0";
    return this.run((db) => historyPage(db, where, { roomId, rootId }, query));
  }
}
