// The attachment blob port: where the bytes of attachments live — a local directory embedded, an
// S3-compatible store in production. Clients never send bytes through chatd's JSON API: they PUT them
// to a signed upload URL and GET them from a signed download URL, both short-lived. Keys are opaque to
// the store: chatd makes them random (see domain/attachment-rules.ts) and never from a filename.

export type SignedUrl = {
  url: string;
  method: "GET" | "PUT";
  /** Headers the client must send with the request (exactly these values). */
  headers: Record<string, string>;
  expiresAt: Date;
};

/** What an upload URL is bound to: a PUT with another length or type is refused by the store. */
export type UploadSpec = { contentType: string; size: number };

/** What the download answers with, whatever the object was stored with. */
export type DownloadSpec = { contentType: string; contentDisposition: string };

/** A stored object; `contentType` is null when the store kept none. */
export type BlobObject = { size: number; contentType: string | null };

export interface BlobStore {
  /**
   * A URL the client PUTs exactly `spec.size` bytes of `spec.contentType` to (with `headers`), valid
   * until `expiresAt` (now + ttlMs, rounded down to the second). The store refuses an expired or
   * tampered URL, and a PUT of another length or content type, with 403.
   */
  signUpload(key: string, spec: UploadSpec, ttlMs: number): Promise<SignedUrl>;
  /**
   * A URL that GETs the object with the given Content-Type and Content-Disposition, valid until
   * `expiresAt`; an expired or tampered one is refused with 403.
   */
  signDownload(key: string, spec: DownloadSpec, ttlMs: number): Promise<SignedUrl>;
  /** The object's size and content type, or null when it does not exist. Throws `unavailable`. */
  stat(key: string): Promise<BlobObject | null>;
  /** Removes the object; idempotent (a missing object is fine). Throws `unavailable`. */
  delete(key: string): Promise<void>;
  /**
   * The store's own HTTP endpoint, for a store whose URLs chatd itself serves (the embedded one, at
   * `PUT/GET /v1/blobs/{key}`); null for a store that serves its URLs itself (S3).
   */
  readonly endpoint: BlobEndpoint | null;
  /**
   * The origin (`scheme://host[:port]`) of every URL the store signs when clients reach it elsewhere
   * than at chatd (S3: the bucket's endpoint as clients see it), so the web app's CSP can allow
   * exactly that origin; null when the URLs are chatd's own (`endpoint` is set). Computed without I/O.
   */
  urlOrigin(): Promise<string | null>;
  /** Makes the store ready (S3: creates the bucket when it is missing). Idempotent. */
  prepare(): Promise<void>;
  /** Resolves when the store answers; throws `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A PUT to an upload URL, as the endpoint needs it. */
export type BlobPut = {
  /** The URL's query parameters (the signature and its expiry). */
  query: Record<string, string | undefined>;
  contentType: string | null;
  /** The declared Content-Length; null when the request has none. */
  contentLength: number | null;
  body: ReadableStream<Uint8Array> | null;
};

/** What a GET of a download URL answers. */
export type BlobDownload = {
  body: Blob;
  size: number;
  contentType: string;
  contentDisposition: string;
  /** Seconds the signed URL stays valid: how long a client may cache the answer. */
  maxAgeSeconds: number;
};

export interface BlobEndpoint {
  /** The largest object the endpoint accepts; larger is refused before the body is read. */
  readonly maxBytes: number;
  /**
   * Stores the body of a PUT to a URL `signUpload` made, streamed (never held in memory whole) and
   * put in place atomically once complete. Throws `forbidden` (bad, expired or tampered signature, or
   * another length or type than signed), `validation_failed` (no Content-Length, a body shorter than
   * declared), `payload_too_large`, `conflict` (the object exists already: objects are written once).
   */
  receive(key: string, put: BlobPut): Promise<void>;
  /** The object of a GET to a URL `signDownload` made. Throws `forbidden` or `not_found`. */
  open(key: string, query: Record<string, string | undefined>): Promise<BlobDownload>;
}
