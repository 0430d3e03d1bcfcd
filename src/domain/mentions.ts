// Mentions: `@username` (a member of the room, any case) and `@here` (from the room's owner or an admin:
// the members connected to the room right now) in a message's content become user ids on the message;
// they are recorded by user and announced to the mentioned users' sockets on every ws process, one bus
// message (subject MENTION_SUBJECT) for all of them, as session revocations are.
import type { Logger } from "../log";
import type { Bus } from "../ports/bus";
import type { MentionStore } from "../ports/mentions";
import type { Presence } from "../ports/presence";
import type { MemberRecord, RoomStore } from "../ports/rooms";
import type { AccountStore } from "../ports/store";
import { isModerator } from "./permissions";
import type { MessageView } from "./views";

/** The bus subject of mention deliveries (every ws process listens; each serves its own sockets). */
export const MENTION_SUBJECT = "chat.user.mention";

/** What a mentioned user's sockets receive, whether or not they subscribed to the room. */
export type MentionEvent = { type: "mention"; room_id: string; message: MessageView };

/** One delivery: the event and who it is for. */
export type MentionDelivery = { user_ids: string[]; event: MentionEvent };

/** Names looked up per message. */
const MAX_NAMES = 20;
/** Online members an `@here` reaches at most. */
const MAX_HERE = 100;
const NAME = /(?<![\w@])@([A-Za-z0-9_.-]{3,32})/g;
const HERE = /(?<![\w@])@here(?![A-Za-z0-9_.-])/i;

export type MentionDeps = {
  store: AccountStore & Pick<RoomStore, "getMember"> & MentionStore;
  presence: Presence;
  bus: Bus;
  log: Logger;
};

export class Mentions {
  constructor(private readonly deps: MentionDeps) {}

  /**
   * The ids of the room members the content mentions, the author left out: `@name` of a member (a
   * non-member's name is plain text), and `@here` from a moderator (from anyone else it is plain
   * text; a user named "here" cannot be mentioned by name). `@here` reaches the members online in
   * the room (presence; none when presence is down).
   */
  async resolve(roomId: string, author: MemberRecord, content: string): Promise<string[]> {
    if (!content.includes("@")) return [];
    const names = [...new Set([...content.matchAll(NAME)].map((m) => (m[1] as string).toLowerCase()))]
      .filter((name) => name !== "here")
      .slice(0, MAX_NAMES);
    const users = await Promise.all(names.map((name) => this.deps.store.getUserByUsername(name)));
    const candidates = users.flatMap((user) => (user ? [user.id] : []));
    if (HERE.test(content) && isModerator(author.role)) candidates.push(...(await this.#online(roomId)));
    const ids = [...new Set(candidates)].filter((id) => id !== author.userId);
    const members = await Promise.all(ids.map((id) => this.deps.store.getMember(roomId, id)));
    return ids.filter((_, i) => members[i] !== null);
  }

  async #online(roomId: string): Promise<string[]> {
    try {
      return (await this.deps.presence.online(roomId)).sort().slice(0, MAX_HERE);
    } catch (error) {
      this.deps.log.warn("presence unavailable; @here reaches nobody", { room_id: roomId, error });
      return [];
    }
  }

  /**
   * Records the mentions by user (a storage failure throws), then announces them. Never rejects on the
   * bus: a lost announcement is still in each user's GET /v1/mentions.
   */
  async record(message: MessageView, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.deps.store.addMentions(message.room_id, message.id, userIds);
    const delivery: MentionDelivery = {
      user_ids: userIds,
      event: { type: "mention", room_id: message.room_id, message },
    };
    await this.deps.bus
      .publish(MENTION_SUBJECT, new TextEncoder().encode(JSON.stringify(delivery)))
      .catch((error) => this.deps.log.error("mention not published", { room_id: message.room_id, error }));
  }
}

/** The delivery in a bus message, or null when the bytes are not one. */
export function decodeMentionDelivery(data: Uint8Array): MentionDelivery | null {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as MentionDelivery;
    if (!Array.isArray(value?.user_ids) || !value.user_ids.every((id) => typeof id === "string")) return null;
    if (value.event?.type !== "mention" || typeof value.event.room_id !== "string") return null;
    return value;
  } catch {
    return null;
  }
}
