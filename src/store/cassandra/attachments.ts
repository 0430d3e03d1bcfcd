// The Cassandra side of AttachmentStore (migrations/cassandra/0007_attachments.cql): records by id,
// pending ones with a TTL, completion and claims as lightweight transactions, and the sweep index
// by due hour. Also the claim, bind and release steps a message append takes (messages.ts).
import { conflict } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type { AttachmentRecord, AttachmentStore, NewAttachment, SweepItem } from "../../ports/attachments";
import type { Cql, Row } from "./client";
import { mapLimit } from "./parallel";

const COLUMNS =
  "id, uploader_id, filename, content_type, size, blob_key, status, created_at, expires_at, room_id, message_id";
const HOUR_MS = 3_600_000;
/** The one partition of attachment_sweep_buckets. */
const SHARD = 0;
/** Slack on a pending record's TTL past its expiry, so a completion racing the expiry sees one row. */
export const DEFAULT_TTL_SLACK_SECONDS = 60;
const IN_CHUNK = 100;

const toAttachment = (row: Row): AttachmentRecord => ({
  id: row.id.toString(),
  uploaderId: row.uploader_id.toString(),
  filename: row.filename,
  contentType: row.content_type,
  size: Number(row.size),
  blobKey: row.blob_key,
  status: row.status,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  roomId: row.room_id?.toString() ?? null,
  messageId: row.message_id?.toString() ?? null,
});

const bucketOf = (due: Date) => Math.floor(due.getTime() / HOUR_MS);

const unavailableAttachment = (id: string) =>
  conflict("an attachment cannot be used", [
    { field: "attachment_ids", message: `attachment ${id} is not available`, reason: "unavailable", id },
  ]);

export class CassandraAttachments implements AttachmentStore {
  constructor(
    private readonly cql: Cql,
    private readonly ttlSlackSeconds = DEFAULT_TTL_SLACK_SECONDS,
  ) {}

  /** The sweep entry first, so a record never exists without one. */
  async createAttachment(a: NewAttachment) {
    await this.#index({ id: a.id, blobKey: a.blobKey, status: "pending", due: a.expiresAt });
    const ttl = Math.max(1, Math.ceil((a.expiresAt.getTime() - Date.now()) / 1000) + this.ttlSlackSeconds);
    await this.cql.write(
      `INSERT INTO attachments (id, uploader_id, filename, content_type, size, blob_key, status, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) USING TTL ${ttl}`,
      [a.id, a.uploaderId, a.filename, a.contentType, a.size, a.blobKey, a.createdAt, a.expiresAt],
    );
  }

  async getAttachment(id: string) {
    if (!isUuid(id)) return null;
    const row = await this.cql.one(`SELECT ${COLUMNS} FROM attachments WHERE id = ?`, [id]);
    return row?.status ? toAttachment(row) : null;
  }

  /** One `IN` read per 100 ids, the chunks in parallel. */
  async getAttachments(ids: string[]) {
    const valid = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const chunks: string[][] = [];
    for (let i = 0; i < valid.length; i += IN_CHUNK) chunks.push(valid.slice(i, i + IN_CHUNK));
    const results = await mapLimit(chunks, 8, (chunk) =>
      this.cql.read(`SELECT ${COLUMNS} FROM attachments WHERE id IN ?`, [chunk]),
    );
    return results.flatMap((result) => result.rows.filter((row) => row.status).map(toAttachment));
  }

  /**
   * Rewrites every column with no TTL, as a compare-and-set on pending and unexpired, so the completed
   * record outlives the pending TTL; then drops the pending sweep entry (best effort: a stale entry
   * is dropped by the sweep, which checks the record).
   */
  async completeAttachment(id: string, now: Date) {
    const current = await this.getAttachment(id);
    if (current?.status !== "pending" || current.expiresAt <= now) return null;
    const { applied } = await this.cql.lwt(
      `UPDATE attachments USING TTL 0 SET uploader_id = ?, filename = ?, content_type = ?, size = ?, blob_key = ?,
         status = 'ready', created_at = ?, expires_at = ?
       WHERE id = ? IF status = 'pending' AND expires_at > ?`,
      [
        current.uploaderId,
        current.filename,
        current.contentType,
        current.size,
        current.blobKey,
        current.createdAt,
        current.expiresAt,
        id,
        now,
      ],
      "room",
    );
    if (!applied) return null;
    await this.#unindex({ id, blobKey: current.blobKey, status: "pending", due: current.expiresAt }).catch(() => {});
    return { ...current, status: "ready" as const };
  }

  /** Per record: its sweep entry, then the status change (`IF EXISTS`, so a gone record stays gone). */
  async deleteAttachments(ids: string[], now: Date): Promise<SweepItem[]> {
    const records = (await this.getAttachments(ids)).filter((r) => r.status !== "deleted");
    const marked = await mapLimit(records, 8, async (record) => {
      const item: SweepItem = { id: record.id, blobKey: record.blobKey, status: "deleted", due: now };
      await this.#index(item);
      const { applied } = await this.cql.lwt(
        "UPDATE attachments USING TTL 0 SET status = 'deleted', deleted_at = ? WHERE id = ? IF status = ?",
        [now, record.id, record.status],
        "room",
      );
      return applied ? item : null;
    });
    return marked.filter((item): item is SweepItem => item !== null);
  }

  /**
   * Walks the listed buckets up to `before`, oldest first, reading each one's due rows by clustering
   * range. Each entry is checked against its record: an entry whose upload was completed (or whose
   * deletion is already done) is dropped instead of returned. An empty bucket wholly before `before`
   * leaves the list.
   */
  async dueAttachments(before: Date, limit: number): Promise<SweepItem[]> {
    const due: SweepItem[] = [];
    const buckets = await this.cql.read("SELECT bucket FROM attachment_sweep_buckets WHERE shard = ? AND bucket <= ?", [
      SHARD,
      bucketOf(before),
    ]);
    for (const { bucket } of buckets.rows) {
      if (due.length >= limit) break;
      const rows = (
        await this.cql.read(
          "SELECT bucket, due, id, blob_key, status FROM attachment_sweep WHERE bucket = ? AND due <= ? LIMIT ?",
          [bucket, before, limit - due.length],
        )
      ).rows;
      if (rows.length === 0 && (Number(bucket) + 1) * HOUR_MS <= before.getTime()) {
        await this.cql.write("DELETE FROM attachment_sweep_buckets WHERE shard = ? AND bucket = ?", [SHARD, bucket]);
        continue;
      }
      const entries: SweepItem[] = rows.map((row) => ({
        id: row.id.toString(),
        blobKey: row.blob_key,
        status: row.status,
        due: row.due,
      }));
      const records = new Map((await this.getAttachments(entries.map((e) => e.id))).map((r) => [r.id, r]));
      for (const entry of entries) {
        const record = records.get(entry.id);
        // A pending entry whose record is gone expired by TTL: its object still has to go.
        const live = record ? record.status === entry.status : entry.status === "pending";
        if (live) due.push(entry);
        else await this.#unindex(entry);
      }
    }
    return due;
  }

  async removeAttachment(item: SweepItem) {
    if (!isUuid(item.id)) return;
    await this.cql.lwt("DELETE FROM attachments WHERE id = ? IF status = ?", [item.id, item.status], "room");
    await this.#unindex(item);
  }

  /**
   * Claims ready attachments of the author for a message of `roomId` under a fresh claim id, one
   * compare-and-set each. When one cannot be claimed, those this call claimed are given back and it
   * throws `conflict`. Returns the claim id, for bind().
   */
  async claim(ids: string[], authorId: string, roomId: string): Promise<string> {
    const claim = crypto.randomUUID();
    const taken: string[] = [];
    try {
      for (const id of ids) {
        if (!isUuid(id)) throw unavailableAttachment(id);
        const { applied } = await this.cql.lwt(
          "UPDATE attachments SET room_id = ?, claim = ? WHERE id = ? IF status = 'ready' AND uploader_id = ? AND claim = null",
          [roomId, claim, id, authorId],
          "room",
        );
        if (!applied) throw unavailableAttachment(id);
        taken.push(id);
      }
    } catch (error) {
      await this.release(taken, claim);
      throw error;
    }
    return claim;
  }

  /** Gives claims back (the append they were for failed); best effort, each only if still ours. */
  async release(ids: string[], claim: string) {
    await mapLimit(ids, 8, (id) =>
      this.cql
        .lwt("UPDATE attachments SET room_id = null, claim = null WHERE id = ? IF claim = ?", [id, claim], "room")
        .catch(() => {}),
    );
  }

  /** Names the message that carries the claimed attachments (before its row is written; see messages.ts). */
  async bind(ids: string[], claim: string, messageId: string) {
    await mapLimit(ids, 8, (id) =>
      this.cql.lwt("UPDATE attachments SET message_id = ? WHERE id = ? IF claim = ?", [messageId, id, claim], "room"),
    );
  }

  /**
   * For a message restored from its log entry (its writer died before writing the row): names it on
   * the attachments claimed into its room that name no message yet — the claims that writer took.
   */
  async rebind(ids: string[], roomId: string, messageId: string) {
    await mapLimit(ids.filter(isUuid), 8, (id) =>
      this.cql.lwt(
        "UPDATE attachments SET message_id = ? WHERE id = ? IF room_id = ? AND message_id = null",
        [messageId, id, roomId],
        "room",
      ),
    );
  }

  async #index(item: SweepItem) {
    const bucket = bucketOf(item.due);
    await this.cql.write("INSERT INTO attachment_sweep_buckets (shard, bucket) VALUES (?, ?)", [SHARD, bucket]);
    await this.cql.write("INSERT INTO attachment_sweep (bucket, due, id, blob_key, status) VALUES (?, ?, ?, ?, ?)", [
      bucket,
      item.due,
      item.id,
      item.blobKey,
      item.status,
    ]);
  }

  async #unindex(item: SweepItem) {
    await this.cql.write("DELETE FROM attachment_sweep WHERE bucket = ? AND due = ? AND id = ?", [
      bucketOf(item.due),
      item.due,
      item.id,
    ]);
  }
}
