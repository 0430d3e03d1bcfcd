// User-level presence as callers see it: who may see whose status (users who share a room or a DM),
// the lookup the REST route and the gateway's watch answer with, and a user's DM partners (told of
// their changes without asking). Statuses themselves live in the Presence port.
import type { Limiter } from "../ports/limiter";
import type { Presence, UserStatus } from "../ports/presence";
import type { RoomStore } from "../ports/rooms";
import { rateLimited } from "./errors";

export type UserPresenceDeps = {
  store: Pick<RoomStore, "listMemberships" | "listMembers">;
  presence: Pick<Presence, "users">;
  limiter: Limiter;
};

/** What a caller is told of a user: the real status, or `unknown` for users it may not see. */
export type PresenceView = { user_id: string; status: UserStatus | "unknown"; last_seen_at: string | null };

/** Storage reads in flight at once for one question. */
const PARALLEL = 16;

/**
 * Visibility questions about others per user (REST lookups and presence.watch together, across
 * processes sharing the limiter): each may cost a storage read per id asked.
 */
export const LOOKUP_RULE = { limit: 60, periodMs: 60_000 };

export class UserPresences {
  constructor(private readonly deps: UserPresenceDeps) {}

  /**
   * The ids among `userIds` whose status the caller may see: the caller itself, and users who share
   * a room (any type, DMs included) with it now. An unknown id is simply not among them, exactly like
   * an existing user who shares nothing, so the answer never tells the two apart. A question about
   * others counts against LOOKUP_RULE: past it, rejects with `rate_limited`.
   */
  async visible(callerId: string, userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    const visible = new Set(unique.filter((id) => id === callerId));
    const others = unique.filter((id) => id !== callerId);
    if (others.length === 0) return visible;
    const decision = await this.deps.limiter.consume(`presence-lookups:${callerId}`, LOOKUP_RULE);
    if (!decision.allowed)
      throw rateLimited("presence_lookups", decision.retryAfterMs, "asking about presence too fast");
    const mine = new Set((await this.deps.store.listMemberships(callerId)).map((m) => m.roomId));
    if (mine.size === 0) return visible;
    await eachLimited(others, async (id) => {
      const theirs = await this.deps.store.listMemberships(id);
      if (theirs.some((m) => mine.has(m.roomId))) visible.add(id);
    });
    return visible;
  }

  /**
   * The users' presence as the caller may see it, one entry per distinct id in the order asked:
   * `unknown` (last_seen_at null) for those it may not see (see visible()). Rejects with
   * `unavailable` when the presence backend cannot answer.
   */
  async lookup(callerId: string, userIds: string[]): Promise<PresenceView[]> {
    const unique = [...new Set(userIds)];
    const visible = await this.visible(callerId, unique);
    return this.view(unique, visible);
  }

  /** The real presence of `shown`, `unknown` for the others, in the order of `userIds`. */
  async view(userIds: string[], shown: Set<string>): Promise<PresenceView[]> {
    const statuses = await this.deps.presence.users(userIds.filter((id) => shown.has(id)));
    const byId = new Map(statuses.map((s) => [s.userId, s]));
    return userIds.map((id) => {
      const found = byId.get(id);
      return found
        ? { user_id: id, status: found.status, last_seen_at: timeOf(found.lastSeenAt) }
        : { user_id: id, status: "unknown", last_seen_at: null };
    });
  }

  /** The other members of the user's DMs (each once). */
  async dmPartners(userId: string): Promise<string[]> {
    const dms = (await this.deps.store.listMemberships(userId)).filter((m) => m.roomType === "dm");
    const partners = new Set<string>();
    await eachLimited(dms, async (dm) => {
      for (const member of await this.deps.store.listMembers(dm.roomId, { limit: 2 }))
        if (member.userId !== userId) partners.add(member.userId);
    });
    return [...partners];
  }
}

/** RFC 3339 with milliseconds, or null. */
export const timeOf = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function eachLimited<T>(items: T[], run: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

/**
 * The bus subject on which a user's status changes are noted (`{user_id, status}`, a hint: receivers
 * read the status from the Presence port, so notes from several processes can come in any order).
 */
export const presenceSubject = (userId: string) => `chat.presence.${userId}`;
