// Helpers both storage adapters use, so they decide identically.
import { compareMessageIds } from "../domain/ids";
import type { MintMessageId } from "../ports/room-log";

/** Mints the next message id of a room and checks the port's rule: it sorts after the room's last one. */
export function mintedAfter(mintId: MintMessageId, last: string | null): string {
  const id = mintId(last);
  if (last !== null && compareMessageIds(id, last) <= 0)
    throw new Error(`minted message id ${id} does not sort after the room's last message ${last}`);
  return id;
}
