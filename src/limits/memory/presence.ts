// The embedded presence: which connections of which users are in which room, in process memory.
import type { ConnectionStatus, Presence, PresenceChange } from "../../ports/presence";
import { MemoryUserPresence } from "./user-presence";

export class MemoryPresence implements Presence {
  /** room -> user -> connection ids */
  readonly #rooms = new Map<string, Map<string, Set<string>>>();
  readonly #users = new MemoryUserPresence();

  async enter(roomId: string, userId: string, connectionId: string): Promise<PresenceChange> {
    const users = this.#rooms.get(roomId) ?? new Map<string, Set<string>>();
    this.#rooms.set(roomId, users);
    const connections = users.get(userId) ?? new Set<string>();
    users.set(userId, connections);
    if (connections.has(connectionId)) return "unchanged";
    connections.add(connectionId);
    return connections.size === 1 ? "joined" : "unchanged";
  }

  async leave(roomId: string, userId: string, connectionId: string): Promise<PresenceChange> {
    const users = this.#rooms.get(roomId);
    const connections = users?.get(userId);
    if (!users || !connections?.delete(connectionId)) return "unchanged";
    if (connections.size > 0) return "unchanged";
    users.delete(userId);
    if (users.size === 0) this.#rooms.delete(roomId);
    return "left";
  }

  async online(roomId: string): Promise<string[]> {
    return [...(this.#rooms.get(roomId)?.keys() ?? [])];
  }

  async connect(userId: string, connectionId: string, status: ConnectionStatus, seenAt: number) {
    return this.#users.connect(userId, connectionId, status, seenAt);
  }

  async disconnect(userId: string, connectionId: string, seenAt: number) {
    return this.#users.disconnect(userId, connectionId, seenAt);
  }

  async users(userIds: string[]) {
    return this.#users.users(userIds);
  }

  async ping() {}

  async close() {
    this.#rooms.clear();
    this.#users.clear();
  }
}
