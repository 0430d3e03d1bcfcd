// The embedded limiter: GCRA in process memory. Holds across REST and WebSocket of one process only.
import type { Limiter, RateDecision, RateRule } from "../../ports/limiter";
import { gcra, gcraRefund } from "../shared";

export class MemoryLimiter implements Limiter {
  /** key -> theoretical arrival time (ms). Entries past their time are equivalent to absent. */
  readonly #tat = new Map<string, number>();
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly now: () => number = Date.now) {
    this.#sweep = setInterval(() => this.#forgetExpired(), 60_000);
    this.#sweep.unref?.();
  }

  async consume(key: string, rule: RateRule): Promise<RateDecision> {
    const { decision, tat } = gcra(this.#tat.get(key), rule, this.now());
    if (decision.allowed) this.#tat.set(key, tat);
    return decision;
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    return gcra(this.#tat.get(key), rule, this.now()).decision;
  }

  async refund(key: string, rule: RateRule) {
    const tat = gcraRefund(this.#tat.get(key), rule, this.now());
    if (tat === undefined) this.#tat.delete(key);
    else this.#tat.set(key, tat);
  }

  async reset(key: string) {
    this.#tat.delete(key);
  }

  async ping() {}

  async close() {
    clearInterval(this.#sweep);
    this.#tat.clear();
  }

  #forgetExpired() {
    const now = this.now();
    for (const [key, tat] of this.#tat) if (tat <= now) this.#tat.delete(key);
  }
}
