// The presence port (in-process embedded, Redis in production): who is connected to which room, counted
// per connection, so a user is in a room while any of their connections is, on any process sharing the
// backend.
//
// Entries and their owners. An entry is one (room, user, connection), registered by the process that
// holds the connection; only that process enters and leaves it. Entries live as long as their process
// keeps them alive: an adapter that shares entries between processes refreshes the entries it
// registered itself, on its own timer (every TTL/3), and an entry that is not refreshed expires one
// TTL after its last refresh at the latest (`PRESENCE_TTL_SECONDS`, default 30 s). So when a process
// dies without saying so, its users drop out of `online()` within one TTL of its death, and the next
// connection of such a user anywhere is "joined" again. No "left" is reported for expired entries (no
// process is left to announce them). The embedded adapter shares nothing: its entries die with it.
//
// Decisions are atomic across processes: of several connections of one user entering a room at once,
// on any processes, exactly one gets "joined"; of their leaving, exactly one gets "left".
//
// Failures: a backend that cannot answer makes a call reject with the catalog's `unavailable`. An
// enter or leave that failed still holds locally: the adapter keeps (or drops) the entry in what it
// refreshes, so once the backend answers again its view converges within one refresh, without
// "joined"/"left" for the changes made meanwhile. Callers treat presence as best effort (see the
// degraded mode in the README): a failed call never fails the user's action.
//
// Not yet (issue 15, user-level presence `online | idle | offline` with `last_seen_at`): that is a
// per-user view across rooms, fed by connections rather than room subscriptions. It will add
// connect/disconnect/status calls next to these on the same model (per-connection entries with
// expiry, refreshed by their process); nothing here needs to change for it.

export type PresenceChange = "joined" | "left" | "unchanged";

export interface Presence {
  /**
   * Records the connection of the user in the room. "joined" when the user had no live connection in
   * the room on any process before; "unchanged" otherwise. Idempotent: entering again with the same
   * connection is "unchanged" (and renews the entry).
   */
  enter(roomId: string, userId: string, connectionId: string): Promise<PresenceChange>;
  /**
   * Removes that connection. "left" when it was the user's last live connection in the room on any
   * process; "unchanged" when others remain, or when the connection was not (or no longer) there —
   * leaving twice, or leaving a connection that expired, is "unchanged".
   */
  leave(roomId: string, userId: string, connectionId: string): Promise<PresenceChange>;
  /**
   * The ids of the users with at least one live connection in the room, on any process, each once, in
   * no particular order. An empty array when nobody is there (an unknown room too).
   */
  online(roomId: string): Promise<string[]>;
  /** Resolves when the backend answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  /**
   * Stops refreshing and removes the entries this process registered (other processes' entries stay),
   * as best it can: when the backend is down they expire by themselves. No "left" is reported.
   */
  close(): Promise<void>;
}
