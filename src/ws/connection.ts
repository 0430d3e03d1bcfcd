// One client's WebSocket as the hub and the handlers see it: who it is and a way to send to it. The
// Gateway creates it on open and closes it; everything about the socket's lifecycle (frame queue,
// heartbeat, abuse, session) stays with the Gateway.
import type { ServerWebSocket } from "bun";

export class Connection {
  #closed = false;
  /**
   * The Hub's alone (kept here: one object per socket, no side map): the rooms the socket is in on
   * this process, the room id itself while it is in one (most are), a Set once in several.
   */
  rooms: string | Set<string> | undefined = undefined;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly username: string,
    readonly ws: ServerWebSocket<unknown>,
  ) {}

  /** True once the socket closed (or is closing): nothing is sent to it any more. */
  get closed() {
    return this.#closed;
  }

  /** Called by the Gateway when the socket closes. */
  markClosed() {
    this.#closed = true;
  }

  /** Sends one text frame unless the socket is closed; false when nothing was sent. */
  send(raw: string): boolean {
    if (this.#closed) return false;
    this.ws.send(raw);
    return true;
  }
}
