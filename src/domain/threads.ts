// Threads: a message sent with `thread_root` is a reply in the thread of that root (a message of the
// same room that is not itself a reply). A root's summary (reply_count, last_reply_at of its live
// replies) is on the root wherever messages are shown, and each change of it is a positioned
// `thread.updated` event right after the reply's own event. Thread pages list live replies only.
import type { MessageStore } from "../ports/messages";
import type { RoomLogStore } from "../ports/room-log";
import type { ThreadStore } from "../ports/threads";
import { notFound, validationFailed } from "./errors";
import type { Messages } from "./messages";
import type { RoomEvents } from "./room-events";
import type { Rooms } from "./rooms";
import { threadView } from "./views";

const notARoot = (message: string) => validationFailed(`thread_root ${message}`, [{ field: "thread_root", message }]);

/** Refuses a root that is not a live message of the room, or is itself a thread reply. */
export async function assertThreadRoot(store: MessageStore, roomId: string, rootId: string): Promise<void> {
  const root = await store.getMessage(roomId, rootId);
  if (!root) throw notARoot("is not a message of this room");
  if (root.threadRoot !== null) throw notARoot("is a thread reply (threads do not nest)");
  if (root.deleted) throw notARoot("was deleted");
}

/** Records the root's summary as it now stands (a reply was added or deleted); call in the room's order. */
export async function recordThreadUpdate(
  deps: { store: ThreadStore & RoomLogStore; events: RoomEvents },
  roomId: string,
  rootId: string,
): Promise<void> {
  const summary = (await deps.store.threadSummaries(roomId, [rootId])).get(rootId);
  await deps.events.record({ type: "thread.updated", room_id: roomId, root_id: rootId, thread: threadView(summary) });
}

export type ThreadDeps = { store: MessageStore & ThreadStore; rooms: Rooms; messages: Messages };

export class Threads {
  constructor(private readonly deps: ThreadDeps) {}

  /**
   * A page of the thread's live replies, like history: `before` newest first, `after` oldest first,
   * neither the newest first; with the root as shown in history. Members only; 404 for a root that
   * is not a message of the room.
   */
  async page(
    userId: string,
    roomId: string,
    rootId: string,
    query: { limit: number; before?: string; after?: string },
  ) {
    await this.deps.rooms.membership(userId, roomId);
    if (query.before && query.after)
      throw validationFailed("use either before or after, not both", [
        { field: "after", message: "conflicts with before" },
      ]);
    const root = await this.deps.store.getMessage(roomId, rootId);
    if (!root || root.threadRoot !== null) throw notFound("thread");
    const page = await this.deps.store.listThreadMessages(roomId, rootId, { ...query, limit: query.limit + 1 });
    const shown = page.slice(0, query.limit);
    const [rootView, ...messages] = await this.deps.messages.views(roomId, [root, ...shown], userId);
    return { root: rootView!, messages, hasMore: page.length > query.limit };
  }
}
