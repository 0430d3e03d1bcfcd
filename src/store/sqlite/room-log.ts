// The SQLite side of RoomLogStore for events that are not new messages (appendMessage lives with the
// messages), reading the log by position, and the room's head.
import type { Database } from "bun:sqlite";
import { notFound } from "../../domain/errors";
import type { LogEntry, RoomLogStore } from "../../ports/room-log";
import { COLUMNS, type MessageRow, toMessage } from "./messages";

type Run = <T>(work: (db: Database) => T) => T;

type LogRow = { position: number; type: string; payload: string | null } & ({ id: null } | MessageRow);

export class SqliteRoomLog implements Omit<RoomLogStore, "appendMessage"> {
  readonly #run: Run;
  readonly #append: { immediate(roomId: string, type: string, payload: string): number };

  constructor(db: Database, run: Run) {
    this.#run = run;
    this.#append = db.transaction((roomId: string, type: string, payload: string) => {
      const row = db
        .query<{ head: number }, [string]>("UPDATE rooms SET head = head + 1 WHERE id = ? RETURNING head")
        .get(roomId);
      if (!row) throw notFound("room");
      db.query("INSERT INTO room_log (room_id, position, type, payload) VALUES (?, ?, ?, ?)").run(
        roomId,
        row.head,
        type,
        payload,
      );
      return row.head;
    });
  }

  /** In one IMMEDIATE transaction with the head's move, so positions stay dense across processes. */
  async appendEvent(roomId: string, type: string, payload: string) {
    return this.#run(() => this.#append.immediate(roomId, type, payload));
  }

  async readLog(roomId: string, after: number, limit: number): Promise<LogEntry[]> {
    const columns = COLUMNS.split(", ")
      .map((column) => `m.${column}`)
      .join(", ");
    const rows = this.#run((db) =>
      db
        .query<LogRow, [string, number, number]>(
          `SELECT l.position AS log_position, l.type, l.payload, ${columns}
           FROM room_log l LEFT JOIN messages m ON m.id = l.message_id
           WHERE l.room_id = ? AND l.position > ? ORDER BY l.position LIMIT ?`,
        )
        .all(roomId, after, Math.max(0, limit)),
    );
    return rows.map((row) => {
      const { log_position, type, payload } = row as unknown as {
        log_position: number;
        type: string;
        payload: string | null;
      };
      return { position: log_position, type, payload, message: row.id === null ? null : toMessage(row as MessageRow) };
    });
  }

  /** Rooms in id order; the cursor is the last id listed. */
  async scanRooms(cursor: string | null, limit: number) {
    const rows = this.#run((db) =>
      db
        .query<{ id: string; head: number }, [string, number]>(
          "SELECT id, head FROM rooms WHERE id > ? ORDER BY id LIMIT ?",
        )
        .all(cursor ?? "", Math.max(1, limit)),
    );
    const rooms = rows.map((row) => ({ roomId: row.id, head: row.head }));
    return { rooms, next: rows.length < limit ? null : (rooms.at(-1)?.roomId ?? null) };
  }

  async headPosition(roomId: string) {
    const row = this.#run((db) =>
      db.query<{ head: number }, [string]>("SELECT head FROM rooms WHERE id = ?").get(roomId),
    );
    return row?.head ?? 0;
  }
}
