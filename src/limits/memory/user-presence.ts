// The embedded user-level presence: each user's connections and their statuses, and last_seen_at, in
// process memory (so last_seen_at starts afresh with the process; see ports/presence.ts).
import type { ConnectionStatus, UserPresence, UserPresenceChange, UserStatus } from "../../ports/presence";

export class MemoryUserPresence {
  /** user -> connection id -> status */
  readonly #users = new Map<string, Map<string, ConnectionStatus>>();
  readonly #seen = new Map<string, number>();

  connect(userId: string, connectionId: string, status: ConnectionStatus, seenAt: number): UserPresenceChange {
    const connections = this.#users.get(userId) ?? new Map<string, ConnectionStatus>();
    this.#users.set(userId, connections);
    const before = aggregate(connections);
    connections.set(connectionId, status);
    return this.#change(userId, before, seenAt);
  }

  disconnect(userId: string, connectionId: string, seenAt: number): UserPresenceChange {
    const connections = this.#users.get(userId);
    const before = aggregate(connections);
    connections?.delete(connectionId);
    if (connections?.size === 0) this.#users.delete(userId);
    return this.#change(userId, before, seenAt);
  }

  users(userIds: string[]): UserPresence[] {
    return userIds.map((userId) => ({
      userId,
      status: aggregate(this.#users.get(userId)),
      lastSeenAt: this.#seen.get(userId) ?? null,
    }));
  }

  clear() {
    this.#users.clear();
  }

  #change(userId: string, before: UserStatus, seenAt: number): UserPresenceChange {
    if (seenAt > (this.#seen.get(userId) ?? 0)) this.#seen.set(userId, seenAt);
    return { before, after: aggregate(this.#users.get(userId)), lastSeenAt: this.#seen.get(userId) ?? null };
  }
}

/** online while any connection is, idle while all are idle, offline without any. */
function aggregate(connections: Map<string, ConnectionStatus> | undefined): UserStatus {
  if (!connections || connections.size === 0) return "offline";
  for (const status of connections.values()) if (status === "online") return "online";
  return "idle";
}
