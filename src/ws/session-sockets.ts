// Which login each local socket belongs to, so the gateway can close the sockets of a session that
// ended (revocation) or whose access token expired. Owned by the Gateway; the Hub never sees it. Each
// socket carries its own session (no side map): only the per-user index lives here.
import type { SessionRevoked } from "../domain/session-events";
import type { Connection } from "./connection";

/** What a socket's access token said: its session and when it was issued and expires (epoch ms). */
export type SocketSession = { sessionId: string; issuedAt: number; expiresAt: number };

/** A connection with the session of the token it opened with. */
export type SessionConnection = Connection & { readonly session: SocketSession };

export class SessionSockets<C extends SessionConnection = SessionConnection> {
  readonly #byUser = new Map<string, Set<C>>();

  add(connection: C) {
    const sockets = this.#byUser.get(connection.userId) ?? new Set();
    this.#byUser.set(connection.userId, sockets.add(connection));
  }

  remove(connection: C) {
    const sockets = this.#byUser.get(connection.userId);
    sockets?.delete(connection);
    if (sockets?.size === 0) this.#byUser.delete(connection.userId);
  }

  /** Every socket here. */
  *all(): Generator<C> {
    for (const sockets of this.#byUser.values()) yield* sockets;
  }

  /** The user's sockets here. */
  socketsOf(userId: string): Iterable<C> {
    return this.#byUser.get(userId) ?? [];
  }

  /** True when the connection's token expired by `now` (whether or not it is still held here). */
  expired(connection: C, now: number): boolean {
    return connection.session.expiresAt <= now;
  }

  /** The sockets whose token expired by `now`. */
  *expiredBy(now: number): Generator<C> {
    for (const sockets of this.#byUser.values())
      for (const connection of sockets) if (connection.session.expiresAt <= now) yield connection;
  }

  /**
   * The sockets a revocation ends: those of the listed sessions and, on a password reset, every
   * socket of the user whose token was issued by the time of the reset.
   */
  endedBy(event: SessionRevoked): C[] {
    const ended = new Set(event.session_ids);
    const resetAt = event.reason === "password_reset" ? Date.parse(event.at) : Number.NEGATIVE_INFINITY;
    return [...(this.#byUser.get(event.user_id) ?? [])].filter(
      (connection) => ended.has(connection.session.sessionId) || connection.session.issuedAt <= resetAt,
    );
  }
}
