// A clock a test moves, for a test server's seams (`now`): it follows real time until frozen, and jumps
// ahead on advance(). It never goes back, so ids and expiries made from it stay ordered.

export class TestClock {
  #offset = 0;
  #frozenAt: number | null = null;

  /** Milliseconds since the epoch, as the server sees them. */
  readonly now = (): number => this.#frozenAt ?? Date.now() + this.#offset;

  /** Stops time where it is; only advance() moves it until resume(). */
  freeze() {
    this.#frozenAt = this.now();
  }

  advance(ms: number) {
    if (this.#frozenAt !== null) this.#frozenAt += ms;
    else this.#offset += ms;
  }

  /** Lets time run again from where it stands. */
  resume() {
    if (this.#frozenAt === null) return;
    this.#offset = this.#frozenAt - Date.now();
    this.#frozenAt = null;
  }

  /** Runs `body` with time frozen, and lets it run again afterwards whatever happens. */
  async frozen<T>(body: () => Promise<T>): Promise<T> {
    this.freeze();
    try {
      return await body();
    } finally {
      this.resume();
    }
  }
}
