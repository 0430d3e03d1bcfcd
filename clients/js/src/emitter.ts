// A small typed event emitter: listeners per event name, each called with that event's type.

export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<(value: any) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(type: K, listener: (value: Events[K]) => void): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Resolves with the next event of this type that matches. */
  once<K extends keyof Events>(type: K, match: (value: Events[K]) => boolean = () => true): Promise<Events[K]> {
    return new Promise((resolve) => {
      const off = this.on(type, (value) => {
        if (!match(value)) return;
        off();
        resolve(value);
      });
    });
  }

  emit<K extends keyof Events>(type: K, value: Events[K]) {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        listener(value);
      } catch (error) {
        // One listener's bug must not stop the others, nor the connection that emits.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
