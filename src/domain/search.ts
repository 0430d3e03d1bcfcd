// Message search for a user: plain-text terms (search-query.ts) over the rooms the caller belongs to
// at query time, newest first, each result rendered exactly as history shows it, with the index's
// watermark (indexed_through) so a client can tell "no match" from "not indexed yet".
//
// The index may lag behind storage, so what it finds is checked against storage: a message deleted
// since (a tombstone) is never returned, and one edited after the indexed version (its edit not
// indexed yet) is left out until the index has it; its edit time is after indexed_through then, so
// the client can tell. Membership is read from storage for every search: a user who left or was
// banned stops finding a room's messages at once, with no reindex.
import type { MessageRecord, MessageStore } from "../ports/messages";
import type { RoomStore } from "../ports/rooms";
import type { SearchHit, SearchIndex } from "../ports/search";
import { NotSupported, validationFailed } from "./errors";
import { isMessageId } from "./ids";
import type { Messages } from "./messages";
import type { Rooms } from "./rooms";
import { parseSearchQuery } from "./search-query";
import type { MessageView } from "./views";

/** How long a process reuses the watermark it read (an older one is still a true lower bound). */
const WATERMARK_CACHE_MS = 500;
/** Message reads in flight at once when checking a page of hits against storage. */
const READS = 16;

export type SearchDeps = {
  /** Null when no search backend is configured: every search is NotSupported (501). */
  index: SearchIndex | null;
  store: MessageStore & Pick<RoomStore, "listMemberships">;
  rooms: Rooms;
  messages: Messages;
  now?: () => number;
};

export type SearchInput = { q: string; roomId?: string; limit: number; cursor?: string };

export type SearchResult = {
  results: { message: MessageView; highlights: string[] }[];
  /** The last hit's message id when there may be more; a page may hold fewer than `limit` results. */
  nextCursor: string | null;
  /** Every message created or edited at or before this is searchable; null: nothing indexed yet. */
  indexedThrough: Date | null;
};

export class Search {
  readonly #now: () => number;
  #watermark: { value: Date | null; readAt: number } | null = null;

  constructor(private readonly deps: SearchDeps) {
    this.#now = deps.now ?? Date.now;
  }

  async messages(userId: string, input: SearchInput): Promise<SearchResult> {
    const index = this.deps.index;
    if (!index) throw new NotSupported("message search (set OPENSEARCH_URL, or use SQLite storage)");
    const terms = parseSearchQuery(input.q);
    if (input.cursor !== undefined && !isMessageId(input.cursor))
      throw validationFailed("cursor is not a next_cursor of a search", [
        { field: "cursor", message: "not a next_cursor of a search" },
      ]);
    const roomIds = input.roomId
      ? [(await this.deps.rooms.membership(userId, input.roomId)).room.id]
      : (await this.deps.store.listMemberships(userId)).map((membership) => membership.roomId);
    // Read before searching: everything it covers was searchable before the search ran.
    const indexedThrough = await this.#indexedThrough(index);
    if (terms.length === 0 || roomIds.length === 0) return { results: [], nextCursor: null, indexedThrough };
    const hits = await index.search({ terms, roomIds, before: input.cursor, limit: input.limit + 1 });
    const page = hits.slice(0, input.limit);
    const nextCursor = hits.length > input.limit ? (page.at(-1)?.messageId ?? null) : null;
    return { results: await this.#render(userId, page), nextCursor, indexedThrough };
  }

  /** The hits whose message is, in storage, live and as indexed, as the caller sees them. */
  async #render(userId: string, hits: SearchHit[]) {
    const records = await readAll(hits, (hit) => this.deps.store.getMessage(hit.roomId, hit.messageId));
    const current = hits.flatMap((hit, i) => {
      const record = records[i];
      return record && isCurrent(hit, record) ? [{ hit, record }] : [];
    });
    const byRoom = new Map<string, MessageRecord[]>();
    for (const { record } of current) byRoom.set(record.roomId, [...(byRoom.get(record.roomId) ?? []), record]);
    const views = new Map<string, MessageView>();
    for (const [roomId, messages] of byRoom)
      for (const view of await this.deps.messages.views(roomId, messages, userId)) views.set(view.id, view);
    return current.map(({ hit }) => ({ message: views.get(hit.messageId) as MessageView, highlights: hit.highlights }));
  }

  async #indexedThrough(index: SearchIndex): Promise<Date | null> {
    const now = this.#now();
    if (this.#watermark && now - this.#watermark.readAt < WATERMARK_CACHE_MS) return this.#watermark.value;
    const value = await index.watermark();
    this.#watermark = { value, readAt: now };
    return value;
  }
}

/** Still what the index found: in the same room, not deleted, not edited since the indexed version. */
const isCurrent = (hit: SearchHit, record: MessageRecord) =>
  record.roomId === hit.roomId &&
  !record.deleted &&
  (record.editedAt?.getTime() ?? null) === (hit.editedAt?.getTime() ?? null);

async function readAll<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await read(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(READS, items.length) }, worker));
  return results;
}
