// Rebuilding the search index from storage (`chatd reindex [--room ID]`): the room's documents and
// position are forgotten, then its whole log is indexed again, with the same versions the indexer
// uses, so a live indexer running meanwhile can neither be undone by it nor undo it. While a room is
// rebuilt its messages may be missing from results; a full reindex forgets every room first.
import type { Logger } from "../log";
import type { RoomLogStore } from "../ports/room-log";
import type { RoomStore } from "../ports/rooms";
import type { SearchIndex } from "../ports/search";
import { indexFromLog, LOG_PAGE } from "./search-documents";

export type ReindexDeps = { store: RoomLogStore & Pick<RoomStore, "getRoom">; index: SearchIndex; log: Logger };

/** Rooms rebuilt at once in a full reindex. */
const PARALLEL = 4;

/** Rebuilds one room (a room storage no longer has is deleted from the index), or every room. */
export async function reindex(deps: ReindexDeps, roomId?: string): Promise<{ rooms: number; documents: number }> {
  if (roomId !== undefined) {
    const documents = await reindexRoom(deps, roomId);
    await deps.index.flush();
    return { rooms: 1, documents };
  }
  await deps.index.clear();
  let rooms = 0;
  let documents = 0;
  let cursor: string | null = null;
  do {
    const page = await deps.store.scanRooms(cursor, LOG_PAGE);
    const queue = page.rooms.filter((room) => room.head > 0);
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let room = queue.shift(); room; room = queue.shift()) {
          documents += (await indexFromLog(deps, room.roomId, 0, null)).changes;
          rooms++;
        }
      }),
    );
    deps.log.info("reindexing", { rooms, documents });
    cursor = page.next;
  } while (cursor !== null);
  await deps.index.flush();
  return { rooms, documents };
}

async function reindexRoom(deps: ReindexDeps, roomId: string): Promise<number> {
  if (!(await deps.store.getRoom(roomId))) {
    await deps.index.deleteRoom(roomId, await deps.store.headPosition(roomId));
    return 0;
  }
  await deps.index.clearRoom(roomId);
  return (await indexFromLog(deps, roomId, 0, null)).changes;
}
