// A decorator around a real store (SQLite or Cassandra) for a test server's `wrapStore` seam: a test
// arms a hook on one method to delay or fail calls, and every other call goes straight to the store.
// Not a mock: whatever a hook lets through is answered by the real store.
import type { Store } from "../../src/ports";

type Method = { [K in keyof Store]: Store[K] extends (...args: any[]) => any ? K : never }[keyof Store];

/** A hook receives the real call (`next`) and the arguments; what it returns is the call's answer. */
export type StoreHook<K extends Method> = (
  next: (...args: Parameters<Store[K]>) => ReturnType<Store[K]>,
  ...args: Parameters<Store[K]>
) => ReturnType<Store[K]>;

export class StoreHooks {
  readonly #hooks = new Map<Method, StoreHook<any>>();

  /** Routes calls of `method` through `hook` until cleared. */
  set<K extends Method>(method: K, hook: StoreHook<K>) {
    this.#hooks.set(method, hook);
  }

  delete(method: Method) {
    this.#hooks.delete(method);
  }

  clear() {
    this.#hooks.clear();
  }

  /** The `wrapStore` seam: a store whose methods consult the hooks at call time. */
  readonly wrap = (store: Store): Store =>
    new Proxy(store, {
      get: (target, property, _receiver) => {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        const next = value.bind(target);
        return (...args: unknown[]) => {
          const hook = this.#hooks.get(property as Method);
          return hook ? hook(next, ...args) : next(...args);
        };
      },
    });
}

/**
 * A gate for the next read of a room's log (what a subscribe with `since` reads): the call waits until
 * `open()`. With `readFirst` the real read runs first and `entered` resolves once it has answered
 * (what the test adds next is not in it); without, `entered` resolves when the call starts and the
 * read runs after `open()` (it sees what the test added meanwhile).
 */
export function gateRecoveryRead(hooks: StoreHooks, roomId: string, readFirst: boolean) {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const started = new Promise<void>((resolve) => {
    entered = resolve;
  });
  hooks.set("readLog", async (next, room, after, limit) => {
    if (room !== roomId) return next(room, after, limit);
    hooks.delete("readLog");
    if (readFirst) {
      const entries = await next(room, after, limit);
      entered();
      await opened;
      return entries;
    }
    entered();
    await opened;
    return next(room, after, limit);
  });
  return { entered: started, open };
}
