// Attachments in the web app: an "Attach file" picker on the composer that uploads each chosen file
// at once (the SDK's uploadAttachment, with progress) and lists it with its state until the message
// goes, and what a message shows of its files: images inline (alt = the filename), other files as
// download links named by the filename. Download URLs are short-lived: asked for per attachment when
// shown, and kept until shortly before they expire.
import type { Attachment, ChatClient, Message, MessageAttachment } from "../../../clients/js/src";
import { describe, h, replace, uid } from "../dom";
import type { ChatExtension, ComposerContext, ComposerTool } from "../extensions";

/** What the server serves inline (the rest downloads as a file). */
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
/** A message carries at most this many. */
const MAX_FILES = 10;
/** A cached download URL is used only while it stays valid at least this much longer. */
const MIN_VALID_MS = 30_000;

export const formatSize = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1048576).toFixed(1)} MB`;

type Upload = {
  file: File;
  state: "uploading" | "ready" | "failed";
  sent: number;
  attachment?: Attachment;
  error?: string;
  controller: AbortController;
  row: HTMLLIElement;
};

function composerTool({ client }: ComposerContext): ComposerTool {
  const input = h("input", { type: "file", multiple: true, class: "file-input" });
  input.id = uid("attach");
  const list = h("ul", { class: "uploads", "aria-label": "Files to send", "aria-live": "polite" });
  const uploads: Upload[] = [];

  const show = (upload: Upload) => {
    const { file, state } = upload;
    const percent = file.size ? Math.floor((upload.sent / file.size) * 100) : 100;
    const text =
      state === "uploading" ? `Uploading ${percent}%` : state === "ready" ? "Ready" : `Failed: ${upload.error}`;
    const remove = h("button", { type: "button", class: "remove" }, `Remove ${file.name}`);
    remove.addEventListener("click", () => {
      upload.controller.abort();
      uploads.splice(uploads.indexOf(upload), 1);
      upload.row.remove();
    });
    upload.row.dataset.state = state;
    replace(
      upload.row,
      h("span", { class: "name" }, file.name),
      " ",
      h("span", { class: "size" }, formatSize(file.size)),
      state === "uploading" ? h("progress", { max: 100, value: percent, "aria-label": `Uploading ${file.name}` }) : "",
      h("span", { class: "state" }, text),
      remove,
    );
  };

  const start = (file: File) => {
    const upload: Upload = { file, state: "uploading", sent: 0, controller: new AbortController(), row: h("li", {}) };
    uploads.push(upload);
    list.append(upload.row);
    const fail = (error: string) => {
      upload.state = "failed";
      upload.error = error;
      show(upload);
    };
    if (uploads.length > MAX_FILES) return fail(`at most ${MAX_FILES} files per message`);
    if (!file.type) return fail("this kind of file cannot be attached");
    show(upload);
    client
      .uploadAttachment(file, {
        signal: upload.controller.signal,
        onProgress: (sent) => {
          upload.sent = sent;
          if (upload.state === "uploading") show(upload);
        },
      })
      .then(
        (attachment) => {
          upload.state = "ready";
          upload.attachment = attachment;
          show(upload);
        },
        (error) => upload.controller.signal.aborted || fail(describe(error)),
      );
  };

  input.addEventListener("change", () => {
    for (const file of input.files ?? []) start(file);
    input.value = "";
  });

  const blocked = () => {
    if (uploads.some((u) => u.state === "uploading")) return "Wait until the files have uploaded, or remove them.";
    if (uploads.some((u) => u.state === "failed")) return "Remove the files that could not be uploaded first.";
    return null;
  };
  const take = () => {
    const ready = uploads.splice(0);
    list.replaceChildren();
    if (ready.length === 0) return {};
    return {
      attachmentIds: ready.map((u) => u.attachment!.id),
      fallbackContent: ready.map((u) => u.file.name).join(", "),
    };
  };

  // The input stays in the page (and focusable) but looks like the label, which says what it does.
  const picker = h("div", { class: "attach" }, input, h("label", { for: input.id }, "Attach file"));
  return { nodes: [picker, list], blocked, holds: () => uploads.length > 0, take };
}

type Signed = { url: string; expiresAt: number };
/** The latest download URL of each attachment shown, and the request for one in flight. */
const signed = new Map<string, Signed>();
const asking = new Map<string, Promise<string>>();

const valid = (id: string) => {
  const known = signed.get(id);
  return known && known.expiresAt - Date.now() > MIN_VALID_MS ? known.url : null;
};

/** A download URL valid for a while longer (asked for again once the known one is about to expire). */
function downloadUrl(client: ChatClient, id: string): Promise<string> {
  const url = valid(id);
  if (url) return Promise.resolve(url);
  let request = asking.get(id);
  if (!request) {
    request = client.api.attachments.get(id).then((a) => {
      const fresh = { url: a.download_url ?? "", expiresAt: a.expires_at ? Date.parse(a.expires_at) : 0 };
      signed.set(id, fresh);
      return fresh.url;
    });
    asking.set(id, request);
    const done = () => asking.delete(id);
    request.then(done, done);
  }
  return request;
}

function image(attachment: MessageAttachment, client: ChatClient) {
  const img = h("img", { alt: attachment.filename, class: "attachment-image" });
  downloadUrl(client, attachment.id).then(
    (url) => {
      img.src = url;
    },
    () => img.replaceWith(h("span", { class: "muted" }, `${attachment.filename} (unavailable)`)),
  );
  return img;
}

function fileLink(attachment: MessageAttachment, client: ChatClient) {
  const link = h("a", { class: "attachment-file", download: attachment.filename }, attachment.filename);
  const resolve = () =>
    downloadUrl(client, attachment.id).then(
      (url) => {
        link.href = url;
      },
      () => link.removeAttribute("href"),
    );
  void resolve();
  // A page left open keeps its links: one whose URL is about to expire gets a fresh one first.
  link.addEventListener("click", (event) => {
    if (valid(attachment.id)) return;
    event.preventDefault();
    void resolve().then(() => valid(attachment.id) && link.click());
  });
  return h("span", {}, link, ` (${formatSize(attachment.size)})`);
}

function messageNodes(message: Message, client: ChatClient): Node[] {
  if (message.deleted || message.attachments.length === 0) return [];
  const items = message.attachments.map((a) =>
    h("li", {}, INLINE_IMAGES.has(a.content_type) ? image(a, client) : fileLink(a, client)),
  );
  return [h("ul", { class: "files", "aria-label": "Attachments" }, ...items)];
}

export const attachmentsExtension: ChatExtension = { composer: composerTool, message: messageNodes };
