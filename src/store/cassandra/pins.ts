// The Cassandra side of pins: room_pins, one small partition per room, changed by LWT.
import { isUuid } from "../../domain/ids";
import type { PinRecord, PinStore } from "../../ports/pins";
import type { Cql } from "./client";
import { sortKey } from "./keys";

export class CassandraPins implements PinStore {
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

  async purge(roomId: string): Promise<void> {
    await this.cql.write("DELETE FROM room_pins WHERE room_id = ?", [roomId]);
  }
}
