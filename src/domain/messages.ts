// Messages: send (validated, idempotent, rate limited), history, edit, delete as tombstone, reactions,
// read markers and unread counts. REST and the WebSocket gateway both come through here.
import type { Limiter } from "../ports/limiter";
import type { MessageRecord, MessageStore, ReactionRecord } from "../ports/messages";
import type { PinStore } from "../ports/pins";
import type { MessageDraft, RoomLogStore } from "../ports/room-log";
import type { RoomStore } from "../ports/rooms";
import type { AccountStore } from "../ports/store";
import type { ThreadStore } from "../ports/threads";
import { type Attachments, attachmentView } from "./attachments";
import { canonicalEmoji, MAX_DISTINCT_REACTIONS } from "./emoji";
import { conflict, forbidden, notFound, rateLimited, validationFailed } from "./errors";
import { type MessageIdGenerator, messageIdFloor } from "./ids";
import type { Mentions } from "./mentions";
import { isModerator, outranks } from "./permissions";
import { unpinDeleted } from "./pins";
import type { RoomEvents } from "./room-events";
import type { Rooms } from "./rooms";
import { visibleText } from "./text";
import { assertThreadRoot, recordThreadUpdate } from "./threads";
import { type AttachmentView, type MessageView, messageView, reactionViews } from "./views";

export type MessageSettings = { maxLength: number; perMinute: number };

export type MessageDeps = {
  store: MessageStore & RoomLogStore & AccountStore & ThreadStore & PinStore & Pick<RoomStore, "getMember">;
  rooms: Rooms;
  limiter: Limiter;
  ids: MessageIdGenerator;
  events: RoomEvents;
  attachments: Attachments;
  mentions: Mentions;
  settings: MessageSettings;
  now?: () => Date;
};

export type SendInput = {
  content: string;
  clientId?: string | null;
  replyTo?: string | null;
  /** Makes the message a reply in this root's thread (threads.ts). */
  threadRoot?: string | null;
  attachmentIds?: string[];
};

/** Sends of one room stored and published together at most, when they queue up behind each other. */
const SEND_GROUP = 32;

type PendingSend = { draft: MessageDraft; attachments: AttachmentView[] };

/** Unread counts stop here; clients show "999+". */
export const UNREAD_CAP = 1000;

export class Messages {
  readonly #now: () => Date;

  constructor(private readonly deps: MessageDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Sends a message. A repeated clientId from the same author returns the first message (created=false)
   * without counting against the rate limit.
   */
  async send(userId: string, roomId: string, input: SendInput): Promise<{ message: MessageView; created: boolean }> {
    return (await this.queueSend(userId, roomId, input)).stored;
  }

  /**
   * Send's checks, then its place in the room's order: resolves once the send is queued there (a later
   * send of the same room, queued after this resolves, gets a later position), with `stored`, which
   * settles like `send`. Throws what send throws before anything is queued.
   */
  async queueSend(
    userId: string,
    roomId: string,
    input: SendInput,
  ): Promise<{ stored: Promise<{ message: MessageView; created: boolean }> }> {
    const { store, settings } = this.deps;
    const { member } = await this.deps.rooms.membership(userId, roomId);
    const content = this.#content(input.content);
    const clientId = input.clientId ?? null;
    if (clientId) {
      const existing = await store.findMessageByClientId(roomId, userId, clientId);
      if (existing) return { stored: Promise.resolve({ message: await this.#view(existing, userId), created: false }) };
    }
    if (input.replyTo && !(await store.getMessage(roomId, input.replyTo))) {
      throw validationFailed("reply_to is not a message of this room", [
        { field: "reply_to", message: "not a message of this room" },
      ]);
    }
    if (input.threadRoot) await assertThreadRoot(store, roomId, input.threadRoot);
    const attachments = await this.deps.attachments.forNewMessage(userId, input.attachmentIds ?? []);
    const decision = await this.deps.limiter.consume(`messages:${userId}`, {
      limit: settings.perMinute,
      periodMs: 60_000,
    });
    if (!decision.allowed) throw rateLimited("messages", decision.retryAfterMs, "sending too fast");

    const draft = {
      roomId,
      authorId: userId,
      authorUsername: member.username,
      content,
      createdAt: this.#now(),
      editedAt: null,
      deleted: false,
      replyTo: input.replyTo ?? null,
      threadRoot: input.threadRoot ?? null,
      clientId,
      mentions: await this.deps.mentions.resolve(roomId, member, content),
      attachmentIds: attachments.map((a) => a.id),
    };
    const stored = this.deps.events
      .inOrderGrouped(
        roomId,
        "send",
        SEND_GROUP,
        { draft, attachments: attachments.map(attachmentView) },
        (group: PendingSend[]) => this.#appendAll(group),
      )
      .then(async (sent) => {
        if (sent.created) await this.deps.mentions.record(sent.message, sent.message.mentions);
        return sent;
      });
    return { stored };
  }

  /**
   * Stores a group of one room's drafts, all at once (a store may take their positions together; see
   * RoomLogStore.appendMessage), each at the room's next position, its id minted after the room's last
   * message (so id order is position order) and its attachments claimed for it; then publishes the new
   * ones in position order. An idempotent replay publishes nothing; one draft's failure is its own.
   */
  async #appendAll(group: PendingSend[]): Promise<PromiseSettledResult<{ message: MessageView; created: boolean }>[]> {
    const stored = await Promise.allSettled(
      group.map(({ draft }) =>
        this.deps.store.appendMessage(draft, (after) => this.deps.ids.nextAfter(after, draft.createdAt.getTime())),
      ),
    );
    const order = group.map((_, i) => i);
    const seqOf = (i: number) => {
      const outcome = stored[i]!;
      return outcome.status === "fulfilled" && outcome.value.created ? outcome.value.message.seq : 0;
    };
    order.sort((a, b) => seqOf(a) - seqOf(b));
    const results: PromiseSettledResult<{ message: MessageView; created: boolean }>[] = [];
    for (const i of order) {
      const outcome = stored[i]!;
      if (outcome.status === "rejected") {
        results[i] = outcome;
        continue;
      }
      const { draft, attachments } = group[i]!;
      try {
        results[i] = { status: "fulfilled", value: await this.#published(draft, attachments, outcome.value) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
    return results;
  }

  /** The stored message as its sender sees it; a new one published first. */
  async #published(
    draft: MessageDraft,
    attachments: AttachmentView[],
    { message, created }: { message: MessageRecord; created: boolean },
  ) {
    if (!created) return { message: await this.#view(message, draft.authorId), created };
    const view = messageView(message, [], attachments);
    await this.deps.events.publish({ type: "message.created", room_id: draft.roomId, message: view, seq: message.seq });
    if (message.threadRoot) await recordThreadUpdate(this.deps, draft.roomId, message.threadRoot);
    return { message: view, created };
  }

  /** A page of history: `before` newest first, `after` oldest first, neither the newest first. */
  async history(userId: string, roomId: string, query: { limit: number; before?: string; after?: string }) {
    await this.deps.rooms.membership(userId, roomId);
    if (query.before && query.after)
      throw validationFailed("use either before or after, not both", [
        { field: "after", message: "conflicts with before" },
      ]);
    const page = await this.deps.store.listMessages(roomId, { ...query, limit: query.limit + 1 });
    const messages = page.slice(0, query.limit);
    return { messages: await this.views(roomId, messages, userId), hasMore: page.length > query.limit };
  }

  /**
   * The author edits; mentions are resolved again from the new content: users it no longer names
   * drop out of the message's mentions (and so of their mention lists), newly named ones get a
   * `mention` event.
   */
  async edit(userId: string, roomId: string, messageId: string, rawContent: string): Promise<MessageView> {
    const { member } = await this.deps.rooms.membership(userId, roomId);
    const message = await this.#message(roomId, messageId);
    if (message.authorId !== userId) throw forbidden("only the author can edit a message");
    if (message.deleted) throw conflict("the message was deleted");
    const content = this.#content(rawContent);
    const mentions = await this.deps.mentions.resolve(roomId, member, content);
    const edited = await this.#storeEdit(roomId, messageId, userId, content, mentions);
    const added = mentions.filter((id) => !message.mentions.includes(id));
    await this.deps.mentions.record(
      { ...edited, reactions: edited.reactions.map((r) => ({ ...r, me: false })) },
      added,
    );
    return edited;
  }

  #storeEdit(roomId: string, messageId: string, userId: string, content: string, mentions: string[]) {
    return this.deps.events.inOrder(roomId, async () => {
      const updated = await this.deps.store.updateMessage(roomId, messageId, {
        content,
        editedAt: this.#now(),
        mentions,
      });
      if (!updated) throw notFound("message");
      if (updated.deleted) throw conflict("the message was deleted");
      const [reactions, attachments, threads] = await Promise.all([
        this.deps.store.listReactions(roomId, [messageId]),
        this.deps.attachments.ofMessages([updated]),
        this.deps.store.threadSummaries(roomId, [messageId]),
      ]);
      const shown = attachments.get(messageId) ?? [];
      const thread = threads.get(messageId);
      await this.deps.events.record({
        type: "message.updated",
        room_id: roomId,
        message: messageView(updated, reactionViews(reactions, null), shown, thread),
      });
      return messageView(updated, reactionViews(reactions, userId), shown, thread);
    });
  }

  /**
   * The author, or a moderator (recorded in the audit log), leaves a tombstone. Idempotent. Like every
   * moderation, a moderator may delete only the messages of members ranked below them (an admin not the
   * owner's nor another admin's); an author who has left the room ranks as nobody.
   */
  async delete(userId: string, roomId: string, messageId: string) {
    const { member } = await this.deps.rooms.membership(userId, roomId);
    const message = await this.#message(roomId, messageId);
    const byModerator = message.authorId !== userId;
    if (byModerator) {
      if (!isModerator(member.role)) throw forbidden("only the author or a moderator can delete a message");
      const author = await this.deps.store.getMember(roomId, message.authorId);
      if (author && !outranks(member.role, author.role))
        throw forbidden("you can only delete messages of members ranked below you");
    }
    if (message.deleted) return;
    const discarded = await this.deps.events.inOrder(roomId, async () => {
      // Again in order: of two deletes racing here, only the first records an event.
      const current = await this.deps.store.getMessage(roomId, messageId);
      if (!current || current.deleted) return [];
      // Before the tombstone (which forgets them): its attachments stop being downloadable first.
      const discarded = await this.deps.attachments.discard(current.attachmentIds);
      await this.deps.store.tombstoneMessage(roomId, messageId);
      if (byModerator) {
        await this.deps.rooms.recordModeration(roomId, userId, "message.deleted", {
          targetUserId: message.authorId,
          messageId,
        });
      }
      await this.deps.events.record({ type: "message.deleted", room_id: roomId, message_id: messageId });
      await unpinDeleted(this.deps, roomId, messageId, userId);
      if (current.threadRoot) await recordThreadUpdate(this.deps, roomId, current.threadRoot);
      return discarded;
    });
    // Their objects go now; what fails here the sweep removes later.
    await this.deps.attachments.purge(discarded);
  }

  /**
   * Adds or removes the caller's reaction. Idempotent: an event only when something changed. An added
   * emoji must be an emoji or a `:short_name:` (validation_failed), stored in canonical form; a message
   * takes at most MAX_DISTINCT_REACTIONS different ones (a new one past that is a 409 conflict, an
   * existing one can still be added). Adds to one message are checked one at a time in this process,
   * so the limit is exact here; adds racing through other processes may pass it by one each.
   */
  async react(userId: string, roomId: string, messageId: string, rawEmoji: string, add: boolean) {
    await this.deps.rooms.membership(userId, roomId);
    const message = await this.#message(roomId, messageId);
    if (message.deleted) throw conflict("the message was deleted");
    const emoji = canonicalEmoji(rawEmoji);
    if (add && !emoji) {
      throw validationFailed("emoji must be an emoji or a :short_name:", [
        { field: "emoji", message: "must be one emoji or a :short_name: of up to 32 of a-z 0-9 _ + -" },
      ]);
    }
    // Removal takes any text, so reactions stored before these rules can still be taken back.
    const reaction = { messageId, emoji: emoji ?? rawEmoji, userId };
    // One change per room at a time in this process: the limit check and the add cannot interleave.
    await this.deps.events.inOrder(roomId, async () => {
      const changed = add
        ? await this.#addWithinLimit(roomId, reaction)
        : await this.deps.store.removeReaction(roomId, reaction);
      if (!changed) return;
      await this.deps.events.record({
        type: add ? "reaction.added" : "reaction.removed",
        room_id: roomId,
        message_id: messageId,
        emoji: reaction.emoji,
        user_id: userId,
      });
    });
  }

  async #addWithinLimit(roomId: string, reaction: ReactionRecord): Promise<boolean> {
    const present = new Set((await this.deps.store.listReactions(roomId, [reaction.messageId])).map((r) => r.emoji));
    if (!present.has(reaction.emoji) && present.size >= MAX_DISTINCT_REACTIONS) {
      throw conflict(`a message has at most ${MAX_DISTINCT_REACTIONS} different reactions`, [
        { field: "emoji", message: `the message already has ${present.size} different reactions`, reason: "too_many" },
      ]);
    }
    return this.deps.store.addReaction(roomId, reaction);
  }

  /** Moves the caller's read marker forward to the message; returns the marker now in force. */
  async markRead(userId: string, roomId: string, messageId: string): Promise<string> {
    await this.deps.rooms.membership(userId, roomId);
    await this.#message(roomId, messageId);
    if (await this.deps.store.setReadMarker(roomId, userId, messageId)) {
      await this.deps.events.publish({ type: "read", room_id: roomId, user_id: userId, message_id: messageId });
      return messageId;
    }
    return (await this.deps.store.getReadMarker(roomId, userId)) ?? messageId;
  }

  /** Unread messages of one room for a member: others' messages after their marker, or since they joined. */
  async unreadIn(userId: string, roomId: string, joinedAt: Date) {
    const marker = await this.deps.store.getReadMarker(roomId, userId);
    return this.deps.store.countUnread(roomId, userId, marker ?? messageIdFloor(joinedAt.getTime()), UNREAD_CAP);
  }

  async #message(roomId: string, messageId: string): Promise<MessageRecord> {
    const message = await this.deps.store.getMessage(roomId, messageId);
    if (!message) throw notFound("message");
    return message;
  }

  /** Content as a reader sees it: trimmed, visible, 1..maxLength characters (code points; see text.ts). */
  #content(raw: string): string {
    return visibleText(raw, { field: "content", max: this.deps.settings.maxLength });
  }

  async #view(message: MessageRecord, viewerId: string): Promise<MessageView> {
    return (await this.views(message.roomId, [message], viewerId))[0] as MessageView;
  }

  /**
   * Messages as a viewer sees them: with reactions (`me` for the viewer; none when null),
   * attachments and thread summaries: one read of each for the whole list.
   */
  async views(roomId: string, messages: MessageRecord[], viewerId: string | null): Promise<MessageView[]> {
    const live = messages.filter((m) => !m.deleted && m.hasReactions !== false).map((m) => m.id);
    const roots = messages.filter((m) => m.threadRoot === null && m.hasReplies !== false).map((m) => m.id);
    const [reactions, attachments, threads] = await Promise.all([
      live.length ? this.deps.store.listReactions(roomId, live) : [],
      this.deps.attachments.ofMessages(messages),
      roots.length ? this.deps.store.threadSummaries(roomId, roots) : new Map(),
    ]);
    const byMessage = new Map<string, ReactionRecord[]>();
    for (const reaction of reactions) {
      const list = byMessage.get(reaction.messageId);
      if (list) list.push(reaction);
      else byMessage.set(reaction.messageId, [reaction]);
    }
    return messages.map((m) =>
      messageView(m, reactionViews(byMessage.get(m.id) ?? [], viewerId), attachments.get(m.id), threads.get(m.id)),
    );
  }

  /** The attachments of messages from any rooms, by message id (one read), e.g. for conversation lists. */
  attachmentsOf(messages: MessageRecord[]) {
    return this.deps.attachments.ofMessages(messages);
  }
}
