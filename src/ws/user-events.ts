// Events for one user rather than a room (mentions): one bus subject every ws process listens on, each
// delivering to its own sockets of the listed users, whatever rooms those subscribed to.
import { decodeMentionDelivery, MENTION_SUBJECT } from "../domain/mentions";
import type { Logger } from "../log";
import type { Bus } from "../ports/bus";
import type { Connection } from "./connection";

export type UserEventDeps = {
  bus: Bus;
  /** This process's open sockets of the user. */
  socketsOf(userId: string): Iterable<Connection>;
  send(connection: Connection, raw: string, type: string): void;
  log: Logger;
};

/** Starts delivering; returns the function that stops it. */
export function deliverUserEvents(deps: UserEventDeps): () => void {
  const subscription = deps.bus.subscribe(MENTION_SUBJECT, (_subject, data) => {
    const delivery = decodeMentionDelivery(data);
    if (!delivery) return deps.log.warn("malformed mention delivery ignored");
    const raw = JSON.stringify(delivery.event);
    for (const userId of delivery.user_ids)
      for (const connection of deps.socketsOf(userId)) deps.send(connection, raw, "mention");
  });
  subscription.ready.catch((error) => deps.log.warn("mention deliveries not subscribed yet", { error }));
  return () => subscription.unsubscribe();
}
