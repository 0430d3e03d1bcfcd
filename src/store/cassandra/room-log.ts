// The Cassandra side of room positions: appends as one lightweight transaction on the static `head`
// of the block the position falls in (migrations/cassandra/0005_room_positions.cql), reads by
// position, and finds a room's head. Each process caches the heads it learnt; a stale cache only
// costs a failed compare-and-set, never a wrong position.
import { types } from "cassandra-driver";
import type { LogEntry } from "../../ports/room-log";
import type { Cql, Row } from "./client";
import { contended } from "./errors";
import { collect, mapLimit } from "./parallel";

/** Positions per partition, unless the keyspace was set up with another size. */
export const DEFAULT_LOG_BLOCK = 4096;
/** Compare-and-set attempts before an append gives up (503). */
const MAX_ATTEMPTS = 64;
/** Heads remembered per process. */
const CACHE_LIMIT = 50_000;

export type Head = { position: number; lastMessageId: string | null };

/** What an append stores at the position it gets; `build` runs once per attempt. */
export type LogWrite = { type: string; messageId: string | null; payload: string; lastMessageId: string | null };

const long = (value: unknown) => (value === null || value === undefined ? null : Number(value));

export class CassandraRoomLog {
  readonly #heads = new Map<string, Head>();

  constructor(
    private readonly cql: Cql,
    private readonly blockSize: number,
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 2) throw new Error("room-log blocks hold at least 2 positions");
  }

  #blockOf(position: number) {
    return Math.floor(position / this.blockSize);
  }

  /**
   * Appends at the room's next position and returns it with the head it wrote. `build` gets the head
   * the attempt builds on (a message mints its id after `lastMessageId`). An attempt whose outcome is
   * unknown (a timeout) is read back at LOCAL_SERIAL before anything is retried.
   */
  async append(roomId: string, build: (head: Head) => LogWrite): Promise<{ position: number; write: LogWrite }> {
    let head = this.#heads.get(roomId) ?? (await this.findHead(roomId));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const position = head.position + 1;
      const block = this.#blockOf(position);
      const write = build(head);
      const entryId = crypto.randomUUID();
      const opens = position % this.blockSize === 0 || head.position === 0;
      if (opens) await this.cql.write("INSERT INTO room_log_blocks (room_id, block) VALUES (?, ?)", [roomId, block]);
      const params = [position, write.lastMessageId, entryId, write.type, write.messageId, write.payload];
      let applied: boolean;
      try {
        ({ applied } = await this.cql.lwt(
          `UPDATE room_log SET head = ?, last_message_id = ?, entry_id = ?, type = ?, message_id = ?, payload = ?
           WHERE room_id = ? AND block = ? AND position = ? IF head = ${opens ? "null" : "?"}`,
          [...params, roomId, block, position, ...(opens ? [] : [head.position])],
          "room",
        ));
      } catch (error) {
        applied = await this.#landed(roomId, block, position, entryId, error);
      }
      if (applied) {
        this.#remember(roomId, { position, lastMessageId: write.lastMessageId });
        return { position, write };
      }
      head = await this.findHead(roomId, block);
    }
    throw contended("room position");
  }

  /** After a failed attempt: whether it was applied after all (its entry is at the position). */
  async #landed(roomId: string, block: number, position: number, entryId: string, error: unknown) {
    const row = await this.cql
      .one(
        "SELECT entry_id FROM room_log WHERE room_id = ? AND block = ? AND position = ?",
        [roomId, block, position],
        {
          consistency: types.consistencies.localSerial,
        },
      )
      .catch(() => {
        throw error;
      });
    return row?.entry_id?.toString() === entryId;
  }

  #remember(roomId: string, head: Head) {
    if (this.#heads.size >= CACHE_LIMIT) this.#heads.clear();
    this.#heads.set(roomId, head);
  }

  /**
   * The room's head, read from the newest listed block (or from `from` onwards, when a caller knows
   * the head is there or later). 0 for a room with no log.
   */
  async findHead(roomId: string, from?: number): Promise<Head> {
    let block = from ?? (await this.#newestBlock(roomId));
    if (block === null) return { position: 0, lastMessageId: null };
    for (;;) {
      const row = await this.cql.one(
        "SELECT head, last_message_id FROM room_log WHERE room_id = ? AND block = ? LIMIT 1",
        [roomId, block],
      );
      const position = long(row?.head);
      if (position === null) {
        // A block listed but never written (its first append lost or died): the head is before it.
        if (block === 0) return { position: 0, lastMessageId: null };
        block--;
        continue;
      }
      const head = { position, lastMessageId: row?.last_message_id?.toString() ?? null };
      // A full block: the head may be in the next one.
      if (position === (block + 1) * this.blockSize - 1) {
        const next = await this.cql.one("SELECT head FROM room_log WHERE room_id = ? AND block = ? LIMIT 1", [
          roomId,
          block + 1,
        ]);
        if (long(next?.head) !== null) {
          block++;
          continue;
        }
      }
      this.#remember(roomId, head);
      return head;
    }
  }

  async #newestBlock(roomId: string): Promise<number | null> {
    const row = await this.cql.one("SELECT block FROM room_log_blocks WHERE room_id = ? LIMIT 1", [roomId]);
    return long(row?.block);
  }

  /** Entries after `after`, oldest first: block by block, each read bounded by what is still missing. */
  async read(roomId: string, after: number, limit: number): Promise<Row[]> {
    const rows: Row[] = [];
    let position = after;
    while (rows.length < limit) {
      const wanted = limit - rows.length;
      const result = await this.cql.read(
        "SELECT position, type, message_id, payload FROM room_log WHERE room_id = ? AND block = ? AND position > ? LIMIT ?",
        [roomId, this.#blockOf(position + 1), position, wanted],
      );
      rows.push(...result.rows);
      const last = result.rows.at(-1);
      if (!last) break;
      position = Number(last.position);
      // Fewer than asked and the block did not end: that was the head.
      if (result.rows.length < wanted && (position + 1) % this.blockSize !== 0) break;
    }
    return rows;
  }

  /** Deletes every block of the room's log and the block list. */
  async purge(roomId: string): Promise<void> {
    const blocks = await collect(this.cql.rows("SELECT block FROM room_log_blocks WHERE room_id = ?", [roomId]));
    await mapLimit(blocks, 16, (row) =>
      this.cql.write("DELETE FROM room_log WHERE room_id = ? AND block = ?", [roomId, row.block]),
    );
    await this.cql.write("DELETE FROM room_log_blocks WHERE room_id = ?", [roomId]);
    this.#heads.delete(roomId);
  }
}

/** A log row as the port's entry; message.created entries get their message from the caller. */
export const toEntry = (row: Row): Omit<LogEntry, "message"> & { messageId: string | null } => ({
  position: Number(row.position),
  type: row.type,
  payload: row.type === "message.created" ? null : (row.payload ?? null),
  messageId: row.message_id?.toString() ?? null,
});
