// The rooms a client follows and the last room position it has seen in each: what decides whether a
// durable event is new (apply it), already seen (drop it) or comes after a hole (resubscribe with
// `since` and let the replay fill it). Pure bookkeeping, no I/O.
import type { DurableEvent, Subscribed } from "./types";

export type Subscription = {
  roomId: string;
  /** The last position applied; null until the first `subscribed` says where the room is. */
  position: number | null;
  /** A subscribe is in flight: live events are left to its replay. */
  syncing: boolean;
  waiters: { resolve: (reply: Subscribed) => void; reject: (error: Error) => void }[];
};

export type Verdict = "apply" | "duplicate" | "gap" | "ignore";

export class Subscriptions {
  readonly #rooms = new Map<string, Subscription>();

  /** Follows a room (again); `since` is where the caller's view of it ends (only taken if none is known). */
  want(roomId: string, since?: number): Subscription {
    let subscription = this.#rooms.get(roomId);
    if (!subscription) {
      subscription = { roomId, position: null, syncing: false, waiters: [] };
      this.#rooms.set(roomId, subscription);
    }
    if (since !== undefined && subscription.position === null) subscription.position = since;
    return subscription;
  }

  get(roomId: string): Subscription | undefined {
    return this.#rooms.get(roomId);
  }

  drop(roomId: string): Subscription | undefined {
    const subscription = this.#rooms.get(roomId);
    this.#rooms.delete(roomId);
    return subscription;
  }

  all(): Subscription[] {
    return [...this.#rooms.values()];
  }

  /**
   * A live durable event. Positions rise by exactly one per event, so `seq` = position + 1 is the
   * next event; lower was seen; higher means events in between were missed.
   */
  accept(event: DurableEvent): Verdict {
    const subscription = this.#rooms.get(event.room_id);
    if (!subscription || subscription.syncing || subscription.position === null) return "ignore";
    if (event.seq <= subscription.position) return "duplicate";
    if (event.seq > subscription.position + 1) return "gap";
    subscription.position = event.seq;
    return "apply";
  }

  /**
   * A `subscribed` reply: the replayed events not seen yet, in order, and whether the subscription
   * is complete (else subscribe again from the new position: the replay was cut at the server's limit).
   */
  replayed(
    subscription: Subscription,
    reply: Subscribed,
    withSince: boolean,
  ): { events: DurableEvent[]; complete: boolean } {
    const before = subscription.position;
    const events: DurableEvent[] = [];
    for (const event of reply.missed as DurableEvent[]) {
      if (subscription.position !== null && event.seq <= subscription.position) continue;
      events.push(event);
      subscription.position = event.seq;
    }
    subscription.position = Math.max(subscription.position ?? 0, reply.seq);
    const advanced = subscription.position !== before;
    return { events, complete: !withSince || reply.recovered || !advanced };
  }
}
