// The signed-in page: header (who, connection state, log out), the sidebar (rooms and DMs with unread
// badges, create a room, public rooms to join) and the open room.
import type { ChatClient, ConnectionState } from "../../../clients/js/src";
import { describe, field, form, h, replace } from "../dom";
import { extensions } from "../extensions";
import { navigate } from "../router";
import { ChatState, type Entry } from "../state";
import { RoomView } from "./room";

const STATE_TEXT: Record<ConnectionState, string> = {
  idle: "Not connected",
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  closed: "Disconnected",
};

/** Reloads the lists this often (a DM another user opened, rooms created elsewhere). */
const RELOAD_MS = 15_000;

export class ChatView {
  readonly element: HTMLElement;
  readonly state: ChatState;
  readonly #main = h("main", { class: "pane" });
  readonly #rooms = h("ul", { class: "rooms" });
  readonly #dms = h("ul", { class: "rooms" });
  readonly #browse = h("ul", { class: "browse" });
  readonly #status = h("span", { class: "connection", role: "status", "aria-label": "Connection" });
  readonly #offs: (() => void)[] = [];
  #room: RoomView | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #loaded: Promise<void>;

  constructor(private readonly client: ChatClient) {
    this.state = new ChatState(client);
    this.element = h(
      "div",
      { class: "chat" },
      this.#header(),
      h(
        "nav",
        { class: "sidebar", "aria-label": "Rooms" },
        h("h2", {}, "Rooms"),
        this.#rooms,
        h("h2", {}, "Direct messages"),
        this.#dms,
        this.#createRoom(),
        h(
          "section",
          { "aria-labelledby": "browse-title" },
          h("h2", { id: "browse-title" }, "Public rooms"),
          this.#browse,
        ),
      ),
      this.#main,
    );
    this.#offs.push(this.state.onChange(() => this.#renderLists()));
    this.#offs.push(client.on("state", (state) => this.#showState(state)));
    this.#offs.push(client.on("message.created", (e) => this.state.arrived(e.room_id, e.message.author_id)));
    this.#offs.push(client.on("room.deleted", (e) => this.state.left(e.room_id)));
    this.#showState(client.state);
    client.connect();
    this.#loaded = this.state.load().catch((error) => {
      replace(this.#main, h("p", { role: "alert" }, describe(error)));
    });
    this.#timer = setInterval(this.#reload, RELOAD_MS);
    window.addEventListener("focus", this.#reload);
  }

  dispose() {
    for (const off of this.#offs.splice(0)) off();
    this.#room?.dispose();
    clearInterval(this.#timer);
    window.removeEventListener("focus", this.#reload);
  }

  /** Shows a room (or the welcome text for none), at one of its messages when `messageId` is given. */
  async open(roomId: string | null, messageId?: string) {
    await this.#loaded;
    if (roomId && this.#room?.roomId === roomId) return messageId && this.#room.reveal(messageId);
    if (this.#room?.roomId === roomId) return;
    // A room the lists do not have yet (joined elsewhere, a search result): asked for again first.
    if (roomId && !this.state.rooms.has(roomId)) await this.state.load().catch(() => undefined);
    this.#room?.dispose();
    this.#room = null;
    this.state.open(roomId);
    if (!roomId) {
      replace(
        this.#main,
        h(
          "div",
          { class: "welcome" },
          h("h2", {}, `Welcome, ${this.client.user?.username}`),
          h("p", {}, "Pick a room, create one, or join a public room."),
        ),
      );
      return;
    }
    this.#room = new RoomView(this.client, this.state, roomId);
    replace(this.#main, this.#room.element);
    await this.#room.start();
    if (messageId) await this.#room?.reveal(messageId);
  }

  /** Offline, nothing is asked (the connection catches up by itself once back). */
  readonly #reload = () => {
    if (navigator.onLine) void this.state.load().catch(() => undefined);
  };

  #header() {
    const logout = h("button", { type: "button" }, "Log out");
    logout.addEventListener("click", async () => {
      await this.client.logout();
      navigate("/login", { replace: true });
    });
    const context = {
      client: this.client,
      openRoom: (roomId: string, messageId?: string) =>
        navigate(`/rooms/${roomId}${messageId ? `?message=${encodeURIComponent(messageId)}` : ""}`),
      roomTitle: (roomId: string) => this.state.rooms.get(roomId)?.title,
    };
    return h(
      "header",
      { class: "top" },
      h("a", { href: "/", "data-link": "", class: "brand" }, "chatd"),
      ...extensions.flatMap((e) => e.header?.(context) ?? []),
      h("span", { class: "who" }, `Signed in as ${this.client.user?.username}`),
      this.#status,
      logout,
    );
  }

  #showState(state: ConnectionState) {
    this.#status.textContent = STATE_TEXT[state];
    this.#status.dataset.state = state;
  }

  #createRoom() {
    const name = h("input", { type: "text", required: true, maxlength: 100 });
    const visibility = h(
      "select",
      {},
      h("option", { value: "public" }, "Public"),
      h("option", { value: "private" }, "Private"),
    );
    return form(
      "Create room",
      [
        h("h2", {}, "New room"),
        field("Room name", name),
        field("Visibility", visibility),
        h("button", {}, "Create room"),
      ],
      async () => {
        const room = await this.client.api.rooms.create({
          name: name.value,
          type: visibility.value as "public" | "private",
        });
        name.value = "";
        this.state.entered(room);
        navigate(`/rooms/${room.id}`);
      },
    );
  }

  #renderLists() {
    const entries = [...this.state.rooms.values()];
    const link = (entry: Entry) => {
      const current = entry.room.id === this.state.activeRoomId;
      return h(
        "li",
        {},
        h(
          "a",
          { href: `/rooms/${entry.room.id}`, "data-link": "", "aria-current": current ? "page" : null },
          h("span", { class: "name" }, entry.title),
          entry.unread > 0
            ? h(
                "span",
                { class: "badge", "aria-label": `${entry.unread} unread` },
                entry.unread > 99 ? "99+" : entry.unread,
              )
            : "",
        ),
      );
    };
    const none = (text: string) => h("li", { class: "muted" }, text);
    const rooms = entries.filter((e) => e.kind === "room");
    const dms = entries.filter((e) => e.kind === "dm");
    replace(this.#rooms, ...(rooms.length ? rooms.map(link) : [none("No rooms yet")]));
    replace(this.#dms, ...(dms.length ? dms.map(link) : [none("No conversations yet")]));
    replace(
      this.#browse,
      ...(this.state.browse.length
        ? this.state.browse.map((room) => {
            const join = h("button", { type: "button" }, `Join ${room.name}`);
            join.addEventListener("click", async () => {
              join.disabled = true;
              try {
                await this.client.api.rooms.join(room.id);
                this.state.entered(room);
                navigate(`/rooms/${room.id}`);
              } catch (error) {
                join.disabled = false;
                join.title = describe(error);
              }
            });
            return h("li", {}, h("span", { class: "name" }, room.name), join);
          })
        : [none("Nothing to join")]),
    );
  }
}
