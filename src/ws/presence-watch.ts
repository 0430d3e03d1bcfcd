// Who on this process watches whose presence, and telling them: per watched user one bus subscription
// (taken with the first local watcher, dropped with the last), the status last told, and the
// coalescing that keeps a flapping user to about one event per second.
//
// A note on the bus (or a poll, or the bus coming back) only marks a user due; the status itself is
// read from the Presence port when due, so notes from several processes in any order, and entries
// that expired with a dead process, all end in the state the port holds. A user is read at once when
// nothing was told of them for COALESCE_MS, else COALESCE_MS after the last event: at most one event
// at once and one with the final state per window. Only a change of status is told.

import { timeOf } from "../domain/user-presence";
import type { Logger } from "../log";
import type { Bus, BusSubscription } from "../ports/bus";
import type { Presence, UserStatus } from "../ports/presence";
import type { Connection } from "./connection";

/** The coalescing window per user, ms. */
export const COALESCE_MS = 1000;

/** Most users read in one call. */
const READ_BATCH = 200;

export type PresenceWatchOptions = {
  bus: Bus;
  presence: Pick<Presence, "users">;
  log: Logger;
  /** The bus subject of a user's presence notes. */
  subjectOf(userId: string): string;
  /** Every watched user is read again this often (catches entries that expired with a dead process). */
  pollMs: number;
  send(connection: Connection, raw: string, type: string): void;
};

/** Why a connection watches someone: its own presence.watch list, or its user's DM partners. */
export type WatchKind = "watch" | "dm";

type Watched = {
  connections: Set<Connection>;
  subscription: BusSubscription;
  /** The status last told (or read when the watch began); null until known. */
  shown: UserStatus | null;
  lastSeenAt: number | null;
  /** When an event was last told, performance.now() ms. */
  toldAt: number;
  /** When a read is due (performance.now() ms), or null. */
  due: number | null;
};

export class PresenceWatch {
  readonly #users = new Map<string, Watched>();
  readonly #lists = new Map<Connection, Record<WatchKind, Set<string>>>();
  readonly #poll: ReturnType<typeof setInterval>;
  readonly #stopResume: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #flushing = false;

  constructor(private readonly options: PresenceWatchOptions) {
    this.#poll = setInterval(() => this.#markAll(), options.pollMs);
    this.#poll.unref?.();
    this.#stopResume = options.bus.onResume(() => this.#markAll());
  }

  /**
   * Replaces the connection's list of that kind. Resolves once the bus has confirmed the new
   * subscriptions (a failure is logged: polling covers) and the newly watched users' status is known.
   * With `announce`, the connection is then told the status of each newly watched user who is not
   * offline (known from after the subscription, so no change falls between that and the events).
   */
  async set(connection: Connection, kind: WatchKind, userIds: Iterable<string>, announce = false) {
    if (connection.closed) return;
    const list = new Set(userIds);
    const lists = this.#lists.get(connection);
    // Most connections watch nobody (no DMs, no presence.watch): they hold no lists at all.
    if (!lists && list.size === 0) return;
    const before = new Set(lists ? [...lists.watch, ...lists.dm] : []);
    const next = lists ?? { watch: new Set<string>(), dm: new Set<string>() };
    next[kind] = list;
    if (next.watch.size === 0 && next.dm.size === 0) this.#lists.delete(connection);
    else this.#lists.set(connection, next);
    const after = new Set([...next.watch, ...next.dm]);
    for (const userId of before) if (!after.has(userId)) this.#unwatch(connection, userId);
    const started: Promise<void>[] = [];
    const fresh: string[] = [];
    const added: string[] = [];
    for (const userId of after) {
      if (before.has(userId)) continue;
      added.push(userId);
      let watched = this.#users.get(userId);
      if (!watched) {
        const subscription = this.options.bus.subscribe(this.options.subjectOf(userId), () => this.#mark(userId));
        watched = {
          connections: new Set(),
          subscription,
          shown: null,
          lastSeenAt: null,
          toldAt: Number.NEGATIVE_INFINITY,
          due: null,
        };
        this.#users.set(userId, watched);
        started.push(subscription.ready);
        fresh.push(userId);
      }
      watched.connections.add(connection);
    }
    const ready = await Promise.allSettled(started);
    if (ready.some((r) => r.status === "rejected"))
      this.options.log.warn("presence subscriptions not confirmed; watchers rely on polling", { kind });
    if (fresh.length > 0) await this.#seed(fresh);
    if (!announce || connection.closed) return;
    for (const userId of added) {
      const watched = this.#users.get(userId);
      if (!watched?.connections.has(connection) || watched.shown === null || watched.shown === "offline") continue;
      this.options.send(connection, eventOf(userId, watched.shown, watched.lastSeenAt), "user.presence");
    }
  }

  /** Forgets a closed connection. */
  drop(connection: Connection) {
    const lists = this.#lists.get(connection);
    if (!lists) return;
    this.#lists.delete(connection);
    for (const userId of new Set([...lists.watch, ...lists.dm])) this.#unwatch(connection, userId);
  }

  close() {
    clearInterval(this.#poll);
    clearTimeout(this.#timer);
    this.#stopResume();
    for (const watched of this.#users.values()) watched.subscription.unsubscribe();
    this.#users.clear();
    this.#lists.clear();
  }

  #unwatch(connection: Connection, userId: string) {
    const watched = this.#users.get(userId);
    if (!watched?.connections.delete(connection) || watched.connections.size > 0) return;
    watched.subscription.unsubscribe();
    this.#users.delete(userId);
  }

  /** Learns the status of newly watched users, so only later changes are told. */
  async #seed(userIds: string[]) {
    try {
      for (const status of await this.options.presence.users(userIds)) {
        const watched = this.#users.get(status.userId);
        if (watched && watched.shown === null) {
          watched.shown = status.status;
          watched.lastSeenAt = status.lastSeenAt;
        }
      }
    } catch (error) {
      this.options.log.warn("presence read failed; watchers catch up by polling", { error });
    }
  }

  #mark(userId: string) {
    const watched = this.#users.get(userId);
    if (!watched || watched.due !== null) return;
    watched.due = Math.max(performance.now(), watched.toldAt + COALESCE_MS);
    this.#schedule(watched.due);
  }

  #markAll() {
    for (const userId of this.#users.keys()) this.#mark(userId);
  }

  #schedule(at: number) {
    if (this.#flushing || at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => void this.#flush(), Math.max(0, at - performance.now()));
  }

  /** Reads the users that are due and tells their watchers of each status that changed. */
  async #flush() {
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#flushing = true;
    try {
      const now = performance.now();
      const due = [...this.#users].filter(([, w]) => w.due !== null && w.due <= now).map(([id]) => id);
      for (const userId of due) (this.#users.get(userId) as Watched).due = null;
      for (let i = 0; i < due.length; i += READ_BATCH) await this.#tell(due.slice(i, i + READ_BATCH));
    } catch (error) {
      this.options.log.warn("presence read failed; watchers catch up by polling", { error });
    } finally {
      this.#flushing = false;
      let next = Number.POSITIVE_INFINITY;
      for (const watched of this.#users.values()) if (watched.due !== null) next = Math.min(next, watched.due);
      if (next < Number.POSITIVE_INFINITY) this.#schedule(next);
    }
  }

  async #tell(userIds: string[]) {
    for (const { userId, status, lastSeenAt } of await this.options.presence.users(userIds)) {
      const watched = this.#users.get(userId);
      if (!watched) continue;
      watched.lastSeenAt = lastSeenAt;
      if (watched.shown === status) continue;
      watched.shown = status;
      watched.toldAt = performance.now();
      const raw = eventOf(userId, status, lastSeenAt);
      for (const connection of watched.connections) this.options.send(connection, raw, "user.presence");
    }
  }
}

const eventOf = (userId: string, status: UserStatus, lastSeenAt: number | null) =>
  JSON.stringify({ type: "user.presence", user_id: userId, status, last_seen_at: timeOf(lastSeenAt) });
