// The SQLite side of AttachmentStore, and the claim a message append makes inside its transaction.
import type { Database } from "bun:sqlite";
import { conflict } from "../../domain/errors";
import type { AttachmentRecord, AttachmentStore, NewAttachment, SweepItem } from "../../ports/attachments";

type Run = <T>(work: (db: Database) => T) => T;

type AttachmentRow = {
  id: string;
  uploader_id: string;
  filename: string;
  content_type: string;
  size: number;
  blob_key: string;
  status: AttachmentRecord["status"];
  created_at: number;
  expires_at: number;
  room_id: string | null;
  message_id: string | null;
};

const COLUMNS =
  "id, uploader_id, filename, content_type, size, blob_key, status, created_at, expires_at, room_id, message_id";

const toAttachment = (row: AttachmentRow): AttachmentRecord => ({
  id: row.id,
  uploaderId: row.uploader_id,
  filename: row.filename,
  contentType: row.content_type,
  size: row.size,
  blobKey: row.blob_key,
  status: row.status,
  createdAt: new Date(row.created_at),
  expiresAt: new Date(row.expires_at),
  roomId: row.room_id,
  messageId: row.message_id,
});

export class SqliteAttachments implements AttachmentStore {
  constructor(private readonly run: Run) {}

  async createAttachment(a: NewAttachment) {
    this.run((db) =>
      db
        .query(
          `INSERT INTO attachments (id, uploader_id, filename, content_type, size, blob_key, status, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          a.id,
          a.uploaderId,
          a.filename,
          a.contentType,
          a.size,
          a.blobKey,
          a.createdAt.getTime(),
          a.expiresAt.getTime(),
        ),
    );
  }

  async getAttachment(id: string) {
    const row = this.run((db) =>
      db.query<AttachmentRow, [string]>(`SELECT ${COLUMNS} FROM attachments WHERE id = ?`).get(id),
    );
    return row ? toAttachment(row) : null;
  }

  async getAttachments(ids: string[]) {
    if (ids.length === 0) return [];
    const rows = this.run((db) =>
      db
        .query<AttachmentRow, [string]>(
          `SELECT ${COLUMNS} FROM attachments WHERE id IN (SELECT value FROM json_each(?))`,
        )
        .all(JSON.stringify(ids)),
    );
    return rows.map(toAttachment);
  }

  async completeAttachment(id: string, now: Date) {
    const row = this.run((db) =>
      db
        .query<AttachmentRow, [string, number]>(
          `UPDATE attachments SET status = 'ready' WHERE id = ? AND status = 'pending' AND expires_at > ?
           RETURNING ${COLUMNS}`,
        )
        .get(id, now.getTime()),
    );
    return row ? toAttachment(row) : null;
  }

  async deleteAttachments(ids: string[], now: Date): Promise<SweepItem[]> {
    if (ids.length === 0) return [];
    const rows = this.run((db) =>
      db
        .query<{ id: string; blob_key: string }, [number, string]>(
          `UPDATE attachments SET status = 'deleted', deleted_at = ?
           WHERE id IN (SELECT value FROM json_each(?)) AND status <> 'deleted' RETURNING id, blob_key`,
        )
        .all(now.getTime(), JSON.stringify(ids)),
    );
    return rows.map((row) => ({ id: row.id, blobKey: row.blob_key, status: "deleted" as const, due: now }));
  }

  async dueAttachments(before: Date, limit: number): Promise<SweepItem[]> {
    const rows = this.run((db) =>
      db
        .query<{ id: string; blob_key: string; status: "pending" | "deleted"; due: number }, [number, number]>(
          `SELECT id, blob_key, status, due FROM (
             SELECT id, blob_key, status, expires_at AS due FROM attachments WHERE status = 'pending' AND expires_at <= ?1
             UNION ALL
             SELECT id, blob_key, status, deleted_at AS due FROM attachments WHERE status = 'deleted' AND deleted_at <= ?1
           ) ORDER BY due LIMIT ?2`,
        )
        .all(before.getTime(), Math.max(0, limit)),
    );
    return rows.map((row) => ({ id: row.id, blobKey: row.blob_key, status: row.status, due: new Date(row.due) }));
  }

  async removeAttachment(item: SweepItem) {
    this.run((db) => db.query("DELETE FROM attachments WHERE id = ? AND status = ?").run(item.id, item.status));
  }
}

/**
 * Claims the attachments for a message being appended; runs inside the append's transaction, so a
 * refusal (a thrown conflict) rolls the whole append back. Each claim is a compare-and-set: ready,
 * the author's, and carried by no message yet.
 */
export function claimAttachments(
  db: Database,
  claim: { ids: string[]; authorId: string; roomId: string; messageId: string },
) {
  const statement = db.query(
    `UPDATE attachments SET room_id = ?, message_id = ?
     WHERE id = ? AND uploader_id = ? AND status = 'ready' AND message_id IS NULL`,
  );
  for (const id of claim.ids) {
    if (statement.run(claim.roomId, claim.messageId, id, claim.authorId).changes !== 1) {
      throw conflict("an attachment cannot be used", [
        { field: "attachment_ids", message: `attachment ${id} is not available`, reason: "unavailable", id },
      ]);
    }
  }
}
