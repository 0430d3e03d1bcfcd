// The production search adapter: OpenSearch (2.x) through @opensearch-project/opensearch. Message
// documents use external versioning (the version rule of ports/search.ts is OpenSearch's own: a write
// whose version is not greater than the stored one is refused with 409, which here means "already
// newer"); room states and the watermark live in a small state index. Writes are visible to search
// after a refresh (flush), which the indexer runs before it moves the watermark.
import { messageSortKey } from "../../domain/ids";
import type { DocumentChange, RoomState, SearchHit, SearchIndex, SearchQuery } from "../../ports/search";
import { indexableContent, renderFragment } from "../shared";
import { errorType, OpenSearchLink, type OpenSearchSettings, translate } from "./client";
import { searchBody } from "./query";

/** A deleted room's state version: above every position, so no later position write can replace it. */
const DELETED_VERSION = Number.MAX_SAFE_INTEGER;
/** Documents deleted per bulk request when a room goes. */
const DELETE_PAGE = 1000;

type BulkItem = { status: number; error?: { type?: string; reason?: string } };
type BulkResponse = { errors: boolean; items: Record<string, BulkItem>[] };
type Hit = { _id: string; _source?: { room_id: string; edited_at: number | null }; highlight?: { content?: string[] } };

const roomDoc = (roomId: string) => `room:${roomId}`;
const roomOf = (change: DocumentChange) => (change.type === "put" ? change.message.roomId : change.roomId);
/** A bulk item that stored its document, or was refused only because a newer version is there. */
const landed = (item: BulkItem) => item.status < 300 || item.status === 409;
const itemOf = (entry: Record<string, BulkItem>) => Object.values(entry)[0] as BulkItem;

export class OpenSearchIndex implements SearchIndex {
  private constructor(private readonly link: OpenSearchLink) {}

  /** Connects and creates the indices that are missing. */
  static async open(settings: OpenSearchSettings): Promise<OpenSearchIndex> {
    const link = new OpenSearchLink(settings);
    try {
      await link.ensureIndices();
    } catch (error) {
      await link.close();
      throw error;
    }
    return new OpenSearchIndex(link);
  }

  async rooms(roomIds: string[]) {
    return this.#states(roomIds, true);
  }

  /**
   * Room states; `realtime` false reads what the last refresh made visible, which is cheaper (a
   * realtime read may refresh the shard) and enough to see deletions (deleteRoom ends with a flush).
   */
  async #states(roomIds: string[], realtime: boolean) {
    const states = new Map<string, RoomState>();
    if (roomIds.length === 0) return states;
    const { body } = await this.link.call((c) =>
      c.mget({ index: this.link.state, body: { ids: roomIds.map(roomDoc) }, realtime }),
    );
    for (const doc of (body as { docs: { _id: string; found?: boolean; _source?: RoomState }[] }).docs) {
      if (!doc.found || !doc._source) continue;
      states.set(doc._id.slice(5), { position: Number(doc._source.position), deleted: doc._source.deleted === true });
    }
    return states;
  }

  async apply(changes: DocumentChange[], positions: Map<string, number>) {
    const failed = new Set<string>();
    const involved = [...new Set([...changes.map(roomOf), ...positions.keys()])];
    if (involved.length === 0) return { failed };
    const states = await this.#states(involved, false);
    const live = (roomId: string) => !states.get(roomId)?.deleted;

    const docs = changes.filter((change) => live(roomOf(change)));
    if (docs.length > 0) {
      const response = await this.#bulk(docs.flatMap((change) => this.#docOps(change)));
      response.items.forEach((entry, i) => {
        if (!landed(itemOf(entry))) failed.add(roomOf(docs[i] as DocumentChange));
      });
    }
    const moves = [...positions].filter(([roomId]) => live(roomId) && !failed.has(roomId));
    if (moves.length > 0) {
      const response = await this.#bulk(
        moves.flatMap(([roomId, position]) => [
          { index: { _index: this.link.state, _id: roomDoc(roomId), version: position, version_type: "external" } },
          { position, deleted: false },
        ]),
      );
      response.items.forEach((entry, i) => {
        if (!landed(itemOf(entry))) failed.add((moves[i] as [string, number])[0]);
      });
    }
    return { failed };
  }

  #docOps(change: DocumentChange) {
    const id = change.type === "put" ? change.message.messageId : change.messageId;
    const action = {
      index: { _index: this.link.messages, _id: id, version: change.version, version_type: "external" },
    };
    if (change.type === "tombstone")
      return [action, { room_id: change.roomId, sort_key: messageSortKey(id), deleted: true, content: "" }];
    const { message } = change;
    return [
      action,
      {
        room_id: message.roomId,
        sort_key: messageSortKey(id),
        deleted: false,
        author_id: message.authorId,
        created_at: message.createdAt.getTime(),
        edited_at: message.editedAt?.getTime() ?? null,
        content: indexableContent(message.content),
      },
    ];
  }

  async #bulk(body: object[], refresh = false): Promise<BulkResponse> {
    const { body: response } = await this.link.call((c) => c.bulk({ body, ...(refresh ? { refresh: true } : {}) }));
    return response as unknown as BulkResponse;
  }

  async deleteRoom(roomId: string, position: number) {
    await this.#markDeleted(roomId, position);
    await this.#deleteDocuments(roomId);
  }

  async #markDeleted(roomId: string, position: number) {
    try {
      await this.link.client.index({
        index: this.link.state,
        id: roomDoc(roomId),
        version: DELETED_VERSION,
        version_type: "external",
        body: { position, deleted: true },
      });
    } catch (error) {
      if (errorType(error) !== "version_conflict_engine_exception") throw translate(error);
    }
  }

  /** Deletes the room's documents, page by page in sort order (no refresh between pages needed). */
  async #deleteDocuments(roomId: string) {
    await this.flush();
    let after: string | undefined;
    for (;;) {
      const { body } = await this.link.call((c) =>
        c.search({
          index: this.link.messages,
          body: {
            size: DELETE_PAGE,
            _source: false,
            track_total_hits: false,
            sort: [{ sort_key: "asc" }],
            ...(after ? { search_after: [after] } : {}),
            query: { bool: { filter: [{ term: { room_id: roomId } }] } },
          },
        }),
      );
      const hits = (body as unknown as { hits: { hits: (Hit & { sort: [string] })[] } }).hits.hits;
      if (hits.length === 0) break;
      const response = await this.#bulk(hits.map((hit) => ({ delete: { _index: this.link.messages, _id: hit._id } })));
      const stuck = response.items.find((entry) => itemOf(entry).status >= 300 && itemOf(entry).status !== 404);
      if (stuck) throw translate(new Error(`deleting room documents failed: ${itemOf(stuck).error?.reason}`));
      after = (hits.at(-1) as Hit & { sort: [string] }).sort[0];
    }
    await this.flush();
  }

  async clearRoom(roomId: string) {
    const state = (await this.rooms([roomId])).get(roomId);
    await this.#deleteDocuments(roomId);
    if (state && !state.deleted)
      await this.link.call((c) => c.delete({ index: this.link.state, id: roomDoc(roomId) }, { ignore: [404] }));
  }

  async clear() {
    await this.link.call((c) => c.indices.delete({ index: this.link.messages }, { ignore: [404] }));
    await this.link.ensureIndices();
    for (;;) {
      await this.flush();
      const { body } = await this.link.call((c) =>
        c.search({
          index: this.link.state,
          body: {
            size: DELETE_PAGE,
            _source: false,
            query: { bool: { filter: [{ term: { deleted: false } }], must_not: [{ ids: { values: ["watermark"] } }] } },
          },
        }),
      );
      const hits = (body as unknown as { hits: { hits: Hit[] } }).hits.hits;
      if (hits.length === 0) break;
      await this.#bulk(
        hits.map((hit) => ({ delete: { _index: this.link.state, _id: hit._id } })),
        true,
      );
    }
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    if (query.terms.length === 0 || query.roomIds.length === 0 || query.limit <= 0) return [];
    const { body } = await this.link.call((c) => c.search({ index: this.link.messages, body: searchBody(query) }));
    const hits = (body as unknown as { hits: { hits: Hit[] } }).hits.hits;
    return hits.map((hit) => ({
      roomId: hit._source?.room_id as string,
      messageId: hit._id,
      editedAt: hit._source?.edited_at == null ? null : new Date(hit._source.edited_at),
      highlights: (hit.highlight?.content ?? []).map(renderFragment),
    }));
  }

  async flush() {
    await this.link.call((c) => c.indices.refresh({ index: [this.link.messages, this.link.state] }));
  }

  async watermark() {
    const { body, statusCode } = await this.link.call((c) =>
      c.get({ index: this.link.state, id: "watermark" }, { ignore: [404] }),
    );
    const source = (body as { found?: boolean; _source?: { value?: number } })._source;
    return statusCode === 404 || source?.value === undefined ? null : new Date(Number(source.value));
  }

  async setWatermark(at: Date) {
    try {
      await this.link.client.index({
        index: this.link.state,
        id: "watermark",
        version: at.getTime(),
        version_type: "external",
        body: { value: at.getTime() },
      });
    } catch (error) {
      if (errorType(error) !== "version_conflict_engine_exception") throw translate(error);
    }
  }

  async ping() {
    await this.link.call((c) => c.cluster.health({ index: [this.link.messages, this.link.state], timeout: "2s" }));
  }

  async close() {
    await this.link.close();
  }
}
