// What room events mean for the search index (ports/search.ts), and indexing a room from its log:
// the one conversion used by the indexer for live events and gap repairs and by `chatd reindex`.
//
// A document's version is the position of the event that produced its state. A `message.created`
// read back from the log carries the message as it is now (edits, tombstone), still at the position of
// its creation: an older version than any later edit, so whatever the order, the newest state wins.
import type { LogEntry, RoomLogStore } from "../ports/room-log";
import type { DocumentChange, IndexedMessage, SearchIndex } from "../ports/search";
import type { MessageView } from "./views";

/** A room event as the indexer needs it: its position and what it does to the index. */
export type IndexEffect =
  | { seq: number; kind: "change"; change: DocumentChange }
  | { seq: number; kind: "room_deleted" }
  | { seq: number; kind: "none" };

/** Log entries read per step of a repair or reindex; each step records the room's progress. */
export const LOG_PAGE = 500;

const fromView = (view: MessageView): IndexedMessage => ({
  roomId: view.room_id,
  messageId: view.id,
  authorId: view.author_id,
  content: view.content.normalize("NFC"),
  createdAt: new Date(view.created_at),
  editedAt: view.edited_at ? new Date(view.edited_at) : null,
});

/** The effect of a room event as published (the JSON the bus and the stream carry). */
export function effectOfEvent(event: { type: string; seq: number; [key: string]: unknown }): IndexEffect {
  const { seq } = event;
  switch (event.type) {
    case "message.created":
    case "message.updated": {
      const view = event.message as MessageView;
      if (view.deleted) return { seq, kind: "change", change: tombstone(seq, view.room_id, view.id) };
      return { seq, kind: "change", change: { type: "put", version: seq, message: fromView(view) } };
    }
    case "message.deleted":
      return {
        seq,
        kind: "change",
        change: tombstone(seq, event.room_id as string, event.message_id as string),
      };
    case "room.deleted":
      return { seq, kind: "room_deleted" };
    default:
      return { seq, kind: "none" };
  }
}

/** The effect of a room log entry (domain events as stored, message.created with today's message). */
export function effectOfEntry(roomId: string, entry: LogEntry): IndexEffect {
  const seq = entry.position;
  if (entry.type === "message.created") {
    const m = entry.message;
    if (!m) return { seq, kind: "none" };
    if (m.deleted) return { seq, kind: "change", change: tombstone(seq, roomId, m.id) };
    const message = {
      roomId,
      messageId: m.id,
      authorId: m.authorId,
      content: m.content.normalize("NFC"),
      createdAt: m.createdAt,
      editedAt: m.editedAt,
    };
    return { seq, kind: "change", change: { type: "put", version: seq, message } };
  }
  const payload = entry.payload ? (JSON.parse(entry.payload) as Record<string, unknown>) : {};
  return effectOfEvent({ ...payload, type: entry.type, room_id: roomId, seq });
}

const tombstone = (version: number, roomId: string, messageId: string): DocumentChange => ({
  type: "tombstone",
  version,
  roomId,
  messageId,
});

export type LogIndexing = { store: RoomLogStore; index: SearchIndex };

/**
 * Indexes the room's log after position `from` up to `to` (or its head when null), LOG_PAGE entries a
 * step, recording the room's position after each step (so an interrupted run resumes from there). A
 * room.deleted entry deletes the room in the index and ends it. Returns the position reached and the
 * number of document changes; stops early, at what it reached, when the log ends before `to` (a room
 * deleted in storage reads as empty).
 */
export async function indexFromLog(
  { store, index }: LogIndexing,
  roomId: string,
  from: number,
  to: number | null,
): Promise<{ position: number; changes: number; deleted: boolean }> {
  let position = from;
  let changes = 0;
  while (to === null || position < to) {
    const wanted = to === null ? LOG_PAGE : Math.min(LOG_PAGE, to - position);
    const entries = await store.readLog(roomId, position, wanted);
    if (entries.length === 0) break;
    const effects = entries.map((entry) => effectOfEntry(roomId, entry));
    const gone = effects.find((effect) => effect.kind === "room_deleted");
    if (gone) {
      await index.deleteRoom(roomId, gone.seq);
      return { position: gone.seq, changes, deleted: true };
    }
    const batch = effects.flatMap((effect) => (effect.kind === "change" ? [effect.change] : []));
    const last = (entries.at(-1) as LogEntry).position;
    const { failed } = await index.apply(batch, new Map([[roomId, last]]));
    if (failed.has(roomId)) throw new Error(`the search index did not take room ${roomId}'s documents`);
    changes += batch.length;
    position = last;
    if (entries.length < wanted) break;
  }
  return { position, changes, deleted: false };
}
