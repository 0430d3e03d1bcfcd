// The Cassandra side of room positions: appends as one lightweight transaction on the static `head`
// of the block the position falls in (migrations/cassandra/0005_room_positions.cql), reads by
// position, and finds a room's head. Each process caches the heads it learnt; a stale cache only
// costs a failed compare-and-set, never a wrong position. Appends of one room that queue up in this
// process while one is in flight take their positions together: one compare-and-set for the group.
import { types } from "cassandra-driver";
import type { LogEntry } from "../../ports/room-log";
import type { Cql, Row } from "./client";
import { contended } from "./errors";
import { collect, mapLimit } from "./parallel";

/** Positions per partition, unless the keyspace was set up with another size. */
export const DEFAULT_LOG_BLOCK = 4096;
/** Compare-and-set attempts before an append gives up (503). */
const MAX_ATTEMPTS = 64;
/** Appends per compare-and-set at most. */
export const MAX_GROUP = 32;
/** Payload characters per compare-and-set at most (beyond its first entry), well below batch limits. */
export const GROUP_PAYLOAD_CHARS = 16_000;
/** Heads remembered per process. */
const CACHE_LIMIT = 50_000;

export type Head = { position: number; lastMessageId: string | null };

/** What an append stores at the position it gets; `build` runs once per attempt. */
export type LogWrite = { type: string; messageId: string | null; payload: string; lastMessageId: string | null };

const long = (value: unknown) => (value === null || value === undefined ? null : Number(value));

type Appended = { position: number; write: LogWrite };
export type Pending = {
  /** null while the slot is reserved and its append not ready (see reserve). */
  build: ((head: Head) => LogWrite) | null;
  resolve: (done: Appended) => void;
  reject: (error: unknown) => void;
};
type Queue = { entries: Pending[]; wake: (() => void) | null };
/** A place in the room's queue of appends, taken before the append is ready (see reserve). */
export type LogTicket = { append(build: (head: Head) => LogWrite): Promise<Appended>; cancel(): void };
type Built = Appended & { pending: Pending };

/**
 * The front of the queue built on `head`, in queue order, each entry on the head the one before it
 * leaves: at most `limit` entries and GROUP_PAYLOAD_CHARS of payload (but always one, if any builds).
 * An entry whose `build` throws is rejected and left out (and out of the queue); a reserved entry
 * not ready yet ends the group.
 */
export function groupOf(queue: Pending[], head: Head, limit: number): Built[] {
  const group: Built[] = [];
  let chars = 0;
  let at = head;
  for (const pending of [...queue]) {
    if (group.length >= limit || pending.build === null) break;
    let write: LogWrite;
    try {
      write = pending.build(at);
    } catch (error) {
      queue.splice(queue.indexOf(pending), 1);
      pending.reject(error);
      continue;
    }
    chars += write.payload.length;
    if (group.length > 0 && chars > GROUP_PAYLOAD_CHARS) break;
    const position = at.position + 1;
    group.push({ position, write, pending });
    at = { position, lastMessageId: write.lastMessageId };
  }
  return group;
}

export class CassandraRoomLog {
  readonly #heads = new Map<string, Head>();
  /** Appends waiting per room; a room has a queue while a group of its appends is being committed. */
  readonly #queues = new Map<string, Queue>();

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
   * the attempt builds on (a message mints its id after `lastMessageId`); a `build` that throws fails
   * only its own append. Group commit: while a room's append is in flight, this process queues the
   * room's next appends and then takes their positions together, in call order, in ONE compare-and-set
   * (see #commit), so a busy room costs one Paxos round per group instead of one per event.
   */
  append(roomId: string, build: (head: Head) => LogWrite): Promise<Appended> {
    return this.reserve(roomId).append(build);
  }

  /**
   * Takes the room's next place in this process's queue of appends now, for an append that is ready
   * later (after a claim): appends of one room get positions in the order their places were taken.
   * The holder must call `append` or `cancel` (a no-op once appended); until then the appends behind
   * it wait.
   */
  reserve(roomId: string): LogTicket {
    let resolve!: (done: Appended) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<Appended>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Rejected with its queue while never appended (cancelled): nobody awaits it then.
    done.catch(() => {});
    const pending: Pending = { build: null, resolve, reject };
    let queue = this.#queues.get(roomId);
    if (queue) queue.entries.push(pending);
    else {
      queue = { entries: [pending], wake: null };
      this.#queues.set(roomId, queue);
      void this.#drain(roomId, queue);
    }
    const wake = () => {
      const waiting = queue.wake;
      queue.wake = null;
      waiting?.();
    };
    let cancelled = false;
    return {
      // After a cancel the place is gone: the append queues at the end instead.
      append: (build) => {
        if (cancelled) return this.append(roomId, build);
        pending.build = build;
        wake();
        return done;
      },
      cancel: () => {
        if (pending.build !== null) return;
        cancelled = true;
        const at = queue.entries.indexOf(pending);
        if (at >= 0) queue.entries.splice(at, 1);
        wake();
      },
    };
  }

  /** Commits the room's queue group by group until it is empty; never rejects. */
  async #drain(roomId: string, queue: Queue) {
    // One turn of the event loop, so appends started together go in one group.
    await new Promise((resolve) => setImmediate(resolve));
    const { entries } = queue;
    while (entries.length > 0) {
      if (entries[0]!.build === null) {
        await new Promise<void>((resolve) => {
          queue.wake = resolve;
        });
        continue;
      }
      try {
        await this.#commit(roomId, entries);
      } catch (error) {
        // Unknown head now: the next group reads it again.
        this.#heads.delete(roomId);
        for (const pending of entries.splice(0, entries.length)) pending.reject(error);
      }
    }
    this.#queues.delete(roomId);
  }

  /**
   * Takes positions for the front of the queue (at least one append, at most MAX_GROUP, within one
   * log block and GROUP_PAYLOAD_CHARS) by one compare-and-set on the block's head: `head = p - 1` →
   * `head = p + k - 1`, with the k rows, as one conditional batch on the block's partition. Resolves
   * those appends and removes them from the queue. An attempt whose outcome is unknown (a timeout) is
   * read back at LOCAL_SERIAL before anything is retried.
   */
  async #commit(roomId: string, queue: Pending[]) {
    let head = this.#heads.get(roomId) ?? (await this.findHead(roomId));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const first = head.position + 1;
      const block = this.#blockOf(first);
      const room = (block + 1) * this.blockSize - first;
      const group = groupOf(queue, head, Math.min(room, MAX_GROUP));
      if (group.length === 0) return;
      const last = group.at(-1)!;
      const opens = first % this.blockSize === 0 || head.position === 0;
      if (opens) await this.cql.write("INSERT INTO room_log_blocks (room_id, block) VALUES (?, ?)", [roomId, block]);
      const entryId = crypto.randomUUID();
      let applied: boolean;
      try {
        applied = await this.#cas(roomId, block, head.position, opens, group, entryId);
      } catch (error) {
        applied = await this.#landed(roomId, block, first, entryId, error);
      }
      if (applied) {
        this.#remember(roomId, { position: last.position, lastMessageId: last.write.lastMessageId });
        for (const entry of group) {
          queue.splice(queue.indexOf(entry.pending), 1);
          entry.pending.resolve({ position: entry.position, write: entry.write });
        }
        return;
      }
      head = await this.findHead(roomId, block);
    }
    throw contended("room position");
  }

  /** The compare-and-set of a group: its first entry carries `entryId`, its last sets the head. */
  async #cas(roomId: string, block: number, after: number, opens: boolean, group: Built[], entryId: string) {
    const condition = opens ? "null" : "?";
    const expected = opens ? [] : [after];
    const last = group.at(-1)!;
    const headRow = {
      query: `UPDATE room_log SET head = ?, last_message_id = ?, entry_id = ?, type = ?, message_id = ?, payload = ?
              WHERE room_id = ? AND block = ? AND position = ? IF head = ${condition}`,
      params: [
        last.position,
        last.write.lastMessageId,
        group.length === 1 ? entryId : crypto.randomUUID(),
        last.write.type,
        last.write.messageId,
        last.write.payload,
        roomId,
        block,
        last.position,
        ...expected,
      ],
    };
    if (group.length === 1) return (await this.cql.lwt(headRow.query, headRow.params, "room")).applied;
    const rows = group.slice(0, -1).map((entry, i) => ({
      query: `UPDATE room_log SET entry_id = ?, type = ?, message_id = ?, payload = ?
              WHERE room_id = ? AND block = ? AND position = ?`,
      params: [
        i === 0 ? entryId : crypto.randomUUID(),
        entry.write.type,
        entry.write.messageId,
        entry.write.payload,
        roomId,
        block,
        entry.position,
      ],
    }));
    return (await this.cql.lwtBatch([...rows, headRow], "room")).applied;
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
