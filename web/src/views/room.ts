// The open room: its history (newest page first, older pages as the user scrolls up), live messages,
// edits, deletions and reactions from the SDK's events, who is typing, who is online, and the composer
// (composer.ts); `reveal` brings one message into view (a search result).
// Messages are kept in room position order (`seq`) and by id, so a message the history page and a
// live event both bring is shown once.
import { type ChatClient, type Message, newClientId, type RealtimeEvents } from "../../../clients/js/src";
import { describe, h, replace } from "../dom";
import { navigate } from "../router";
import type { ChatState } from "../state";
import { composer } from "./composer";
import { MessageItem } from "./message";
import { OnlineMembers, TypingLine } from "./people";

const PAGE = 50;
/** How far back `reveal` looks for a message (pages of PAGE). */
const REVEAL_PAGES = 20;

type Handled =
  | "message.created"
  | "message.updated"
  | "message.deleted"
  | "reaction.added"
  | "reaction.removed"
  | "typing"
  | "presence"
  | "room.updated"
  | "unsubscribed";

export class RoomView {
  readonly element: HTMLElement;
  readonly #items = new Map<string, MessageItem>();
  readonly #pending = new Map<string, HTMLElement>();
  readonly #typing = new TypingLine();
  #members: OnlineMembers;
  readonly #offs: (() => void)[] = [];
  readonly #log = h("div", { class: "log", role: "log", "aria-label": "Messages", "aria-live": "polite" });
  readonly #older = h("button", { type: "button", class: "older", hidden: true }, "Load older messages");
  readonly #scroller = h("div", { class: "timeline" }, this.#older, this.#log);
  readonly #alert = h("p", { class: "alert", role: "alert" });
  readonly #title = h("h2", { id: "room-title" });
  #hasMore = false;
  #loading = false;
  /**
   * Events that came while the first page loaded, applied after it (messages by id, so none twice).
   * A reaction among them may already be counted in that page (a history page says no position it
   * is complete through), so its count can be one off until the room is opened again.
   */
  #buffer: { type: Handled; event: any }[] | null = [];
  #observer: IntersectionObserver | undefined;
  /** Whether the user was at the newest message when they last scrolled (an image loading keeps them there). */
  #stuck = true;
  /** Where the last scroll to the end put the timeline. */
  #endTop = -1;

  constructor(
    private readonly client: ChatClient,
    private readonly state: ChatState,
    readonly roomId: string,
  ) {
    this.element = h("section", { class: "room", "aria-labelledby": "room-title" }, h("p", {}, "Loading room…"));
    this.#members = new OnlineMembers(client.user?.id, null);
    const on = <K extends Handled>(type: K) =>
      this.#offs.push(
        client.on(type, (event: RealtimeEvents[K]) => {
          if (event.room_id !== roomId) return;
          if (this.#buffer) this.#buffer.push({ type, event });
          else this.#handle(type, event);
        }),
      );
    for (const type of [
      "message.created",
      "message.updated",
      "message.deleted",
      "reaction.added",
      "reaction.removed",
      "typing",
      "presence",
      "room.updated",
      "unsubscribed",
    ] as const)
      on(type);
  }

  async start() {
    const entry = this.state.rooms.get(this.roomId);
    try {
      const room = entry?.room ?? (await this.client.api.rooms.get(this.roomId));
      if (!entry) return this.#notMember(room.name, room.type === "public");
      const openDm = (userId: string, username: string) => void this.#openDm(userId, username);
      this.#members = new OnlineMembers(this.client.user?.id, entry.kind === "room" ? openDm : null);
      this.#render(entry.kind === "dm" ? entry.title : room.name, room.description, entry.kind);
      const [page, presence] = await Promise.all([
        this.client.api.messages.list(this.roomId, { limit: PAGE }),
        this.client.api.rooms.presence(this.roomId).catch(() => ({ online: [] })),
      ]);
      this.#members.set(presence.online);
      this.#hasMore = page.has_more;
      this.#older.hidden = !page.has_more;
      for (const message of page.messages) this.#upsert(message);
      for (const { type, event } of this.#buffer ?? []) this.#handle(type, event);
      this.#buffer = null;
      this.#scrollToEnd();
      this.#markRead();
      this.#observe();
    } catch (error) {
      this.#buffer = null;
      replace(this.element, h("p", { role: "alert" }, describe(error)));
    }
  }

  dispose() {
    for (const off of this.#offs.splice(0)) off();
    this.#observer?.disconnect();
    this.#typing.dispose();
  }

  #notMember(name: string, joinable: boolean) {
    this.#buffer = null;
    const join = h("button", { type: "button" }, `Join ${name}`);
    join.addEventListener("click", async () => {
      try {
        await this.client.api.rooms.join(this.roomId);
        this.state.entered(await this.client.api.rooms.get(this.roomId));
        this.#buffer = [];
        await this.start();
      } catch (error) {
        this.#alert.textContent = describe(error);
      }
    });
    replace(
      this.element,
      h("h2", { id: "room-title" }, name),
      joinable ? join : h("p", {}, "You are not in this room."),
      this.#alert,
    );
  }

  #render(title: string, description: string | null, kind: "room" | "dm") {
    this.#title.textContent = kind === "dm" ? `Direct message with ${title}` : title;
    const form = composer({
      roomId: this.roomId,
      client: this.client,
      send: (content, attachmentIds) => this.#send(content, attachmentIds),
      alert: (text) => {
        this.#alert.textContent = text;
      },
    });
    replace(
      this.element,
      h(
        "header",
        { class: "room-header" },
        this.#title,
        description ? h("p", { class: "description" }, description) : "",
      ),
      h(
        "div",
        { class: "room-body" },
        h("div", { class: "conversation" }, this.#scroller, this.#typing.element, form, this.#alert),
        h(
          "aside",
          { class: "members", "aria-label": "Online members" },
          h("h3", {}, "Online now"),
          this.#members.element,
        ),
      ),
    );
    this.#older.addEventListener("click", () => void this.#loadOlder());
    // A scroll event comes a frame late: one of ours (to the end) may find the log grown by then.
    this.#scroller.addEventListener("scroll", () => {
      this.#stuck = this.#scroller.scrollTop === this.#endTop || this.#atEnd();
    });
    // An image (an attachment) grows its message once loaded: `load` does not bubble, but is captured.
    this.#log.addEventListener("load", () => this.#stuck && this.#scrollToEnd(), true);
  }

  /** Sends over the live connection (kept and sent again across reconnects); shown as pending until it is stored. */
  #send(content: string, attachmentIds: string[]) {
    const clientId = newClientId();
    const pending = h(
      "article",
      {
        class: "message pending mine",
        "data-client-id": clientId,
        "aria-label": `${this.client.user?.username}: ${content} (sending)`,
      },
      h(
        "header",
        {},
        h("strong", { class: "author" }, this.client.user?.username ?? "me"),
        " ",
        h("span", { class: "sending" }, "Sending…"),
      ),
      h("p", { class: "content" }, content),
    );
    this.#pending.set(clientId, pending);
    const atEnd = this.#atEnd();
    this.#log.append(pending);
    if (atEnd) this.#scrollToEnd();
    this.client.send(this.roomId, content, { clientId, attachmentIds }).then(
      (message) => this.#upsert(message),
      (error) => {
        pending.remove();
        this.#pending.delete(clientId);
        this.#alert.textContent = describe(error);
      },
    );
  }

  #handle(type: Handled, event: any) {
    switch (type) {
      case "message.created": {
        const message = event.message as Message;
        this.#typing.clear(message.author_id);
        this.#upsert(message);
        if (message.author_id !== this.client.user?.id) this.#markRead();
        return;
      }
      case "message.updated":
        return this.#items.get(event.message.id)?.update(event.message);
      case "message.deleted":
        return this.#items.get(event.message_id)?.deleted();
      case "reaction.added":
      case "reaction.removed":
        return this.#items.get(event.message_id)?.reacted(event.emoji, event.user_id, type === "reaction.added");
      case "typing":
        return this.#typing.show(event.user_id, event.username);
      case "presence":
        return this.#members.changed(event.user_id, event.username, event.status);
      case "room.updated":
        this.state.renamed(event.room);
        if (this.state.rooms.get(this.roomId)?.kind === "room") this.#title.textContent = event.room.name;
        return;
      case "unsubscribed":
        this.state.left(this.roomId);
        replace(this.element, h("p", { role: "status" }, `You are no longer in this room (${event.reason}).`));
    }
  }

  /** Puts a message in position order, once: a new one is inserted, a known one updated. */
  #upsert(message: Message) {
    const pending = message.client_id ? this.#pending.get(message.client_id) : undefined;
    if (pending) {
      pending.remove();
      this.#pending.delete(message.client_id!);
    }
    const known = this.#items.get(message.id);
    if (known) return known.update(message);
    const item = new MessageItem(message, this.client, (text) => {
      this.#alert.textContent = text;
    });
    this.#items.set(message.id, item);
    const atEnd = this.#atEnd();
    const after = [...this.#log.querySelectorAll<HTMLElement>("article.message:not(.pending)")].find(
      (el) => Number(el.dataset.seq) > message.seq,
    );
    this.#log.insertBefore(item.element, after ?? this.#log.querySelector("article.pending"));
    if (!after && atEnd) this.#scrollToEnd();
  }

  /**
   * Scrolls to a message and marks it (a search result), loading older pages until it is there;
   * says so when the room no longer has it.
   */
  async reveal(messageId: string) {
    for (let pages = 0; !this.#items.has(messageId) && this.#hasMore && pages < REVEAL_PAGES; pages++) {
      while (this.#loading) await new Promise((done) => setTimeout(done, 50));
      await this.#loadOlder();
    }
    const item = this.#items.get(messageId);
    if (!item) {
      this.#alert.textContent = "That message is not in this room any more.";
      return;
    }
    for (const found of this.#log.querySelectorAll(".found")) found.classList.remove("found");
    item.element.classList.add("found");
    item.element.tabIndex = -1;
    item.element.scrollIntoView({ block: "center" });
    item.element.focus({ preventScroll: true });
  }

  async #loadOlder() {
    if (this.#loading || !this.#hasMore) return;
    const oldest = [...this.#items.values()].reduce<Message | null>(
      (min, item) => (!min || item.message.seq < min.seq ? item.message : min),
      null,
    );
    if (!oldest) return;
    this.#loading = true;
    try {
      const page = await this.client.api.messages.list(this.roomId, { limit: PAGE, before: oldest.id });
      const height = this.#scroller.scrollHeight;
      for (const message of page.messages) this.#upsert(message);
      // Keep what the user was reading in place as older messages appear above it.
      this.#scroller.scrollTop += this.#scroller.scrollHeight - height;
      this.#hasMore = page.has_more;
      this.#older.hidden = !page.has_more;
    } catch (error) {
      this.#alert.textContent = describe(error);
    } finally {
      this.#loading = false;
    }
  }

  /** Loads older pages when the top of the timeline comes into view (infinite scroll). */
  #observe() {
    if (typeof IntersectionObserver === "undefined") return;
    this.#observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void this.#loadOlder();
      },
      { root: this.#scroller },
    );
    this.#observer.observe(this.#older);
  }

  #markRead() {
    if (document.visibilityState === "hidden") return;
    const newest = [...this.#items.values()].reduce<Message | null>(
      (max, item) => (!max || item.message.seq > max.seq ? item.message : max),
      null,
    );
    if (newest) this.client.api.messages.markRead(this.roomId, newest.id).catch(() => undefined);
  }

  async #openDm(userId: string, username: string) {
    try {
      navigate(`/rooms/${await this.state.openDm(userId, username)}`);
    } catch (error) {
      this.#alert.textContent = describe(error);
    }
  }

  #atEnd() {
    const s = this.#scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 40;
  }

  #scrollToEnd() {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.#endTop = this.#scroller.scrollTop;
  }
}
