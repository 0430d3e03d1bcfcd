// This process's side of user-level presence: each local connection's status (online, idle after
// PRESENCE_IDLE_SECONDS without activity or when the client says so), written to the Presence port,
// and a note on the bus (presenceSubject) whenever a user's status across all processes changed.
//
// Activity: every client frame but ping and presence.set counts (the gateway says which), and so does
// opening the connection. A client's `presence.set idle` holds until it sends `presence.set online`
// (activity does not undo it); `online` also counts as activity. last_seen_at is the last moment any
// connection of the user was online: raised when one comes online, goes idle or closes while online,
// and by the port's refresh while one stays online (so at most a refresh interval old).
//
// Presence is best effort: writes of one connection are made one at a time, in order, and a failed
// one is logged and forgotten (the adapter converges; watchers poll). Nothing here ever rejects.
import { presenceSubject } from "../domain/user-presence";
import type { Logger } from "../log";
import type { Bus } from "../ports/bus";
import type { ConnectionStatus, Presence, UserPresenceChange } from "../ports/presence";
import type { Connection } from "./connection";

export type PresenceTrackerOptions<C extends TrackedConnection> = {
  presence: Presence;
  bus: Bus;
  log: Logger;
  idleMs: number;
  now: () => number;
  /** The connections open here (the idle sweep's candidates; those not tracked are skipped). */
  connections(): Iterable<C>;
};

/**
 * The tracker's state of a connection, kept on the connection itself (one object per socket, no side
 * map). The tracker alone reads and writes these fields; `presenceStatus` is unset until the
 * connection opened here and again once it closed.
 */
export type PresenceState = {
  presenceStatus: ConnectionStatus | undefined;
  /** Set by the client's presence.set idle: activity does not make it online. */
  presenceManualIdle: boolean;
  presenceActiveAt: number;
  /** The connection's writes, in order; unset when none is in flight. */
  presenceWrites: Promise<void> | undefined;
};

export type TrackedConnection = Connection & PresenceState;

export class PresenceTracker<C extends TrackedConnection> {
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(private readonly options: PresenceTrackerOptions<C>) {
    this.#timer = setInterval(() => this.#sweep(), Math.max(100, Math.min(1000, options.idleMs / 4)));
    this.#timer.unref?.();
  }

  opened(connection: C) {
    const now = this.options.now();
    connection.presenceStatus = "online";
    connection.presenceManualIdle = false;
    connection.presenceActiveAt = now;
    this.#write(connection, (p) => p.connect(connection.userId, connection.id, "online", now));
  }

  /** A client frame that counts as activity arrived. */
  activity(connection: C) {
    if (connection.presenceStatus === undefined) return;
    connection.presenceActiveAt = this.options.now();
    if (connection.presenceStatus === "idle" && !connection.presenceManualIdle) this.#set(connection, "online");
  }

  /** The client's presence.set; returns the connection's status now. */
  set(connection: C, status: ConnectionStatus): ConnectionStatus {
    if (connection.presenceStatus === undefined) return status;
    connection.presenceManualIdle = status === "idle";
    if (status === "online") connection.presenceActiveAt = this.options.now();
    if (connection.presenceStatus !== status) this.#set(connection, status);
    return connection.presenceStatus;
  }

  closed(connection: C) {
    const status = connection.presenceStatus;
    if (status === undefined) return;
    connection.presenceStatus = undefined;
    const seenAt = status === "online" ? this.options.now() : 0;
    this.#write(connection, (p) => p.disconnect(connection.userId, connection.id, seenAt));
  }

  close() {
    clearInterval(this.#timer);
  }

  /** Connections silent past the idle time go idle, last seen at their last activity. */
  #sweep() {
    const now = this.options.now();
    for (const connection of this.options.connections())
      if (connection.presenceStatus === "online" && now - connection.presenceActiveAt >= this.options.idleMs)
        this.#set(connection, "idle");
  }

  #set(connection: C, status: ConnectionStatus) {
    connection.presenceStatus = status;
    // Online until now, either way.
    const seenAt = this.options.now();
    this.#write(connection, (p) => p.connect(connection.userId, connection.id, status, seenAt));
  }

  #write(connection: C, write: (presence: Presence) => Promise<UserPresenceChange>) {
    const { presence, bus, log } = this.options;
    const chain: Promise<void> = (connection.presenceWrites ?? Promise.resolve()).then(async () => {
      try {
        const change = await write(presence);
        if (change.before === change.after) return;
        const note = { user_id: connection.userId, status: change.after };
        await bus.publish(presenceSubject(connection.userId), new TextEncoder().encode(JSON.stringify(note)));
      } catch (error) {
        log.warn("user presence update failed; watchers catch up by polling", {
          user_id: connection.userId,
          connection_id: connection.id,
          error,
        });
      } finally {
        // The last write queued is done: nothing is kept for an idle connection.
        if (connection.presenceWrites === chain) connection.presenceWrites = undefined;
      }
    });
    connection.presenceWrites = chain;
  }
}
