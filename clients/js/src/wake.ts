// Waiting that can be cut short: the reconnect loop sleeps its backoff, or waits for the network,
// until `wake` (back online, connect called again, disconnect).

export class Wake {
  #waiters = new Set<() => void>();

  /** Resolves at the next `wake`. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  /** Resolves after `ms`, or at the next `wake` if that comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  wake() {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter();
  }
}
