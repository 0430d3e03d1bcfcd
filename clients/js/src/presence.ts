// User presence for the live connection: the watched list and the status the client chose, both
// re-applied on every new socket (the server forgets them with the old one).
import type { GatewaySocket } from "./socket";
import type { ServerFrames } from "./types";

export type PresenceStatus = "online" | "idle";
export type PresenceWatched = ServerFrames["presence.watched"];

export class PresenceWish {
  #watch: string[] | null = null;
  #status: PresenceStatus = "online";

  /** Watches these users (replacing the list); resolves with the reply when sent on an open socket. */
  watch(userIds: string[], socket: GatewaySocket | null): Promise<PresenceWatched | null> {
    this.#watch = [...userIds];
    return socket?.isOpen ? this.#sendWatch(socket) : Promise.resolve(null);
  }

  /** Sets this connection's status (idle holds until online); kept for later sockets. */
  set(status: PresenceStatus, socket: GatewaySocket | null) {
    this.#status = status;
    if (socket?.isOpen) socket.send({ type: "presence.set", status });
  }

  /** A new socket: it is online and watches nobody until told again. */
  apply(socket: GatewaySocket) {
    if (this.#status !== "online") socket.send({ type: "presence.set", status: this.#status });
    if (this.#watch) void this.#sendWatch(socket).catch(() => undefined);
  }

  async #sendWatch(socket: GatewaySocket): Promise<PresenceWatched | null> {
    const reply = await socket.request({ type: "presence.watch", user_ids: this.#watch ?? [] }, { errors: "throw" });
    return reply.type === "presence.watched" ? reply : null;
  }
}
