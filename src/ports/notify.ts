// The storage port for notifications (issue 15): dispatcher leases, when users were last connected,
// their mail preferences and the digests sent, outbound webhooks and how far each has delivered.
// Times are Dates; every method maps to one partition (or one small table scan) on a wide-column store.

export type NotifySettings = {
  /** Missed-message digests by mail (default true). */
  email: boolean;
  /** Digests may quote message text from private rooms and DMs (default false). */
  includeText: boolean;
};

/** A user the digest dispatcher considers: last seen connected at `seenAt`, last mailed at `digestAt`. */
export type SeenUser = { userId: string; seenAt: Date; digestAt: Date | null };

export type WebhookRecord = {
  id: string;
  roomId: string;
  url: string;
  /** The signing secret, encrypted by the domain (opaque here). */
  secretSealed: string;
  createdBy: string;
  createdAt: Date;
};

export interface NotifyStore {
  /**
   * Takes the named lease for `holder` until `now + ttlMs`, or renews it when `holder` has it. True when
   * `holder` holds it afterwards. A conditional write (SQLite transaction, Cassandra LWT): of several
   * processes asking at once, at most one holds an unexpired lease at any time.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean>;
  /** Gives the lease up when `holder` has it (a graceful stop), so another process takes it at once. */
  releaseLease(name: string, holder: string): Promise<void>;

  /** The user's preferences; the defaults when never set. */
  getNotifySettings(userId: string): Promise<NotifySettings>;
  /** Stores the given fields (the others keep their value) and returns the result. */
  setNotifySettings(userId: string, patch: Partial<NotifySettings>): Promise<NotifySettings>;

  /**
   * Records that the users were connected at `at`. Forward-only: an earlier time than the one stored
   * (a slow process's write) leaves the later one.
   */
  markSeen(userIds: string[], at: Date): Promise<void>;
  /**
   * One page of every user ever marked seen, with their last digest time. A walk from cursor null,
   * handing each page's `next` on until it is null, lists every such user once; `next` is opaque.
   */
  scanSeen(cursor: string | null, limit: number): Promise<{ users: SeenUser[]; next: string | null }>;
  /**
   * Claims the user's next digest: sets the digest time to `now` only if it is still `previous` (null:
   * none sent yet). Exactly one of several concurrent claims with the same `previous` gets true.
   */
  claimDigest(userId: string, previous: Date | null, now: Date): Promise<boolean>;

  createWebhook(hook: WebhookRecord): Promise<void>;
  /** The room's hooks, oldest first; empty for an unknown room. */
  listWebhooks(roomId: string): Promise<WebhookRecord[]>;
  /** True when it existed. Its delivery positions go with it. */
  deleteWebhook(roomId: string, id: string): Promise<boolean>;
  /** Every room's hooks (for the dispatcher; hooks are few), in no particular order. */
  scanWebhooks(): Promise<WebhookRecord[]>;

  /** The last room position delivered to the hook for the room; null when it never started there. */
  getWebhookPosition(hookId: string, roomId: string): Promise<number | null>;
  /** Stores it. Written by the lease holder only; forward-only (a lower position is ignored). */
  setWebhookPosition(hookId: string, roomId: string, position: number): Promise<void>;
}
