// The presence port (in-process embedded, Redis in production): who is connected to which room, counted
// per connection so a user is online while any of their connections is. Adapters arrive with the
// WebSocket gateway; the shape is fixed here so the core can depend on it.

export type PresenceChange = "joined" | "left" | "unchanged";

export interface Presence {
  /** Records one more connection of the user in the room; "joined" when it is their first. */
  enter(roomId: string, userId: string, connectionId: string): Promise<PresenceChange>;
  /** Removes that connection; "left" when it was their last. */
  leave(roomId: string, userId: string, connectionId: string): Promise<PresenceChange>;
  /** User ids with at least one live connection in the room. */
  online(roomId: string): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
