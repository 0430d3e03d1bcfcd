// Sessions: whether an access token's login (its refresh family, `sid`) is still alive, answered
// cheaply on every request and right across processes; and the revocations that end logins.
//
// Each process keeps what it knows: revoked sessions (from `chat.session.revoked` events and store
// reads) until every access token of theirs has expired, and sessions the store said were alive, for
// ALIVE_CACHE_MS. What the cache does not know is read from the store, the source of truth.
import type { Logger } from "../log";
import type { Bus, BusSubscription } from "../ports/bus";
import type { AccountStore, RefreshFamilyRecord } from "../ports/store";
import type { AccessClaims, AccessTokens } from "./access-tokens";
import { unauthorized } from "./errors";
import {
  decodeSessionRevoked,
  encodeSessionRevoked,
  SESSION_REVOKED_SUBJECT,
  type SessionRevoked,
  type SessionRevokedReason,
} from "./session-events";

/**
 * How long a session the store said was alive is believed without asking again. This is the
 * staleness bound: a process that misses a revocation event (bus down, message lost) refuses the
 * session's access tokens at most this long after the revocation was stored. A process that gets the
 * event refuses them as soon as it arrives; the process that revoked, at once.
 */
export const ALIVE_CACHE_MS = 5_000;

export type SessionDeps = {
  store: Pick<AccountStore, "findRefreshFamily">;
  bus: Bus;
  accessTokens: AccessTokens;
  log: Logger;
  /** Epoch ms; injected by tests. */
  now?: () => number;
};

export type RevocationListener = (event: SessionRevoked) => void;

export class Sessions {
  readonly #now: () => number;
  /** sid -> when it may be forgotten: every access token of the session has expired by then. */
  readonly #revoked = new Map<string, number>();
  /** sid -> until when it is believed alive. */
  readonly #alive = new Map<string, number>();
  /** Store reads in flight, one per sid however many requests wait for it. */
  readonly #lookups = new Map<string, Promise<RefreshFamilyRecord | null>>();
  readonly #listeners = new Set<RevocationListener>();
  readonly #subscription: BusSubscription;
  #nextSweep = 0;

  constructor(private readonly deps: SessionDeps) {
    this.#now = deps.now ?? Date.now;
    this.#subscription = deps.bus.subscribe(SESSION_REVOKED_SUBJECT, (_subject, data) => {
      const event = decodeSessionRevoked(data);
      if (event) this.#apply(event);
      else deps.log.warn("malformed session revocation ignored");
    });
  }

  /**
   * The claims of a valid access token whose session is alive. Throws `unauthorized`: "access token
   * expired", "invalid access token", or "session revoked" (logged out, revoked, password reset).
   */
  async authenticate(token: string): Promise<AccessClaims> {
    const claims = await this.deps.accessTokens.verify(token);
    if (!(await this.#isAlive(claims))) throw unauthorized("session revoked");
    return claims;
  }

  /** Whether this process knows the session ended. No I/O: for checks that cannot wait. */
  isRevoked(sessionId: string): boolean {
    return this.#revoked.has(sessionId);
  }

  /**
   * Announces sessions that ended (already recorded in the store): applied in this process at once,
   * then published for the others. Never rejects; a bus failure is logged.
   */
  async revoke(userId: string, sessionIds: string[], reason: SessionRevokedReason): Promise<void> {
    const event: SessionRevoked = {
      user_id: userId,
      session_ids: sessionIds,
      reason,
      at: new Date(this.#now()).toISOString(),
    };
    this.#apply(event);
    await this.deps.bus
      .publish(SESSION_REVOKED_SUBJECT, encodeSessionRevoked(event))
      .catch((error) => this.deps.log.error("session revocation not published", { user_id: userId, reason, error }));
  }

  /**
   * Calls `listener` with every revocation this process learns of, its own and other processes'
   * (the same event may come twice: once applied locally, once back from the bus). Returns the
   * unsubscribe function.
   */
  onRevoked(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close() {
    this.#subscription.unsubscribe();
    this.#listeners.clear();
  }

  #apply(event: SessionRevoked) {
    const forgetAt = this.#now() + this.deps.accessTokens.ttlSeconds * 1000;
    for (const id of event.session_ids) {
      this.#revoked.set(id, forgetAt);
      this.#alive.delete(id);
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.deps.log.error("session revocation listener failed", { error });
      }
    }
  }

  async #isAlive({ sessionId, userId }: AccessClaims): Promise<boolean> {
    const now = this.#now();
    this.#sweep(now);
    if (this.#revoked.has(sessionId)) return false;
    if ((this.#alive.get(sessionId) ?? 0) > now) return true;
    let lookup = this.#lookups.get(sessionId);
    if (!lookup) {
      lookup = this.#lookup(sessionId).finally(() => this.#lookups.delete(sessionId));
      this.#lookups.set(sessionId, lookup);
    }
    const family = await lookup;
    // A revocation that arrived while the store was read wins over what the read said.
    return family !== null && family.userId === userId && !family.revokedAt && !this.#revoked.has(sessionId);
  }

  /**
   * Reads the session from the store and remembers the answer. An unknown session is refused but not
   * remembered: a replica that has not seen a fresh login yet must not lock it out.
   */
  async #lookup(sessionId: string): Promise<RefreshFamilyRecord | null> {
    const family = await this.deps.store.findRefreshFamily(sessionId);
    const now = this.#now();
    if (family?.revokedAt) {
      this.#revoked.set(sessionId, now + this.deps.accessTokens.ttlSeconds * 1000);
      this.#alive.delete(sessionId);
    } else if (family && !this.#revoked.has(sessionId)) {
      this.#alive.set(sessionId, now + ALIVE_CACHE_MS);
    }
    return family;
  }

  /** Forgets expired entries, at most once per ALIVE_CACHE_MS, so both maps stay bounded. */
  #sweep(now: number) {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + ALIVE_CACHE_MS;
    for (const [id, until] of this.#alive) if (until <= now) this.#alive.delete(id);
    for (const [id, until] of this.#revoked) if (until <= now) this.#revoked.delete(id);
  }
}
