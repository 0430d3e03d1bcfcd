// Attachments: the upload flow (create a pending record and a signed upload URL, complete it once the
// object is verified), who may see and download one, the attachments a message may carry and how
// messages show them, and the clean-up of expired uploads and of deleted messages' objects.
import type { Logger } from "../log";
import type { AttachmentRecord, AttachmentStore, SweepItem } from "../ports/attachments";
import type { BlobStore } from "../ports/blob";
import type { Limiter } from "../ports/limiter";
import type { MessageRecord } from "../ports/messages";
import { contentDisposition, newBlobKey, sanitizeFilename } from "./attachment-rules";
import { AppError, conflict, notFound, payloadTooLarge, rateLimited, validationFailed } from "./errors";
import type { Rooms } from "./rooms";
import type { AttachmentView } from "./views";

export type AttachmentSettings = {
  maxBytes: number;
  /** Allowed content types, lowercase `type/subtype`. */
  contentTypes: readonly string[];
  /** Upload URL and pending record lifetime. */
  uploadTtlMs: number;
  /** Uploads one user may start per minute (POST /v1/attachments). */
  uploadsPerMinute: number;
  downloadTtlMs: number;
};

export type AttachmentDeps = {
  store: AttachmentStore;
  blobs: BlobStore;
  rooms: Pick<Rooms, "membership">;
  limiter: Limiter;
  settings: AttachmentSettings;
  log: Logger;
  now?: () => Date;
};

/** A message carries at most this many attachments. */
export const MAX_ATTACHMENTS = 10;
/**
 * The sweep leaves an expired upload alone this long after its expiry, so a completion that passed
 * its expiry check on a process whose clock lags cannot lose its object to the sweep.
 */
export const SWEEP_GRACE_MS = 5 * 60_000;
const SWEEP_BATCH = 100;

export type UploadTicket = {
  id: string;
  upload_url: string;
  upload_method: "PUT";
  upload_headers: Record<string, string>;
  expires_at: string;
};

export type AttachmentDetail = AttachmentView & {
  status: "pending" | "ready";
  /** Null while pending (there is nothing to download yet). */
  download_url: string | null;
  /** When download_url stops working; null with it. */
  expires_at: string | null;
};

export const attachmentView = (a: AttachmentRecord): AttachmentView => ({
  id: a.id,
  filename: a.filename,
  content_type: a.contentType,
  size: a.size,
});

const gone = () => notFound("attachment");

export class Attachments {
  readonly #now: () => Date;

  constructor(private readonly deps: AttachmentDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * A pending attachment and the URL to PUT its bytes to. The filename is sanitized (never used as
   * a key: the key is random), the type must be allowed and the size within ATTACHMENT_MAX_BYTES.
   */
  async create(userId: string, input: { filename: string; contentType: string; size: number }): Promise<UploadTicket> {
    const { settings } = this.deps;
    const filename = sanitizeFilename(input.filename);
    if (!filename) {
      throw validationFailed("filename has no usable characters", [
        { field: "filename", message: "must contain visible characters besides dots and slashes" },
      ]);
    }
    const contentType = input.contentType.trim().toLowerCase();
    if (!settings.contentTypes.includes(contentType)) {
      throw validationFailed("this content type is not allowed", [
        { field: "content_type", message: `must be one of ${settings.contentTypes.join(", ")}`, reason: "not_allowed" },
      ]);
    }
    if (input.size > settings.maxBytes) throw payloadTooLarge(settings.maxBytes);
    // Counted once the request is valid: a refused one costs nothing. Every ticket is a pending record
    // and a URL that may store up to maxBytes until it expires, so their pace is bounded per user.
    const decision = await this.deps.limiter.consume(`uploads:${userId}`, {
      limit: settings.uploadsPerMinute,
      periodMs: 60_000,
    });
    if (!decision.allowed) throw rateLimited("uploads", decision.retryAfterMs, "starting uploads too fast");
    const now = this.#now();
    const record = {
      id: crypto.randomUUID(),
      uploaderId: userId,
      filename,
      contentType,
      size: input.size,
      blobKey: newBlobKey(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + settings.uploadTtlMs),
    };
    // The record first: no URL is handed out for an object the sweep would not know of.
    await this.deps.store.createAttachment(record);
    const upload = await this.deps.blobs.signUpload(
      record.blobKey,
      { contentType, size: input.size },
      settings.uploadTtlMs,
    );
    return {
      id: record.id,
      upload_url: upload.url,
      upload_method: "PUT",
      upload_headers: upload.headers,
      // The earlier of the two: the URL's expiry is whole seconds on the store's clock.
      expires_at: new Date(Math.min(record.expiresAt.getTime(), upload.expiresAt.getTime())).toISOString(),
    };
  }

  /**
   * Verifies the uploaded object and marks the attachment ready; only the uploader, before it expires
   * (404 otherwise). No object yet: 409, the upload may still be made. An object of another size or
   * type: 409, and the object is removed (the upload may be made again until it expires). Idempotent:
   * a ready attachment answers as it is.
   */
  async complete(userId: string, id: string): Promise<AttachmentDetail> {
    const record = await this.deps.store.getAttachment(id);
    if (!record || record.uploaderId !== userId || record.status === "deleted") throw gone();
    if (record.status === "ready") return this.#detail(record);
    if (record.expiresAt <= this.#now()) throw gone();
    const object = await this.deps.blobs.stat(record.blobKey);
    if (!object) {
      throw conflict("nothing was uploaded yet: PUT the bytes to upload_url first", [
        { field: "id", message: "no object at the upload URL", reason: "not_uploaded" },
      ]);
    }
    const mismatch = [
      ...(object.size !== record.size
        ? [{ field: "size", message: `declared ${record.size} bytes, got ${object.size}` }]
        : []),
      ...(object.contentType !== null && object.contentType.toLowerCase() !== record.contentType
        ? [{ field: "content_type", message: `declared ${record.contentType}, got ${object.contentType}` }]
        : []),
    ];
    if (mismatch.length > 0) {
      await this.deps.blobs.delete(record.blobKey);
      throw conflict("the uploaded object does not match the declared size and type; it was removed", mismatch);
    }
    const ready = await this.deps.store.completeAttachment(id, this.#now());
    if (ready) return this.#detail(ready);
    // Lost a race: a concurrent completion won (ready), or it expired meanwhile.
    const again = await this.deps.store.getAttachment(id);
    if (again?.status === "ready") return this.#detail(again);
    throw gone();
  }

  /**
   * The attachment with a fresh download URL, for its uploader and for the members of the room of the
   * message that carries it (not after leaving or while banned); 404 for everyone else, and for
   * everyone once its message was deleted.
   */
  async get(userId: string, id: string): Promise<AttachmentDetail> {
    const record = await this.deps.store.getAttachment(id);
    if (!record || record.status === "deleted") throw gone();
    if (record.uploaderId !== userId) {
      if (!record.roomId || !record.messageId || record.status !== "ready") throw gone();
      await this.deps.rooms.membership(userId, record.roomId).catch((error) => {
        throw error instanceof AppError && error.status < 500 ? gone() : error;
      });
    }
    if (record.status === "pending" && record.expiresAt <= this.#now()) throw gone();
    return this.#detail(record);
  }

  /**
   * The attachments a new message of `userId` may carry, in the order given: at most MAX_ATTACHMENTS,
   * no repeats, each the author's own (400 otherwise, the same answer for someone else's as for an
   * unknown one), ready (409 `not_ready`) and on no other message (409 `in_use`). The store's claim
   * at append time decides races between concurrent sends.
   */
  async forNewMessage(userId: string, ids: string[]): Promise<AttachmentRecord[]> {
    if (ids.length === 0) return [];
    if (ids.length > MAX_ATTACHMENTS) {
      throw validationFailed(`a message carries at most ${MAX_ATTACHMENTS} attachments`, [
        { field: "attachment_ids", message: `at most ${MAX_ATTACHMENTS}` },
      ]);
    }
    const normalized = ids.map((id) => id.toLowerCase());
    if (new Set(normalized).size !== normalized.length) {
      throw validationFailed("an attachment is listed twice", [
        { field: "attachment_ids", message: "must not repeat" },
      ]);
    }
    const found = new Map((await this.deps.store.getAttachments(normalized)).map((a) => [a.id, a]));
    const records = normalized.map((id) => {
      const record = found.get(id);
      if (!record || record.uploaderId !== userId || record.status === "deleted") {
        throw validationFailed("unknown attachment", [
          { field: "attachment_ids", message: `attachment ${id} not found` },
        ]);
      }
      return record;
    });
    for (const record of records) {
      if (record.status !== "ready")
        throw conflict("an attachment is not ready: complete its upload first", [
          {
            field: "attachment_ids",
            message: `attachment ${record.id} is not ready`,
            reason: "not_ready",
            id: record.id,
          },
        ]);
      if (record.roomId !== null)
        throw conflict("an attachment is already on a message", [
          {
            field: "attachment_ids",
            message: `attachment ${record.id} is already used`,
            reason: "in_use",
            id: record.id,
          },
        ]);
    }
    return records;
  }

  /**
   * The attachments of each message, by message id, as messages show them: one store read for all of
   * them. A tombstone shows none; an attachment is shown only while it is ready and claimed into the
   * message's room (not once its message was deleted).
   */
  async ofMessages(messages: MessageRecord[]): Promise<Map<string, AttachmentView[]>> {
    const shown = new Map<string, AttachmentView[]>();
    const carrying = messages.filter((m) => !m.deleted && m.attachmentIds.length > 0);
    if (carrying.length === 0) return shown;
    const records = new Map(
      (await this.deps.store.getAttachments(carrying.flatMap((m) => m.attachmentIds))).map((a) => [a.id, a]),
    );
    for (const message of carrying) {
      shown.set(
        message.id,
        message.attachmentIds.flatMap((id) => {
          const record = records.get(id.toLowerCase());
          return record && record.status === "ready" && record.roomId === message.roomId
            ? [attachmentView(record)]
            : [];
        }),
      );
    }
    return shown;
  }

  /**
   * A message carrying these attachments is being deleted: they stop being shown and downloadable at
   * once (marked deleted in the store, before the message's tombstone), then their objects and
   * records are removed. Removal is best effort here; whatever fails is left to the sweep.
   */
  async discard(ids: string[]): Promise<SweepItem[]> {
    if (ids.length === 0) return [];
    return this.deps.store.deleteAttachments(ids, this.#now());
  }

  /** Removes the objects and records discard() marked, now (what fails waits for the sweep). */
  async purge(items: SweepItem[]) {
    await Promise.all(items.map((item) => this.#remove(item)));
  }

  /**
   * One round of clean-up: expired uploads (past their expiry by SWEEP_GRACE_MS) and deleted
   * messages' attachments lose their object, then their record. Returns how many were removed; a
   * failure leaves the item for the next round.
   */
  async sweep(): Promise<number> {
    const before = new Date(this.#now().getTime() - SWEEP_GRACE_MS);
    let removed = 0;
    for (;;) {
      const due = await this.deps.store.dueAttachments(before, SWEEP_BATCH);
      const results = await Promise.all(due.map((item) => this.#remove(item)));
      const done = results.filter(Boolean).length;
      removed += done;
      if (due.length < SWEEP_BATCH || done === 0) return removed;
    }
  }

  async #remove(item: SweepItem): Promise<boolean> {
    try {
      await this.deps.blobs.delete(item.blobKey);
      await this.deps.store.removeAttachment(item);
      return true;
    } catch (error) {
      this.deps.log.warn("attachment clean-up failed; the sweep retries", { attachment_id: item.id, error });
      return false;
    }
  }

  async #detail(record: AttachmentRecord): Promise<AttachmentDetail> {
    const base = {
      ...attachmentView(record),
      status: record.status === "ready" ? ("ready" as const) : ("pending" as const),
    };
    if (record.status !== "ready") return { ...base, download_url: null, expires_at: null };
    const download = await this.deps.blobs.signDownload(
      record.blobKey,
      { contentType: record.contentType, contentDisposition: contentDisposition(record.filename, record.contentType) },
      this.deps.settings.downloadTtlMs,
    );
    return { ...base, download_url: download.url, expires_at: download.expiresAt.toISOString() };
  }
}
