// Attachments in one call: ask chatd for an upload (POST /v1/attachments), PUT the bytes to the signed
// URL it answers (straight to the blob store, which may be another origin: no chatd token goes with
// them), and complete it (POST /v1/attachments/{id}/complete). The answer is a ready attachment whose
// id a message send takes in `attachment_ids`.
import type { Api } from "./api";
import { errorFromResponse } from "./errors";
import type { Fetch } from "./http";
import type { Attachment, AttachmentUpload } from "./types";

export type UploadOptions = {
  /** Default: the File's own name (a Blob has none: then it is required). */
  filename?: string;
  /**
   * Default: the Blob's type without parameters (some platforms add `;charset=utf-8` to text). Must
   * be one the server allows (ATTACHMENT_CONTENT_TYPES).
   */
  contentType?: string;
  /**
   * Bytes sent so far of `total`. In a browser the upload reports as it goes (XMLHttpRequest: fetch
   * has no upload progress); elsewhere once, when the bytes are stored.
   */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
};

export type UploadDeps = { api: Api; fetch?: Fetch };

/** What the upload needs of the browser's XMLHttpRequest (absent in Bun and Node). */
type Xhr = {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  getResponseHeader(name: string): string | null;
  send(body: Blob): void;
  abort(): void;
  readonly status: number;
  readonly responseText: string;
  upload: { onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
};
const XhrClass = () => (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;

/**
 * Uploads `data` and answers the ready attachment. Throws ChatdError when chatd refuses a step (a
 * size past ATTACHMENT_MAX_BYTES is 413, a type not allowed 400) or the store refuses the PUT (403
 * for an expired URL; its body may not be chatd's error shape, then the code is `http_<status>`).
 */
export async function uploadAttachment(deps: UploadDeps, data: Blob, options: UploadOptions = {}): Promise<Attachment> {
  const filename = options.filename ?? (data as Partial<File>).name;
  if (!filename) throw new TypeError("uploadAttachment: a Blob needs options.filename");
  const contentType = options.contentType || data.type.split(";")[0]!.trim().toLowerCase();
  if (!contentType) throw new TypeError("uploadAttachment: the Blob has no type; pass options.contentType");
  const ticket = await deps.api.attachments.create({ filename, content_type: contentType, size: data.size });
  const progress = options.onProgress;
  const Xhr = XhrClass();
  if (progress && Xhr) await putWithProgress(new Xhr(), ticket, data, progress, options.signal);
  else {
    await put(deps.fetch ?? ((input, init) => globalThis.fetch(input, init)), ticket, data, options.signal);
    progress?.(data.size, data.size);
  }
  return deps.api.attachments.complete(ticket.id);
}

async function put(fetch: Fetch, ticket: AttachmentUpload, data: Blob, signal?: AbortSignal) {
  const response = await fetch(ticket.upload_url, {
    method: ticket.upload_method,
    headers: ticket.upload_headers,
    body: data,
    signal,
  });
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, parse(text), response.headers);
}

/** The same PUT through XMLHttpRequest, the one browser API that reports upload progress. */
function putWithProgress(
  xhr: Xhr,
  ticket: AttachmentUpload,
  data: Blob,
  progress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    xhr.open(ticket.upload_method, ticket.upload_url);
    for (const [name, value] of Object.entries(ticket.upload_headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => progress(event.loaded, event.lengthComputable ? event.total : data.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        progress(data.size, data.size);
        return resolve();
      }
      const headers = new Headers();
      const retryAfter = xhr.getResponseHeader("retry-after");
      if (retryAfter) headers.set("retry-after", retryAfter);
      reject(errorFromResponse(xhr.status, parse(xhr.responseText), headers));
    };
    // A network failure, as fetch reports one.
    xhr.onerror = () => reject(new TypeError("upload failed: network error"));
    xhr.onabort = () => reject(signal?.reason ?? new DOMException("upload aborted", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(data);
  });
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
