// The SQLite side of PinStore: room_pins, one row per pinned message (migration 0008).
import type { Database } from "bun:sqlite";
import { messageSortKey } from "../../domain/ids";
import type { PinRecord, PinStore } from "../../ports/pins";

type Run = <T>(work: (db: Database) => T) => T;

type PinRow = { room_id: string; message_id: string; pinned_by: string; pinned_at: number };

export class SqlitePins implements PinStore {
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
}
