// Missed-message digests: a user with unread DMs or unread mentions that arrived while they had no
// live WebSocket connection gets one mail once they have been away `afterMs`, at most one per
// `intervalMs`, claimed in the store so exactly one process sends it. Also the user's mail preferences.
import type { Mailer, MailMessage } from "../ports/mail";
import type { MessageStore } from "../ports/messages";
import type { NotifySettings, NotifyStore, SeenUser } from "../ports/notify";
import type { RoomStore } from "../ports/rooms";
import type { AccountStore } from "../ports/store";
import { compareMessageIds, messageIdFloor } from "./ids";
import { UNREAD_CAP } from "./messages";

export type DigestSettings = {
  /** Away (no live connection) at least this long before a digest, ms. */
  afterMs: number;
  /** At most one digest per user in this long, ms. */
  intervalMs: number;
  readonly publicUrl: string;
};

export type DigestDeps = {
  store: NotifyStore & AccountStore & RoomStore & MessageStore;
  mailer: Mailer;
  settings: DigestSettings;
  now?: () => Date;
};

/** What a pass reports: each mail sent or failed (metrics), and each user it could not handle. */
export type DigestHooks = { observe?: (outcome: "sent" | "failed") => void; onError?: (error: unknown) => void };

/** One room of a digest. */
export type DigestRoom = { title: string; unread: number; mentioned: boolean; latest: string | null };

const SCAN_PAGE = 200;
const QUOTE_MAX = 200;

export class Digests {
  readonly #now: () => Date;

  constructor(private readonly deps: DigestDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  preferences(userId: string): Promise<NotifySettings> {
    return this.deps.store.getNotifySettings(userId);
  }

  setPreferences(userId: string, patch: Partial<NotifySettings>): Promise<NotifySettings> {
    return this.deps.store.setNotifySettings(userId, patch);
  }

  /** One pass over every user ever seen connected; resolves with how many digests this call sent. */
  async run(hooks: DigestHooks = {}): Promise<number> {
    let sent = 0;
    let cursor: string | null = null;
    do {
      const page: { users: SeenUser[]; next: string | null } = await this.deps.store.scanSeen(cursor, SCAN_PAGE);
      for (const user of page.users) {
        try {
          if (await this.consider(user, hooks)) sent++;
        } catch (error) {
          hooks.onError?.(error);
        }
      }
      cursor = page.next;
    } while (cursor);
    return sent;
  }

  /**
   * Mails the user a digest when it is due: away `afterMs`, the last digest `intervalMs` ago, mail on,
   * email verified, and an unread DM message or unread mention newer than both the last connection
   * and the last digest. True when this call sent it (it won the claim).
   */
  async consider(user: SeenUser, hooks: DigestHooks = {}): Promise<boolean> {
    const now = this.#now();
    const { afterMs, intervalMs } = this.deps.settings;
    if (user.seenAt.getTime() + afterMs > now.getTime()) return false;
    if (user.digestAt && user.digestAt.getTime() + intervalMs > now.getTime()) return false;
    const [account, prefs] = await Promise.all([
      this.deps.store.getUserById(user.userId),
      this.deps.store.getNotifySettings(user.userId),
    ]);
    if (!account?.emailVerified || !prefs.email) return false;
    const since = Math.max(user.seenAt.getTime(), user.digestAt?.getTime() ?? 0);
    const rooms = await this.#rooms(user.userId, since, prefs.includeText);
    if (rooms.length === 0) return false;
    if (!(await this.deps.store.claimDigest(user.userId, user.digestAt, now))) return false;
    try {
      await this.deps.mailer.send(digestMail(account.email, account.username, rooms, this.deps.settings));
      hooks.observe?.("sent");
      return true;
    } catch (error) {
      // The claim stands: a digest is sent at most once (the next one waits for the interval).
      hooks.observe?.("failed");
      throw error;
    }
  }

  /** The rooms worth a digest: DMs with unread messages, rooms with an unread mention, new since `since`. */
  async #rooms(userId: string, since: number, includeText: boolean): Promise<DigestRoom[]> {
    const { store } = this.deps;
    const memberships = await store.listMemberships(userId);
    const rooms = await Promise.all(
      memberships.map(async (m): Promise<DigestRoom | null> => {
        const marker = (await store.getReadMarker(m.roomId, userId)) ?? messageIdFloor(m.joinedAt.getTime());
        const floor = messageIdFloor(since + 1);
        const fresh = await store.countUnread(
          m.roomId,
          userId,
          compareMessageIds(marker, floor) > 0 ? marker : floor,
          UNREAD_CAP,
        );
        const worth = m.roomType === "dm" ? fresh.count > 0 : fresh.mentioned;
        if (!worth) return null;
        const [all, room] = await Promise.all([
          store.countUnread(m.roomId, userId, marker, UNREAD_CAP),
          store.getRoom(m.roomId),
        ]);
        if (!room) return null;
        const title = m.roomType === "dm" ? await this.#dmTitle(m.roomId, userId, room.name) : `#${room.name}`;
        const latest = includeText ? await this.#latest(m.roomId, userId, marker) : null;
        return { title, unread: all.count, mentioned: all.mentioned, latest };
      }),
    );
    return rooms.filter((room): room is DigestRoom => room !== null);
  }

  async #dmTitle(roomId: string, userId: string, fallback: string) {
    const other = (await this.deps.store.listMembers(roomId, { limit: 2 })).find((m) => m.userId !== userId);
    return `direct messages with ${other?.username ?? fallback}`;
  }

  /** The newest unread message's text (someone else's, not deleted), shortened; null when none. */
  async #latest(roomId: string, userId: string, marker: string) {
    const message = await this.deps.store.latestMessage(roomId);
    if (!message || message.deleted || message.authorId === userId || compareMessageIds(message.id, marker) <= 0)
      return null;
    const chars = [...message.content];
    const text = chars.length > QUOTE_MAX ? `${chars.slice(0, QUOTE_MAX - 1).join("")}…` : message.content;
    return `${message.authorUsername}: ${text.replace(/\s+/g, " ")}`;
  }
}

/** The digest mail: rooms and counts; message text only in `latest`, which is null unless the user allowed it. */
export function digestMail(to: string, username: string, rooms: DigestRoom[], settings: DigestSettings): MailMessage {
  const minutes = Math.round((settings.afterMs / 60_000) * 100) / 100;
  const lines = [`Hello ${username},`, "", "While you were away:", ""];
  for (const room of rooms) {
    lines.push(`- ${room.title}: ${room.unread} unread${room.mentioned ? ", you were mentioned" : ""}`);
    if (room.latest) lines.push(`    ${room.latest}`);
  }
  lines.push(
    "",
    `Open chatd: ${settings.publicUrl}`,
    "",
    `You get this mail because you have unread direct messages or mentions and were not connected for ${minutes} minutes.`,
    'To stop these mails, send PATCH /v1/users/me with {"notify_email": false}.',
  );
  return { to, subject: "You have unread messages on chatd", text: `${lines.join("\n")}\n` };
}
