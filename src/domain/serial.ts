// Runs tasks one at a time per key, in call order; different keys run concurrently. Grouped tasks of
// one kind that queue up behind a running task run together, as one task, when their turn comes.

type Member<I, R> = { item: I; resolve: (result: R) => void; reject: (error: unknown) => void };
type Group = { kind: string; members: Member<unknown, unknown>[]; limit: number };

export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();
  /** Per key: the group queued last and not started yet, which later items of its kind may join. */
  readonly #open = new Map<string, Group>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    // Whatever is queued after this task must not join a group queued before it.
    this.#open.delete(key);
    return this.#enqueue(key, task);
  }

  /**
   * Queues `item` for `task`, which gets the items of its group in call order and settles each: if the
   * last thing queued for `key` is a group of the same `kind` that has not started and holds fewer
   * than `limit` items, the item joins it; otherwise it starts a new group there. So grouping never
   * reorders anything: a group runs where its first item was queued, and nothing was queued after it.
   */
  runGrouped<I, R>(
    key: string,
    kind: string,
    limit: number,
    item: I,
    task: (items: I[]) => Promise<PromiseSettledResult<R>[]>,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const member = { item, resolve, reject } as Member<unknown, unknown>;
      const open = this.#open.get(key);
      if (open && open.kind === kind && open.members.length < open.limit) {
        open.members.push(member);
        return;
      }
      const group: Group = { kind, members: [member], limit };
      this.#open.set(key, group);
      this.#enqueue(key, async () => {
        if (this.#open.get(key) === group) this.#open.delete(key);
        const { members } = group;
        try {
          const settled = await task(members.map((m) => m.item as I));
          members.forEach((m, i) => {
            const outcome = settled[i];
            if (outcome?.status === "fulfilled") m.resolve(outcome.value);
            else m.reject(outcome ? outcome.reason : new Error("grouped task settled too few items"));
          });
        } catch (error) {
          for (const m of members) m.reject(error);
        }
      });
    });
  }

  #enqueue<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    // Forget the key once nothing is queued behind this task.
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
