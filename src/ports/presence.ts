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
// Users (issue 15): beside rooms, the port keeps each user's status across all their connections, on
// the same model: an entry per (user, connection) with its own status, registered, refreshed and
// removed by the process holding the connection, expiring one TTL after its last refresh. A user is
// `online` while any live connection is online, `idle` while they all are idle, `offline` without
// any. `last_seen_at` is kept beside (never expiring): the greatest `seenAt` any call passed for the
// user, so it never goes back. Each call returns the user's status before and after it, decided
// atomically across processes: of concurrent first connections exactly one sees `offline` before.
// A user whose connections expired (their process died) turns `offline` silently; whoever shows
// statuses reads them again (users()) to notice.

export type PresenceChange = "joined" | "left" | "unchanged";

/** A user's status across their connections. */
export type UserStatus = "online" | "idle" | "offline";
/** One connection's status. */
export type ConnectionStatus = "online" | "idle";
/** A user's status; lastSeenAt: ms since the epoch, null when never seen. */
export type UserPresence = { userId: string; status: UserStatus; lastSeenAt: number | null };
/** A user's status around one call. */
export type UserPresenceChange = { before: UserStatus; after: UserStatus; lastSeenAt: number | null };

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
  /**
   * Registers the user's connection with a status, or updates it (idempotent; renews the entry).
   * `seenAt` (ms; 0: none) raises the user's last_seen_at when later than it.
   */
  connect(userId: string, connectionId: string, status: ConnectionStatus, seenAt: number): Promise<UserPresenceChange>;
  /**
   * Removes the user's connection (a connection not, or no longer, there changes nothing but
   * last_seen_at), raising last_seen_at to `seenAt` (ms; 0: none) when later.
   */
  disconnect(userId: string, connectionId: string, seenAt: number): Promise<UserPresenceChange>;
  /**
   * The users' statuses, one per id in the order given (duplicates repeated): `offline` with
   * lastSeenAt null for a user never seen (an unknown id too).
   */
  users(userIds: string[]): Promise<UserPresence[]>;
  /** Resolves when the backend answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  /**
   * Stops refreshing and removes the entries this process registered (other processes' entries stay),
   * as best it can: when the backend is down they expire by themselves. No "left" is reported. Its
   * users' online connections count as seen now.
   */
  close(): Promise<void>;
}
