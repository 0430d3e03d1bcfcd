// Who else is in the open room right now: the typing line (a `status` region) and the online list.
import { h, replace } from "../dom";

const TYPING_SHOWN_MS = 4000;

/** "bob is typing…": each typist shown for 4 s after their last typing event, or until they send. */
export class TypingLine {
  readonly element = h("p", { class: "typing", role: "status", "aria-live": "polite" });
  readonly #typists = new Map<string, { username: string; timer: ReturnType<typeof setTimeout> }>();

  show(userId: string, username: string) {
    clearTimeout(this.#typists.get(userId)?.timer);
    const timer = setTimeout(() => this.clear(userId), TYPING_SHOWN_MS);
    this.#typists.set(userId, { username, timer });
    this.#render();
  }

  clear(userId: string) {
    const entry = this.#typists.get(userId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#typists.delete(userId);
    this.#render();
  }

  dispose() {
    for (const { timer } of this.#typists.values()) clearTimeout(timer);
  }

  #render() {
    const names = [...this.#typists.values()].map((t) => t.username);
    this.element.textContent =
      names.length === 0 ? "" : `${names.join(" and ")} ${names.length === 1 ? "is" : "are"} typing…`;
  }
}

/** The room's online members by name, each (but oneself) with a button that opens a DM, where offered. */
export class OnlineMembers {
  readonly element = h("ul", { class: "online" });
  readonly #online = new Map<string, string>();

  constructor(
    private readonly me: string | undefined,
    private readonly openDm: ((userId: string, username: string) => void) | null,
  ) {}

  set(users: { user_id: string; username: string }[]) {
    for (const user of users) this.#online.set(user.user_id, user.username);
    this.#render();
  }

  changed(userId: string, username: string, status: "joined" | "left") {
    if (status === "joined") this.#online.set(userId, username);
    else this.#online.delete(userId);
    this.#render();
  }

  #render() {
    const items = [...this.#online.entries()]
      .sort(([, a], [, b]) => a.localeCompare(b))
      .map(([userId, username]) => {
        const openDm = this.openDm;
        const self = userId === this.me;
        return h(
          "li",
          {},
          h("span", {}, self ? `${username} (you)` : username),
          !self && openDm
            ? h(
                "button",
                { type: "button", class: "link", onclick: () => openDm(userId, username) },
                `Message ${username}`,
              )
            : "",
        );
      });
    replace(this.element, ...(items.length ? items : [h("li", { class: "muted" }, "Nobody else right now")]));
  }
}
