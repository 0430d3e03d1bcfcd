// The SQLite side of PinStore and MentionStore: small tables beside the messages (migration 0008).
import type { Database } from "bun:sqlite";
import { messageSortKey } from "../../domain/ids";
import type { MentionRecord, MentionStore } from "../../ports/mentions";
import type { PinRecord, PinStore } from "../../ports/pins";

type Run = <T>(work: (db: Database) => T) => T;

type PinRow = { room_id: string; message_id: string; pinned_by: string; pinned_at: number };

export class SqlitePins implements PinStore, MentionStore {
  constructor(private readonly run: Run) {}

  async addPin(pin: PinRecord) {
    const { changes } = this.run((db) =>
      db
        .query(
          `INSERT INTO room_pins (room_id, message_id, seq, pinned_by, pinned_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (room_id, message_id) DO NOTHING`,
        )
        .run(pin.roomId, pin.messageId, messageSortKey(pin.messageId), pin.pinnedBy, pin.pinnedAt.getTime()),
    );
    return changes === 1;
  }

  async removePin(roomId: string, messageId: string) {
    const { changes } = this.run((db) =>
      db.query("DELETE FROM room_pins WHERE room_id = ? AND message_id = ?").run(roomId, messageId),
    );
    return changes === 1;
  }

  async listPins(roomId: string): Promise<PinRecord[]> {
    const rows = this.run((db) =>
      db
        .query<PinRow, [string]>(
          "SELECT room_id, message_id, pinned_by, pinned_at FROM room_pins WHERE room_id = ? ORDER BY pinned_at DESC, seq DESC",
        )
        .all(roomId),
    );
    return rows.map((row) => ({
      roomId: row.room_id,
      messageId: row.message_id,
      pinnedBy: row.pinned_by,
      pinnedAt: new Date(row.pinned_at),
    }));
  }

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
