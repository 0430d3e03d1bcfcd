// The embedded blob store: objects as files under <data-dir>/blobs, uploaded and downloaded through
// chatd's own signed URLs (`PUT/GET /v1/blobs/{key}?expires=&sig=`, HMAC; see signing.ts). Uploads
// stream to a temporary file and are linked into place once whole (atomic, and never over an
// existing object); a key must match the strict key pattern before it touches a path.
import { constants } from "node:fs";
import { access, link, mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isBlobKey } from "../../domain/attachment-rules";
import { conflict, forbidden, notFound, payloadTooLarge, unavailable, validationFailed } from "../../domain/errors";
import type {
  BlobDownload,
  BlobEndpoint,
  BlobObject,
  BlobPut,
  BlobStore,
  DownloadSpec,
  SignedUrl,
  UploadSpec,
} from "../../ports/blob";
import { loadSigningKey, UrlSigner } from "./signing";

export type FsBlobOptions = {
  /** The directory objects live in (`<data-dir>/blobs`). */
  dir: string;
  /** Where clients reach chatd (PUBLIC_URL, or the server's own address), without a trailing slash. */
  baseUrl: () => string;
  maxBytes: number;
  /** Clock for signing and verifying (ms); the real one when absent. */
  now?: () => number;
};

const PREFIX = "/v1/blobs/";

export class FsBlobStore implements BlobStore, BlobEndpoint {
  readonly endpoint: BlobEndpoint = this;
  readonly maxBytes: number;
  readonly #dir: string;
  readonly #tmp: string;
  readonly #signer: UrlSigner;
  readonly #baseUrl: () => string;
  readonly #now: () => number;

  constructor(options: FsBlobOptions) {
    this.#dir = options.dir;
    this.#tmp = join(options.dir, ".tmp");
    this.maxBytes = options.maxBytes;
    this.#baseUrl = options.baseUrl;
    this.#now = options.now ?? Date.now;
    this.#signer = new UrlSigner(loadSigningKey(join(options.dir, ".signing-key")));
  }

  async prepare() {
    await mkdir(this.#tmp, { recursive: true });
  }

  async ping() {
    try {
      await access(this.#dir, constants.W_OK);
    } catch (error) {
      throw unavailable("blobs", error);
    }
  }

  async close() {}

  /** The URLs are chatd's own (`/v1/blobs/`): no other origin. */
  async urlOrigin() {
    return null;
  }

  async signUpload(key: string, spec: UploadSpec, ttlMs: number): Promise<SignedUrl> {
    const expires = this.#expiry(ttlMs);
    const sig = this.#signer.sign({
      method: "PUT",
      key: this.#checked(key),
      expires,
      bound: [String(spec.size), spec.contentType],
    });
    const query = new URLSearchParams({ expires: String(expires), sig });
    return {
      url: `${this.#baseUrl()}${PREFIX}${key}?${query}`,
      method: "PUT",
      headers: { "content-type": spec.contentType },
      expiresAt: new Date(expires * 1000),
    };
  }

  async signDownload(key: string, spec: DownloadSpec, ttlMs: number): Promise<SignedUrl> {
    const expires = this.#expiry(ttlMs);
    const bound = [spec.contentType, spec.contentDisposition];
    const sig = this.#signer.sign({ method: "GET", key: this.#checked(key), expires, bound });
    const query = new URLSearchParams({
      expires: String(expires),
      type: spec.contentType,
      disposition: spec.contentDisposition,
      sig,
    });
    return {
      url: `${this.#baseUrl()}${PREFIX}${key}?${query}`,
      method: "GET",
      headers: {},
      expiresAt: new Date(expires * 1000),
    };
  }

  async stat(key: string): Promise<BlobObject | null> {
    const path = this.#path(key);
    try {
      const [file, type] = await Promise.all([stat(path), readFile(`${path}.type`, "utf8").catch(() => null)]);
      return { size: file.size, contentType: type?.trim() || null };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw unavailable("blobs", error);
    }
  }

  async delete(key: string) {
    const path = this.#path(key);
    try {
      await Promise.all([rm(path, { force: true }), rm(`${path}.type`, { force: true })]);
    } catch (error) {
      throw unavailable("blobs", error);
    }
  }

  /**
   * The signature covers the declared Content-Length and Content-Type, so a PUT of another length or
   * type fails it (403) like an expired or tampered URL. The body is counted as it streams to a
   * temporary file; it must be exactly the declared length. The object's type is written next to it
   * first, then the data is linked into place: an object either exists whole or not at all.
   */
  async receive(key: string, put: BlobPut): Promise<void> {
    if (put.contentLength === null) {
      throw validationFailed("an upload needs a Content-Length", [{ field: "content-length", message: "required" }]);
    }
    if (put.contentLength > this.maxBytes) throw payloadTooLarge(this.maxBytes);
    this.#verify("PUT", key, put.query, [String(put.contentLength), put.contentType ?? ""]);
    const path = this.#path(key);
    if (await exists(path)) throw conflict("this object was uploaded already");
    await mkdir(this.#tmp, { recursive: true });
    const tmp = join(this.#tmp, `${key}.${crypto.randomUUID()}`);
    try {
      const written = await streamTo(tmp, put.body, put.contentLength);
      if (written !== put.contentLength) {
        throw validationFailed("the body is shorter than its Content-Length", [
          { field: "body", message: `got ${written} of ${put.contentLength} bytes` },
        ]);
      }
      await mkdir(join(this.#dir, key.slice(0, 2)), { recursive: true });
      await writeAtomically(`${path}.type`, put.contentType ?? "", this.#tmp);
      try {
        await link(tmp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") throw conflict("this object was uploaded already");
        throw error;
      }
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  async open(key: string, query: Record<string, string | undefined>): Promise<BlobDownload> {
    const contentType = query.type ?? "";
    const contentDisposition = query.disposition ?? "";
    const expires = this.#verify("GET", key, query, [contentType, contentDisposition]);
    const file = Bun.file(this.#path(key));
    if (!(await file.exists())) throw notFound("object");
    return {
      body: file,
      size: file.size,
      contentType,
      contentDisposition,
      maxAgeSeconds: Math.max(0, expires - Math.floor(this.#now() / 1000)),
    };
  }

  /** Checks the URL's signature and expiry (403 either way, with one message); returns the expiry. */
  #verify(method: "PUT" | "GET", key: string, query: Record<string, string | undefined>, bound: string[]): number {
    const raw = query.expires ?? "";
    const expires = /^\d{1,12}$/.test(raw) ? Number(raw) : Number.NaN;
    const valid =
      isBlobKey(key) &&
      Number.isSafeInteger(expires) &&
      this.#signer.verify({ method, key, expires, bound }, query.sig) &&
      expires * 1000 > this.#now();
    if (!valid) throw forbidden("the signed URL is invalid or has expired");
    return expires;
  }

  /** Whole seconds, rounded down: the URL is valid until then. */
  #expiry(ttlMs: number) {
    return Math.floor((this.#now() + ttlMs) / 1000);
  }

  #checked(key: string) {
    if (!isBlobKey(key)) throw new Error("invalid blob key");
    return key;
  }

  /** `<dir>/<first two characters>/<key>`: keys match BLOB_KEY, so no key leaves the directory. */
  #path(key: string) {
    return join(this.#dir, this.#checked(key).slice(0, 2), key);
  }
}

async function exists(path: string) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes the stream to a new file, refusing more than `limit` bytes as they arrive; returns the count. */
async function streamTo(path: string, body: ReadableStream<Uint8Array> | null, limit: number): Promise<number> {
  const file = await open(path, "wx", 0o600);
  let total = 0;
  try {
    if (body) {
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (total > limit) throw payloadTooLarge(limit);
        await file.write(chunk);
      }
    }
    await file.sync();
  } finally {
    await file.close();
  }
  return total;
}

async function writeAtomically(path: string, text: string, tmpDir: string) {
  const tmp = join(tmpDir, `meta.${crypto.randomUUID()}`);
  const file = await open(tmp, "wx", 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}
