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

export type PresenceTrackerOptions = {
  presence: Presence;
  bus: Bus;
  log: Logger;
  idleMs: number;
  now: () => number;
};

type Tracked = {
  status: ConnectionStatus;
  /** Set by the client's presence.set idle: activity does not make it online. */
  manualIdle: boolean;
  activeAt: number;
  /** The connection's writes, in order; unset when none is in flight. */
  writes: Promise<void> | undefined;
};

export class PresenceTracker {
  readonly #tracked = new Map<Connection, Tracked>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(private readonly options: PresenceTrackerOptions) {
    this.#timer = setInterval(() => this.#sweep(), Math.max(100, Math.min(1000, options.idleMs / 4)));
    this.#timer.unref?.();
  }

  opened(connection: Connection) {
    const now = this.options.now();
    const tracked: Tracked = { status: "online", manualIdle: false, activeAt: now, writes: undefined };
    this.#tracked.set(connection, tracked);
    this.#write(connection, tracked, (p) => p.connect(connection.userId, connection.id, "online", now));
  }

  /** A client frame that counts as activity arrived. */
  activity(connection: Connection) {
    const tracked = this.#tracked.get(connection);
    if (!tracked) return;
    tracked.activeAt = this.options.now();
    if (tracked.status === "idle" && !tracked.manualIdle) this.#set(connection, tracked, "online");
  }

  /** The client's presence.set; returns the connection's status now. */
  set(connection: Connection, status: ConnectionStatus): ConnectionStatus {
    const tracked = this.#tracked.get(connection);
    if (!tracked) return status;
    tracked.manualIdle = status === "idle";
    if (status === "online") tracked.activeAt = this.options.now();
    if (tracked.status !== status) this.#set(connection, tracked, status);
    return tracked.status;
  }

  closed(connection: Connection) {
    const tracked = this.#tracked.get(connection);
    if (!tracked) return;
    this.#tracked.delete(connection);
    const seenAt = tracked.status === "online" ? this.options.now() : 0;
    this.#write(connection, tracked, (p) => p.disconnect(connection.userId, connection.id, seenAt));
  }

  close() {
    clearInterval(this.#timer);
  }

  /** Connections silent past the idle time go idle, last seen at their last activity. */
  #sweep() {
    const now = this.options.now();
    for (const [connection, tracked] of this.#tracked)
      if (tracked.status === "online" && now - tracked.activeAt >= this.options.idleMs)
        this.#set(connection, tracked, "idle");
  }

  #set(connection: Connection, tracked: Tracked, status: ConnectionStatus) {
    tracked.status = status;
    // Online until now, either way.
    const seenAt = this.options.now();
    this.#write(connection, tracked, (p) => p.connect(connection.userId, connection.id, status, seenAt));
  }

  #write(connection: Connection, tracked: Tracked, write: (presence: Presence) => Promise<UserPresenceChange>) {
    const { presence, bus, log } = this.options;
    const chain: Promise<void> = (tracked.writes ?? Promise.resolve()).then(async () => {
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
        if (tracked.writes === chain) tracked.writes = undefined;
      }
    });
    tracked.writes = chain;
  }
}
