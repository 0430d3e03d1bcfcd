// The message composer of a room: the text, the tools extensions add (e.g. "Attach file") and Send.
// Enter sends, Shift+Enter is a new line; typing tells the room. A send goes only when no tool holds
// it back (an upload still running); it takes what each tool adds (attachment ids) and starts afresh.
import type { ChatClient } from "../../../clients/js/src";
import { field, h } from "../dom";
import { extensions } from "../extensions";

export type ComposerOptions = {
  roomId: string;
  client: ChatClient;
  send(content: string, attachmentIds: string[]): void;
  /** Shows why a send did not go (an empty string clears it). */
  alert(text: string): void;
};

export function composer({ roomId, client, send, alert }: ComposerOptions): HTMLFormElement {
  const text = h("textarea", { rows: 2, autocomplete: "off", maxlength: 2000 });
  const tools = extensions.flatMap((e) => e.composer?.({ roomId, client }) ?? []);
  const form = h(
    "form",
    { class: "composer", "aria-label": "Send a message" },
    field("Message", text),
    ...tools.flatMap((tool) => tool.nodes),
    h("button", {}, "Send"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const refusal = tools.map((tool) => tool.blocked()).find((reason) => reason);
    alert(refusal ?? "");
    if (refusal) return;
    const typed = text.value.trim();
    const extras = typed || tools.some((tool) => tool.holds()) ? tools.map((tool) => tool.take()) : [];
    const content =
      typed ||
      extras
        .map((extra) => extra.fallbackContent ?? "")
        .join(" ")
        .trim();
    if (!content) return;
    send(
      content,
      extras.flatMap((extra) => extra.attachmentIds ?? []),
    );
    text.value = "";
    text.focus();
  });
  // A refusal is about the tools' state: it goes once files are picked or removed.
  form.addEventListener("change", () => alert(""));
  form.addEventListener("click", (event) => {
    if ((event.target as Element).closest?.("button[type=button]")) alert("");
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  text.addEventListener("input", () => text.value.trim() && client.typing(roomId));
  return form;
}
