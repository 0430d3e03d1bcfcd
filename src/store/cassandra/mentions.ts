// The Cassandra side of mentions by user: mentions_by_user, one partition per user, newest first;
// plain upserts, so a repeat changes nothing.
import { isUuid } from "../../domain/ids";
import type { MentionRecord, MentionStore } from "../../ports/mentions";
import type { Cql } from "./client";
import { sortKey } from "./keys";
import { mapLimit } from "./parallel";

export class CassandraMentions implements MentionStore {
  constructor(private readonly cql: Cql) {}

  async addMentions(roomId: string, messageId: string, userIds: string[]): Promise<void> {
    const key = sortKey(messageId);
    await mapLimit(userIds, 16, (userId) =>
      this.cql.write("INSERT INTO mentions_by_user (user_id, seq, room_id, message_id) VALUES (?, ?, ?, ?)", [
        userId,
        key,
        roomId,
        messageId,
      ]),
    );
  }

  async listMentions(userId: string, page: { before?: string; limit: number }): Promise<MentionRecord[]> {
    if (!isUuid(userId) || page.limit <= 0) return [];
    const rows = await this.cql.read(
      `SELECT room_id, message_id FROM mentions_by_user WHERE user_id = ?${page.before ? " AND seq < ?" : ""} LIMIT ?`,
      page.before ? [userId, sortKey(page.before), page.limit] : [userId, page.limit],
    );
    return rows.rows.map((row) => ({ userId, roomId: row.room_id.toString(), messageId: row.message_id.toString() }));
  }
}
