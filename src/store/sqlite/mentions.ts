// The SQLite side of MentionStore: the mentions table, by user in message order (migration 0008).
import type { Database } from "bun:sqlite";
import { messageSortKey } from "../../domain/ids";
import type { MentionRecord, MentionStore } from "../../ports/mentions";

type Run = <T>(work: (db: Database) => T) => T;

export class SqliteMentions implements MentionStore {
  constructor(private readonly run: Run) {}

  async addMentions(roomId: string, messageId: string, userIds: string[]) {
    if (userIds.length === 0) return;
    this.run((db) =>
      db
        .query(
          `INSERT INTO mentions (user_id, seq, room_id, message_id) SELECT value, ?, ?, ? FROM json_each(?)
           WHERE true ON CONFLICT (user_id, seq) DO NOTHING`,
        )
        .run(messageSortKey(messageId), roomId, messageId, JSON.stringify(userIds)),
    );
  }

  async listMentions(userId: string, page: { before?: string; limit: number }): Promise<MentionRecord[]> {
    const before = page.before === undefined ? null : messageSortKey(page.before);
    const rows = this.run((db) =>
      db
        .query<{ room_id: string; message_id: string }, [string, string | null, number]>(
          `SELECT room_id, message_id FROM mentions WHERE user_id = ?1 AND (?2 IS NULL OR seq < ?2)
           ORDER BY seq DESC LIMIT ?3`,
        )
        .all(userId, before, Math.max(0, page.limit)),
    );
    return rows.map((row) => ({ userId, roomId: row.room_id, messageId: row.message_id }));
  }
}
