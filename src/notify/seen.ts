// When users were last connected, for the digest dispatcher in whichever process runs it: this
// process counts its own WebSocket connections per user and records "seen now" in the store when a
// user connects, every `refreshMs` while they stay connected, and when their last local connection
// closes. A process that dies stops refreshing, so its users count as away from their last refresh.
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

  constructor(private readonly options: SeenTrackerOptions) {
    this.#timer = setInterval(() => this.#mark([...this.#connections.keys()]), options.refreshMs);
  }

  connected(userId: string) {
    this.#connections.set(userId, (this.#connections.get(userId) ?? 0) + 1);
    this.#mark([userId]);
  }

  disconnected(userId: string) {
    const left = (this.#connections.get(userId) ?? 1) - 1;
    if (left > 0) this.#connections.set(userId, left);
    else this.#connections.delete(userId);
    this.#mark([userId]);
  }

  /** Stops refreshing after recording every local user as seen now (they are being disconnected). */
  async close() {
    clearInterval(this.#timer);
    this.#mark([...this.#connections.keys()]);
    this.#connections.clear();
    await this.#writes;
  }

  /** Writes one after another, so a later time is never overtaken by an earlier one. */
  #mark(userIds: string[]) {
    if (userIds.length === 0) return;
    const at = new Date((this.options.now ?? Date.now)());
    this.#writes = this.#writes
      .then(() => this.options.store.markSeen(userIds, at))
      .catch((error) => this.options.log.warn("last-seen time not recorded", { error }));
  }
}
