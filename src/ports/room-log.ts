// The storage port for room positions: every durable room event (a message created, edited or deleted,
// a reaction, a member or room change) has a position in its room — `seq` on the wire. Positions
// start at 1 and increase by exactly one per event; each is assigned once, atomically with storing its
// event, whichever process appends. The log is dense: when position p exists, every position below it
// exists too, so a reader that sees p can always read what came before it (docs/positions.md).
import type { MessageRecord } from "./messages";

/** A message about to be appended: everything but what the log assigns (id and position). */
export type MessageDraft = Omit<MessageRecord, "id" | "seq">;

/**
 * Makes a message id that sorts after `after` (the room's last message id; null when it has none),
 * so message id order is position order. May be called more than once per append (contention).
 */
export type MintMessageId = (after: string | null) => string;

export type LogEntry = {
  position: number;
  type: string;
  /** For `message.created`: the message as it is now (edits, tombstone), else null. */
  message: MessageRecord | null;
  /** For every other type: the event as the domain encoded it (JSON without its position). */
  payload: string | null;
};

export interface RoomLogStore {
  /**
   * Stores a new message at the room's next position (`message.seq`), its id minted by `mintId` so
   * ids sort in position order. With a clientId, at most one message exists per (room, author,
   * clientId), also under concurrent calls from several processes: a repeat stores nothing and returns
   * the first with created=false. Throws `not_found` (room) when the room does not exist, and may throw
   * a retryable `conflict` while another send with the same clientId is still being stored.
   *
   * `draft.attachmentIds` are claimed for the new message in the same append: each must be a ready
   * attachment uploaded by the author and carried by no other message. One attachment goes to one
   * message, also under concurrent appends from several processes (a compare-and-set per
   * attachment); when one cannot be claimed, nothing is stored (claims taken are given back) and it
   * throws `conflict` with a detail naming the attachment (`reason: "unavailable"`). A repeat of an
   * idempotent send claims nothing.
   *
   * Calls for one room may overlap (the domain stores a room's queued sends together): each still
   * gets its own position, and within one process the new messages' positions follow the calls'
   * start order (claims in front of the append do not reorder them).
   */
  appendMessage(draft: MessageDraft, mintId: MintMessageId): Promise<{ message: MessageRecord; created: boolean }>;
  /**
   * Stores an event that is not a new message at the room's next position and returns it. `payload`
   * is opaque to the store and comes back unchanged from readLog. Throws `not_found` (room) when the
   * room does not exist (except for `room.deleted`, appended just before the room is deleted).
   */
  appendEvent(roomId: string, type: string, payload: string): Promise<number>;
  /**
   * The entries after position `after`, oldest first, at most `limit`: positions after+1, after+2, ...
   * with no gap, up to the room's head when the read began (later appends may or may not be included).
   * An unknown room reads as empty.
   */
  readLog(roomId: string, after: number, limit: number): Promise<LogEntry[]>;
  /** The room's last position; 0 when nothing was appended yet (or the room does not exist). */
  headPosition(roomId: string): Promise<number>;
  /**
   * One page of every room with its head position, for rebuilding what is derived from the logs (the
   * search index). A walk from cursor null, handing each page's `next` to the next call until it is
   * null, lists every room that exists during the whole walk exactly once; rooms created or deleted
   * meanwhile may or may not be listed. The order is the adapter's; `next` is opaque.
   */
  scanRooms(cursor: string | null, limit: number): Promise<RoomScanPage>;
}

export type RoomScanPage = { rooms: { roomId: string; head: number }[]; next: string | null };
