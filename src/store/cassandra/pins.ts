// The Cassandra side of pins (room_pins, one small partition per room, changed by LWT) and mentions
// by user (mentions_by_user, newest first; plain upserts, so a repeat changes nothing).
import { isUuid } from "../../domain/ids";
import type { MentionRecord } from "../../ports/mentions";
import type { PinRecord } from "../../ports/pins";
import type { Cql } from "./client";
import { sortKey } from "./keys";
import { mapLimit } from "./parallel";

export class CassandraPins {
  constructor(private readonly cql: Cql) {}

  async addPin(pin: PinRecord): Promise<boolean> {
    const { applied } = await this.cql.lwt(
      "INSERT INTO room_pins (room_id, message_id, pinned_by, pinned_at) VALUES (?, ?, ?, ?) IF NOT EXISTS",
      [pin.roomId, pin.messageId, pin.pinnedBy, pin.pinnedAt],
      "room",
    );
    return applied;
  }

  async removePin(roomId: string, messageId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(messageId)) return false;
    const { applied } = await this.cql.lwt(
      "DELETE FROM room_pins WHERE room_id = ? AND message_id = ? IF EXISTS",
      [roomId, messageId],
      "room",
    );
    return applied;
  }

  /** The whole (bounded) partition, ordered here: newest pin first, then greater message id. */
  async listPins(roomId: string): Promise<PinRecord[]> {
    if (!isUuid(roomId)) return [];
    const rows = await this.cql.read(
      "SELECT room_id, message_id, pinned_by, pinned_at FROM room_pins WHERE room_id = ?",
      [roomId],
    );
    return rows.rows
      .map((row) => ({
        roomId: row.room_id.toString(),
        messageId: row.message_id.toString(),
        pinnedBy: row.pinned_by.toString(),
        pinnedAt: row.pinned_at as Date,
        key: sortKey(row.message_id.toString()),
      }))
      .sort((a, b) => b.pinnedAt.getTime() - a.pinnedAt.getTime() || Buffer.compare(b.key, a.key))
      .map(({ key: _key, ...pin }) => pin);
  }

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

  async purge(roomId: string): Promise<void> {
    await this.cql.write("DELETE FROM room_pins WHERE room_id = ?", [roomId]);
  }
}
