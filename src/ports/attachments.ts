// The storage port for attachment records: an upload's metadata and state, by id (one partition per
// attachment on a wide-column store), plus an index of what the sweep must clean up. A record goes
// pending (created, bytes not yet verified) → ready (completed) → deleted (its message was deleted)
// → gone. A message claims ready attachments of its author in RoomLogStore.appendMessage.

export type AttachmentStatus = "pending" | "ready" | "deleted";

export type AttachmentRecord = {
  id: string;
  uploaderId: string;
  /** As shown to users: sanitized (domain/attachment-rules.ts). */
  filename: string;
  contentType: string;
  /** Bytes, as declared at creation and verified at completion. */
  size: number;
  /** The object's key in the BlobStore: random, never derived from the filename. */
  blobKey: string;
  status: AttachmentStatus;
  createdAt: Date;
  /** A pending upload can be completed only before this time; then the sweep removes it. */
  expiresAt: Date;
  /** The room of the message that claimed it; null while unclaimed. */
  roomId: string | null;
  /**
   * The message that carries it; null while unclaimed, and for a moment while a claiming send is
   * being stored (the claim takes the room first, the message id once the message has one).
   */
  messageId: string | null;
};

export type NewAttachment = Omit<AttachmentRecord, "status" | "roomId" | "messageId">;

/** What the sweep removes: the record's id and its object's key. */
export type SweepItem = { id: string; blobKey: string; status: "pending" | "deleted"; due: Date };

export interface AttachmentStore {
  /** Stores a pending record. */
  createAttachment(attachment: NewAttachment): Promise<void>;
  /**
   * The record, or null when unknown or gone. A pending record past its expiry may read as null
   * (Cassandra lets it expire by TTL) or as the pending record (SQLite keeps it until the sweep).
   */
  getAttachment(id: string): Promise<AttachmentRecord | null>;
  /** The records of those ids that exist (same rules as getAttachment), in any order; one round trip per call. */
  getAttachments(ids: string[]): Promise<AttachmentRecord[]>;
  /**
   * pending → ready, compare-and-set, only while `now` is before its expiry. Returns the ready record;
   * null when it is not pending (or has expired). Of concurrent calls exactly one gets the record.
   */
  completeAttachment(id: string, now: Date): Promise<AttachmentRecord | null>;
  /**
   * Marks the records deleted: they are never shown, downloaded or claimed again, and are due for the
   * sweep from `now` on. Returns what this call marked (for an immediate removeAttachment); records
   * deleted before and unknown ids are left out. Idempotent.
   */
  deleteAttachments(ids: string[], now: Date): Promise<SweepItem[]>;
  /**
   * What the sweep must remove by `before`: pending records that expired at or before it and deleted
   * records deleted at or before it, at most `limit`, oldest first where the store can tell.
   */
  dueAttachments(before: Date, limit: number): Promise<SweepItem[]>;
  /**
   * Forgets the record once its object is gone, only if it is still in `status` (a record completed
   * meanwhile stays). Idempotent.
   */
  removeAttachment(item: SweepItem): Promise<void>;
}
