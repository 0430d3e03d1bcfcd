// Which login each local socket belongs to, so the gateway can close the sockets of a session that
// ended (revocation) or whose access token expired. Owned by the Gateway; the Hub never sees it.
import type { SessionRevoked } from "../domain/session-events";
import type { Connection } from "./connection";

/** What a socket's access token said: its session and when it was issued and expires (epoch ms). */
export type SocketSession = { sessionId: string; issuedAt: number; expiresAt: number };

export class SessionSockets {
  readonly #sessions = new Map<Connection, SocketSession>();
  readonly #byUser = new Map<string, Set<Connection>>();

  add(connection: Connection, session: SocketSession) {
    this.#sessions.set(connection, session);
    const sockets = this.#byUser.get(connection.userId) ?? new Set();
    this.#byUser.set(connection.userId, sockets.add(connection));
  }

  remove(connection: Connection) {
    this.#sessions.delete(connection);
    const sockets = this.#byUser.get(connection.userId);
    sockets?.delete(connection);
    if (sockets?.size === 0) this.#byUser.delete(connection.userId);
  }

  /** The user's sockets here. */
  socketsOf(userId: string): Iterable<Connection> {
    return this.#byUser.get(userId) ?? [];
  }

  expired(connection: Connection, now: number): boolean {
    const session = this.#sessions.get(connection);
    return session !== undefined && session.expiresAt <= now;
  }

  /** The sockets whose token expired by `now`. */
  *expiredBy(now: number): Generator<Connection> {
    for (const [connection, session] of this.#sessions) if (session.expiresAt <= now) yield connection;
  }

  /**
   * The sockets a revocation ends: those of the listed sessions and, on a password reset, every
   * socket of the user whose token was issued by the time of the reset.
   */
  endedBy(event: SessionRevoked): Connection[] {
    const ended = new Set(event.session_ids);
    const resetAt = event.reason === "password_reset" ? Date.parse(event.at) : Number.NEGATIVE_INFINITY;
    return [...(this.#byUser.get(event.user_id) ?? [])].filter((connection) => {
      const session = this.#sessions.get(connection);
      return session !== undefined && (ended.has(session.sessionId) || session.issuedAt <= resetAt);
    });
  }
}
