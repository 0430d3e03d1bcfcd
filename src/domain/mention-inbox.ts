// A user's mentions across the rooms they are still members of, newest first, each with its message as
// history shows it and whether it is after the user's read marker of that room.
import type { MentionStore } from "../ports/mentions";
import type { MessageRecord, MessageStore } from "../ports/messages";
import type { RoomStore } from "../ports/rooms";
import { validationFailed } from "./errors";
import { compareMessageIds, isUuid } from "./ids";
import type { Messages } from "./messages";
import type { MessageView } from "./views";

/** Index rows read per page at most: past this the page ends early with a cursor to go on from. */
const MAX_SCAN = 1000;

export type MentionItem = { room_id: string; message: MessageView; unread: boolean };

export type MentionInboxDeps = {
  store: MentionStore & MessageStore & Pick<RoomStore, "listMemberships">;
  messages: Messages;
};

export class MentionInbox {
  constructor(private readonly deps: MentionInboxDeps) {}

  /**
   * One page, newest first; `cursor` is the `next_cursor` of the page before (the last message id the
   * walk looked at), null at the end. Left out: rooms the user is no longer in, deleted messages, and
   * messages an edit no longer has the user in. A page may be shorter than `limit` with a cursor
   * when many rows were left out (at most MAX_SCAN are read per page).
   */
  async list(userId: string, page: { limit: number; cursor?: string }) {
    if (page.cursor !== undefined && !isUuid(page.cursor))
      throw validationFailed("cursor is not one this list returned", [{ field: "cursor", message: "unknown cursor" }]);
    const rooms = new Set((await this.deps.store.listMemberships(userId)).map((m) => m.roomId));
    const kept: MessageRecord[] = [];
    const batch = page.limit + 1;
    let before = page.cursor;
    let scanned = 0;
    let exhausted = false;
    while (!exhausted && kept.length <= page.limit && scanned < MAX_SCAN) {
      const rows = await this.deps.store.listMentions(userId, { before, limit: batch });
      scanned += rows.length;
      exhausted = rows.length < batch;
      const records = await Promise.all(
        rows.map((row) => (rooms.has(row.roomId) ? this.deps.store.getMessage(row.roomId, row.messageId) : null)),
      );
      for (const [i, row] of rows.entries()) {
        const message = records[i];
        before = row.messageId;
        if (message && !message.deleted && message.mentions.includes(userId)) kept.push(message);
        if (kept.length > page.limit) break;
      }
    }
    const shown = kept.slice(0, page.limit);
    const nextCursor = kept.length > page.limit ? (shown.at(-1)?.id ?? null) : exhausted ? null : (before ?? null);
    return { mentions: await this.#items(userId, shown), nextCursor };
  }

  async #items(userId: string, messages: MessageRecord[]): Promise<MentionItem[]> {
    const byRoom = new Map<string, MessageRecord[]>();
    for (const m of messages) byRoom.set(m.roomId, [...(byRoom.get(m.roomId) ?? []), m]);
    const views = new Map<string, MessageView>();
    const markers = new Map<string, string | null>();
    await Promise.all(
      [...byRoom].map(async ([roomId, list]) => {
        const [shown, marker] = await Promise.all([
          this.deps.messages.views(roomId, list, userId),
          this.deps.store.getReadMarker(roomId, userId),
        ]);
        for (const view of shown) views.set(view.id, view);
        markers.set(roomId, marker);
      }),
    );
    return messages.map((m) => {
      const marker = markers.get(m.roomId) ?? null;
      return {
        room_id: m.roomId,
        message: views.get(m.id)!,
        unread: marker === null || compareMessageIds(m.id, marker) > 0,
      };
    });
  }
}
