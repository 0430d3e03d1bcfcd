// A background job that runs in one process at a time: every interval it takes (or renews) a named
// lease in the store and, while it holds it, runs one round. Rounds never overlap; a failed round is
// logged and the next one tries again. Stopping waits for the round and gives the lease up.
import type { Logger } from "../log";
import type { NotifyStore } from "../ports/notify";

export type LeasedLoopOptions = {
  store: Pick<NotifyStore, "acquireLease" | "releaseLease">;
  name: string;
  intervalMs: number;
  /** How long a lease lasts unrenewed: another process takes over this long after a holder dies. */
  leaseMs: number;
  /** One round; `held` says whether the lease is still this process's (checked before each round). */
  round: () => Promise<void>;
  /** Called when the lease is lost (another process has it, or the store failed). */
  onLost?: () => void;
  log: Logger;
  now?: () => number;
};

export class LeasedLoop {
  readonly holder = crypto.randomUUID();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #current: Promise<void> = Promise.resolve();
  #stopped = false;
  #held = false;
  /** When the lease was last taken or renewed (ms); renewed only after a third of its life. */
  #renewedAt = 0;

  constructor(private readonly options: LeasedLoopOptions) {}

  /** True while this process holds the lease (as of its last renewal). */
  get held() {
    return this.#held;
  }

  start() {
    this.#schedule(0);
  }

  async stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#current;
    if (this.#held) await this.options.store.releaseLease(this.options.name, this.holder).catch(() => {});
    this.#held = false;
  }

  #schedule(delayMs: number) {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#current = this.#tick().finally(() => this.#schedule(this.options.intervalMs));
    }, delayMs);
  }

  async #tick() {
    const { store, name, leaseMs, log } = this.options;
    const now = new Date((this.options.now ?? Date.now)());
    const was = this.#held;
    try {
      if (!this.#held || now.getTime() - this.#renewedAt >= leaseMs / 3) {
        this.#held = await store.acquireLease(name, this.holder, leaseMs, now);
        if (this.#held) this.#renewedAt = now.getTime();
      }
    } catch (error) {
      this.#held = false;
      log.warn("lease renewal failed", { lease: name, error });
    }
    if (was && !this.#held) this.options.onLost?.();
    if (!was && this.#held) log.info("lease taken", { lease: name });
    if (!this.#held || this.#stopped) return;
    try {
      await this.options.round();
    } catch (error) {
      log.warn("background round failed", { lease: name, error });
    }
  }
}
