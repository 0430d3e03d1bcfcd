// When users were last connected, for the digest dispatcher in whichever process runs it: this
// process counts its own WebSocket connections per user and records "seen now" in the store when a
// user's first local connection opens, every `refreshMs` while they stay connected, and when their last
// local connection closes. Marks that pile up while a write runs go out together in the next one. A process that dies stops refreshing, so its users count as away from their last refresh.
// Best effort: a failed write is logged and the next refresh repeats it.
import type { Logger } from "../log";
import type { NotifyStore } from "../ports/notify";

export type SeenTrackerOptions = {
  store: Pick<NotifyStore, "markSeen">;
  /** Must be well below NOTIFY_AFTER_MINUTES, so a connected user never looks away. */
  refreshMs: number;
  log: Logger;
  now?: () => number;
};

export class SeenTracker {
  readonly #connections = new Map<string, number>();
  readonly #timer: ReturnType<typeof setInterval>;
  #writes: Promise<void> = Promise.resolve();
  /** Users to mark in the next write (it is already chained when this is non-empty). */
  readonly #pending = new Set<string>();

  constructor(private readonly options: SeenTrackerOptions) {
    this.#timer = setInterval(() => this.#mark([...this.#connections.keys()]), options.refreshMs);
  }

  /** A connection of the user opened; only the first marks (the refresh covers the others). */
  connected(userId: string) {
    const before = this.#connections.get(userId) ?? 0;
    this.#connections.set(userId, before + 1);
    if (before === 0) this.#mark([userId]);
  }

  /** A connection of the user closed; the last one marks. */
  disconnected(userId: string) {
    const left = (this.#connections.get(userId) ?? 1) - 1;
    if (left > 0) return this.#connections.set(userId, left);
    this.#connections.delete(userId);
    this.#mark([userId]);
  }

  /** Stops refreshing after recording every local user as seen now (they are being disconnected). */
  async close() {
    clearInterval(this.#timer);
    this.#mark([...this.#connections.keys()]);
    this.#connections.clear();
    await this.#writes;
  }

  /**
   * Writes one after another, so a later time is never overtaken by an earlier one. The time written
   * is taken when the write starts, so it is never before any mark it carries.
   */
  #mark(userIds: string[]) {
    if (userIds.length === 0) return;
    const chained = this.#pending.size > 0;
    for (const userId of userIds) this.#pending.add(userId);
    if (chained) return;
    this.#writes = this.#writes
      .then(() => {
        const batch = [...this.#pending];
        this.#pending.clear();
        return this.options.store.markSeen(batch, new Date((this.options.now ?? Date.now)()));
      })
      .catch((error) => this.options.log.warn("last-seen time not recorded", { error }));
  }
}
