// Search in the web app: a search box in the header (GET /v1/search/messages through the SDK) and a
// panel of results, newest first: each names its room, author and time and shows the matched
// fragment with the matched words marked; choosing one opens its room at that message.
import type { ChatClient, SearchPage, SearchResult } from "../../../clients/js/src";
import { describe, field, h, replace } from "../dom";
import type { ChatExtension, HeaderContext } from "../extensions";

const PAGE = 20;
const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

/**
 * A highlight fragment as DOM: the server escapes the text and adds only <mark>…</mark>, so it is
 * split on those and every other piece goes in as text (never as HTML).
 */
export function fragment(highlight: string): Node[] {
  const nodes: Node[] = [];
  let marked = false;
  for (const piece of highlight.split(/(<mark>|<\/mark>)/)) {
    if (piece === "<mark>" || piece === "</mark>") {
      marked = piece === "<mark>";
      continue;
    }
    if (!piece) continue;
    const text = document.createTextNode(piece.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e));
    nodes.push(marked ? h("mark", {}, text) : text);
  }
  return nodes;
}

const when = (iso: string) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

function searchTool({ client, openRoom, roomTitle }: HeaderContext): Node[] {
  const input = h("input", { type: "search", maxlength: 256, autocomplete: "off", required: true });
  const status = h("p", { class: "search-status", role: "status" });
  const list = h("ol", { class: "results" });
  const more = h("button", { type: "button", class: "more", hidden: true }, "More results");
  const close = h("button", { type: "button", class: "close" }, "Close search results");
  const heading = h("h2", { id: "search-title" });
  const panel = h(
    "section",
    { class: "search-results", "aria-labelledby": "search-title", hidden: true },
    h("div", { class: "results-head" }, heading, close),
    status,
    list,
    more,
  );
  let query = "";
  let cursor: string | null = null;

  const hide = () => {
    panel.hidden = true;
  };
  close.addEventListener("click", () => {
    hide();
    input.focus();
  });
  panel.addEventListener("keydown", (event) => event.key === "Escape" && hide());

  const item = (result: SearchResult) => {
    const { message } = result;
    const room = h("span", { class: "result-room" }, roomTitle(message.room_id) ?? "…");
    if (!roomTitle(message.room_id)) void nameOf(client, message.room_id).then((name) => (room.textContent = name));
    const snippet = result.highlights.length
      ? result.highlights.flatMap((highlight, i) => [...(i ? [" … "] : []), ...fragment(highlight)])
      : [message.content];
    const link = h(
      "a",
      { href: `/rooms/${message.room_id}?message=${message.id}`, class: "result" },
      h(
        "span",
        { class: "meta" },
        room,
        " · ",
        h("strong", {}, message.author_username),
        " · ",
        h("time", { datetime: message.created_at }, when(message.created_at)),
      ),
      h("span", { class: "snippet" }, ...snippet),
    );
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey) return;
      event.preventDefault();
      hide();
      openRoom(message.room_id, message.id);
    });
    return h("li", {}, link);
  };

  const load = async () => {
    status.textContent = "Searching…";
    more.hidden = true;
    let page: SearchPage;
    try {
      page = await client.api.search.messages({ q: query, limit: PAGE, ...(cursor ? { cursor } : {}) });
    } catch (error) {
      status.textContent = describe(error);
      return;
    }
    list.append(...page.results.map(item));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const count = list.childElementCount;
    status.textContent =
      count === 0
        ? `No messages match “${query}”.${page.indexed_through ? "" : " Messages are still being indexed."}`
        : `${count}${cursor ? "+" : ""} ${count === 1 ? "message" : "messages"}`;
  };
  more.addEventListener("click", () => void load());

  const form = h(
    "form",
    { role: "search", class: "search" },
    field("Search messages", input),
    h("button", {}, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    query = input.value.trim();
    if (!query) return;
    cursor = null;
    list.replaceChildren();
    replace(heading, `Results for “${query}”`);
    panel.hidden = false;
    void load();
  });
  return [form, panel];
}

const names = new Map<string, Promise<string>>();
/** A room the sidebar does not list (yet): its name, asked once. */
function nameOf(client: ChatClient, roomId: string): Promise<string> {
  let name = names.get(roomId);
  if (!name) {
    name = client.api.rooms.get(roomId).then(
      (room) => (room.type === "dm" ? "Direct message" : room.name),
      () => "a room",
    );
    names.set(roomId, name);
  }
  return name;
}

export const searchExtension: ChatExtension = { header: searchTool };
