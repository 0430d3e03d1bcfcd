// User-level presence in the gateway: the tracker (this process's connections' statuses) and the
// watch (who is told of whose changes), and the presence.set and presence.watch frames. A connection
// watches its user's DM partners from the start (as of when it opened) and the list its last
// presence.watch set; visibility (sharing a room or DM) is checked when that list is set.
import type { UserPresences } from "../domain/user-presence";
import { presenceSubject } from "../domain/user-presence";
import type { Logger } from "../log";
import type { Bus } from "../ports/bus";
import type { Presence } from "../ports/presence";
import type { Connection } from "./connection";
import { PresenceTracker, type TrackedConnection } from "./presence-tracker";
import { PresenceWatch } from "./presence-watch";
import { type ClientFrame, withRef } from "./protocol";

export type UserPresenceGatewayOptions<C extends TrackedConnection> = {
  presence: Presence;
  bus: Bus;
  userPresences: UserPresences;
  log: Logger;
  idleMs: number;
  /** How often watched users are read again (a dead process's users turn offline by it). */
  pollMs: number;
  now: () => number;
  /** The connections open here. */
  connections(): Iterable<C>;
  send(connection: Connection, raw: string, type: string): void;
};

type PresenceFrame = Extract<ClientFrame, { type: "presence.set" | "presence.watch" }>;

export const isPresenceFrame = (frame: ClientFrame): frame is PresenceFrame =>
  frame.type === "presence.set" || frame.type === "presence.watch";

export class UserPresenceGateway<C extends TrackedConnection> {
  readonly #tracker: PresenceTracker<C>;
  readonly #watch: PresenceWatch;
  readonly #partnerReads = new Map<string, Promise<string[]>>();

  constructor(private readonly options: UserPresenceGatewayOptions<C>) {
    this.#tracker = new PresenceTracker(options);
    this.#watch = new PresenceWatch({ ...options, subjectOf: presenceSubject });
  }

  /**
   * The connection is online, and watches its DM partners (looked up now; a failure is logged): it is
   * told at once of each partner who is online or idle, then of their changes.
   */
  opened(connection: C) {
    this.#tracker.opened(connection);
    void this.#dmPartners(connection.userId)
      .then((partners) => this.#watch.set(connection, "dm", partners, true))
      .catch((error) => this.options.log.warn("DM partners not watched", { connection_id: connection.id, error }));
  }

  /** A client frame other than ping and presence.* arrived. */
  activity(connection: C) {
    this.#tracker.activity(connection);
  }

  async handle(connection: C, frame: PresenceFrame) {
    const { send, userPresences } = this.options;
    if (frame.type === "presence.set") {
      const status = this.#tracker.set(connection, frame.status);
      send(connection, JSON.stringify({ type: "presence.status", ...withRef(frame.ref), status }), "presence.status");
      return;
    }
    const asked = [...new Set(frame.user_ids.map((id) => id.toLowerCase()))];
    const visible = await userPresences.visible(connection.userId, asked);
    await this.#watch.set(connection, "watch", visible);
    const users = await userPresences.view(asked, visible);
    send(connection, JSON.stringify({ type: "presence.watched", ...withRef(frame.ref), users }), "presence.watched");
  }

  /**
   * The user's DM partners, read once for connections of the user that open while a read is in flight
   * (a reconnecting client's sockets, a user's many tabs): each still sees partners as of its opening.
   */
  #dmPartners(userId: string): Promise<string[]> {
    let read = this.#partnerReads.get(userId);
    if (!read) {
      read = this.options.userPresences.dmPartners(userId);
      this.#partnerReads.set(userId, read);
      const forget = () => this.#partnerReads.delete(userId);
      read.then(forget, forget);
    }
    return read;
  }

  closed(connection: C) {
    this.#tracker.closed(connection);
    this.#watch.drop(connection);
  }

  close() {
    this.#tracker.close();
    this.#watch.close();
  }
}
