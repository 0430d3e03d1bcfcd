// The Cassandra side of moderation: bans by room, and the moderation log by room, newest first.
import { conflict } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type { AuditRecord, BanRecord } from "../../ports/rooms";
import type { Cql, Row } from "./client";
import { v7Bound } from "./keys";

const BAN_COLUMNS = "room_id, user_id, banned_by, reason, expires_at, created_at";
const AUDIT_COLUMNS = "room_id, id, actor_id, action, target_user_id, message_id, details, created_at";

const toBan = (row: Row): BanRecord => ({
  roomId: row.room_id.toString(),
  userId: row.user_id.toString(),
  bannedBy: row.banned_by.toString(),
  reason: row.reason ?? null,
  expiresAt: row.expires_at ?? null,
  createdAt: row.created_at,
});

const toAudit = (row: Row): AuditRecord => ({
  id: row.id.toString(),
  roomId: row.room_id.toString(),
  actorId: row.actor_id.toString(),
  action: row.action,
  targetUserId: row.target_user_id?.toString() ?? null,
  messageId: row.message_id?.toString() ?? null,
  details: JSON.parse(row.details),
  createdAt: row.created_at,
});

export class CassandraModeration {
  constructor(private readonly cql: Cql) {}

  /** Creates or replaces (a plain upsert of every column). */
  async putBan(ban: BanRecord): Promise<void> {
    await this.cql.write(`INSERT INTO room_bans (${BAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, [
      ban.roomId,
      ban.userId,
      ban.bannedBy,
      ban.reason,
      ban.expiresAt,
      ban.createdAt,
    ]);
  }

  /** Returns the ban even when it has expired; the domain decides. */
  async getBan(roomId: string, userId: string): Promise<BanRecord | null> {
    if (!isUuid(roomId) || !isUuid(userId)) return null;
    const row = await this.cql.one(`SELECT ${BAN_COLUMNS} FROM room_bans WHERE room_id = ? AND user_id = ?`, [
      roomId,
      userId,
    ]);
    return row ? toBan(row) : null;
  }

  /** `IF EXISTS`, so the answer is exact also when two moderators lift one ban at once. */
  async removeBan(roomId: string, userId: string): Promise<boolean> {
    if (!isUuid(roomId) || !isUuid(userId)) return false;
    const { applied } = await this.cql.lwt(
      "DELETE FROM room_bans WHERE room_id = ? AND user_id = ? IF EXISTS",
      [roomId, userId],
      "room",
    );
    return applied;
  }

  /** `IF NOT EXISTS`: a reused id is a `conflict` error, as on every backend. */
  async appendAudit(entry: AuditRecord): Promise<void> {
    const { applied } = await this.cql.lwt(
      `INSERT INTO room_audit (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
      [
        entry.roomId,
        entry.id,
        entry.actorId,
        entry.action,
        entry.targetUserId,
        entry.messageId,
        JSON.stringify(entry.details),
        entry.createdAt,
      ],
      "room",
    );
    if (!applied) throw conflict("id is already taken", [{ field: "id", message: "taken" }]);
  }

  /** Newest first (the clustering order); `before` is exclusive and need not be an entry. */
  async listAudit(roomId: string, options: { limit: number; before?: string }): Promise<AuditRecord[]> {
    if (!isUuid(roomId) || options.limit <= 0) return [];
    const cursor = options.before === undefined ? null : v7Bound(options.before, "before");
    const rows = await this.cql.read(
      `SELECT ${AUDIT_COLUMNS} FROM room_audit WHERE room_id = ?${cursor ? ` AND id ${cursor.op} ?` : ""} LIMIT ?`,
      cursor ? [roomId, cursor.bound, options.limit] : [roomId, options.limit],
    );
    return rows.rows.map(toAudit);
  }
}
