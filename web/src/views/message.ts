// One message in the log: author, time, content (or its tombstone), reactions as toggle buttons, and
// Edit / Delete on the user's own messages. Rendered again whenever the message changes.
import type { ChatClient, Message } from "../../../clients/js/src";
import { describe, field, h, replace } from "../dom";
import { extensions } from "../extensions";

/** The quick reactions offered on every message. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉"];

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export class MessageItem {
  readonly element: HTMLElement;
  #editing = false;

  constructor(
    public message: Message,
    private readonly client: ChatClient,
    private readonly onError: (text: string) => void,
  ) {
    this.element = h("article", { class: "message", "data-id": message.id, "data-seq": message.seq });
    this.render();
  }

  get mine(): boolean {
    return this.message.author_id === this.client.user?.id;
  }

  update(message: Message) {
    // Events carry `me: false` (they go to every member): keep what this user knows of their own.
    const mine = new Map(this.message.reactions.map((r) => [r.emoji, r.me]));
    this.message = { ...message, reactions: message.reactions.map((r) => ({ ...r, me: r.me || !!mine.get(r.emoji) })) };
    this.render();
  }

  deleted() {
    this.message = { ...this.message, deleted: true, content: "", reactions: [] };
    this.#editing = false;
    this.render();
  }

  /** A reaction event: `me` when it was this user's own. */
  reacted(emoji: string, userId: string, added: boolean) {
    const me = userId === this.client.user?.id;
    const reactions = [...this.message.reactions];
    const index = reactions.findIndex((r) => r.emoji === emoji);
    const current = index >= 0 ? reactions[index]! : { emoji, count: 0, me: false };
    // Own reactions are idempotent by `me`; the server sends an event only for a real change.
    if (me && current.me === added) return;
    const next = { emoji, count: Math.max(0, current.count + (added ? 1 : -1)), me: me ? added : current.me };
    if (index >= 0) reactions[index] = next;
    else reactions.push(next);
    this.message = { ...this.message, reactions: reactions.filter((r) => r.count > 0) };
    this.render();
  }

  render() {
    const m = this.message;
    const author = h("strong", { class: "author" }, m.author_username);
    const stamp = h("time", { datetime: m.created_at }, time(m.created_at));
    const header = h(
      "header",
      {},
      author,
      " ",
      stamp,
      m.edited_at && !m.deleted ? h("span", { class: "edited" }, " (edited)") : "",
    );
    this.element.setAttribute(
      "aria-label",
      m.deleted ? `${m.author_username}: message deleted` : `${m.author_username}: ${m.content}`,
    );
    this.element.classList.toggle("mine", this.mine);
    if (m.deleted) {
      replace(this.element, header, h("p", { class: "content deleted" }, "Message deleted"));
      return;
    }
    const body = this.#editing ? this.#editor() : h("p", { class: "content" }, m.content);
    const extra = extensions.flatMap((extension) => extension.message?.(m, this.client) ?? []);
    replace(
      this.element,
      header,
      body,
      ...extra,
      this.#reactions(),
      this.mine && !this.#editing ? this.#ownActions() : "",
    );
  }

  #reactions() {
    const existing = this.message.reactions.map((r) =>
      h(
        "button",
        {
          type: "button",
          class: "reaction",
          "aria-pressed": String(r.me),
          "aria-label": `${r.emoji} ${r.count}${r.me ? ", remove your reaction" : `, react with ${r.emoji}`}`,
          onclick: () => this.#toggle(r.emoji, !r.me),
        },
        `${r.emoji} ${r.count}`,
      ),
    );
    const offered = QUICK_REACTIONS.filter((emoji) => !this.message.reactions.some((r) => r.emoji === emoji)).map(
      (emoji) =>
        h(
          "button",
          {
            type: "button",
            class: "reaction add",
            "aria-label": `React with ${emoji}`,
            onclick: () => this.#toggle(emoji, true),
          },
          emoji,
        ),
    );
    return h("div", { class: "reactions", role: "group", "aria-label": "Reactions" }, ...existing, ...offered);
  }

  async #toggle(emoji: string, add: boolean) {
    const { messages } = this.client.api;
    try {
      if (add) await messages.react(this.message.room_id, this.message.id, emoji);
      else await messages.unreact(this.message.room_id, this.message.id, emoji);
    } catch (error) {
      this.onError(describe(error));
    }
  }

  #ownActions() {
    return h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => this.#edit(true) }, "Edit"),
      h("button", { type: "button", onclick: () => this.#delete() }, "Delete"),
    );
  }

  #edit(on: boolean) {
    this.#editing = on;
    this.render();
    if (on) this.element.querySelector("textarea")?.focus();
  }

  #editor() {
    const text = h("textarea", { rows: 2, required: true });
    text.value = this.message.content;
    const editor = h(
      "form",
      { class: "edit" },
      field("Edit message", text),
      h("button", {}, "Save"),
      h("button", { type: "button", onclick: () => this.#edit(false) }, "Cancel"),
    );
    editor.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const updated = await this.client.api.messages.edit(this.message.room_id, this.message.id, text.value);
        this.#editing = false;
        this.update(updated);
      } catch (error) {
        this.onError(describe(error));
      }
    });
    return editor;
  }

  async #delete() {
    try {
      await this.client.api.messages.delete(this.message.room_id, this.message.id);
      this.deleted();
    } catch (error) {
      this.onError(describe(error));
    }
  }
}
