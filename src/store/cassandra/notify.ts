// The Cassandra side of NotifyStore (migrations/cassandra/0009_notifications.cql): leases and digest
// claims as lightweight transactions, last-seen times and delivery positions as plain writes whose
// write timestamp is the value itself (a later time, a higher position always wins), webhooks per
// room plus one small partition listing them all.
import { isUuid } from "../../domain/ids";
import type { NotifySettings, NotifyStore, SeenUser, WebhookRecord } from "../../ports/notify";
import type { Cql, Row } from "./client";
import { mapLimit } from "./parallel";

/** The one partition of webhooks_all. */
const SHARD = 0;
const HOOK_COLUMNS = "room_id, id, url, secret_sealed, created_by, created_at";

const toHook = (row: Row): WebhookRecord => ({
  id: row.id.toString(),
  roomId: row.room_id.toString(),
  url: row.url,
  secretSealed: row.secret_sealed,
  createdBy: row.created_by.toString(),
  createdAt: row.created_at,
});

export class CassandraNotify implements NotifyStore {
  constructor(private readonly cql: Cql) {}

  /** TTL in whole seconds (at least 1): a holder that dies loses the lease by itself. */
  async acquireLease(name: string, holder: string, ttlMs: number, _now: Date) {
    const ttl = Math.max(1, Math.ceil(ttlMs / 1000));
    const renewed = await this.cql.lwt(
      "UPDATE leases USING TTL ? SET holder = ? WHERE name = ? IF holder = ?",
      [ttl, holder, name, holder],
      "global",
    );
    if (renewed.applied) return true;
    if (renewed.row?.holder) return false;
    const taken = await this.cql.lwt(
      "INSERT INTO leases (name, holder) VALUES (?, ?) IF NOT EXISTS USING TTL ?",
      [name, holder, ttl],
      "global",
    );
    return taken.applied;
  }

  async releaseLease(name: string, holder: string) {
    await this.cql.lwt("DELETE FROM leases WHERE name = ? IF holder = ?", [name, holder], "global");
  }

  async getNotifySettings(userId: string): Promise<NotifySettings> {
    const row = isUuid(userId)
      ? await this.cql.one("SELECT email, include_text FROM notify_settings WHERE user_id = ?", [userId])
      : null;
    return { email: row?.email ?? true, includeText: row?.include_text ?? false };
  }

  async setNotifySettings(userId: string, patch: Partial<NotifySettings>) {
    if (patch.email !== undefined)
      await this.cql.write("UPDATE notify_settings SET email = ? WHERE user_id = ?", [patch.email, userId]);
    if (patch.includeText !== undefined)
      await this.cql.write("UPDATE notify_settings SET include_text = ? WHERE user_id = ?", [
        patch.includeText,
        userId,
      ]);
    return this.getNotifySettings(userId);
  }

  async markSeen(userIds: string[], at: Date) {
    const micros = at.getTime() * 1000;
    await mapLimit(userIds, 16, (userId) =>
      this.cql.write("UPDATE notify_seen USING TIMESTAMP ? SET seen_at = ? WHERE user_id = ?", [micros, at, userId]),
    );
  }

  /** Token order; the cursor is the last user id of the page. */
  async scanSeen(cursor: string | null, limit: number) {
    const size = Math.max(1, limit);
    const result =
      cursor === null
        ? await this.cql.read("SELECT user_id, seen_at FROM notify_seen LIMIT ?", [size])
        : await this.cql.read("SELECT user_id, seen_at FROM notify_seen WHERE token(user_id) > token(?) LIMIT ?", [
            cursor,
            size,
          ]);
    const rows = result.rows.filter((row) => row.seen_at);
    const users = await mapLimit(rows, 16, async (row): Promise<SeenUser> => {
      const userId = row.user_id.toString();
      const digest = await this.cql.one("SELECT digest_at FROM notify_digests WHERE user_id = ?", [userId]);
      return { userId, seenAt: row.seen_at, digestAt: digest?.digest_at ?? null };
    });
    const last = result.rows.at(-1);
    return { users, next: result.rows.length < size || !last ? null : last.user_id.toString() };
  }

  async claimDigest(userId: string, previous: Date | null, now: Date) {
    const { applied } =
      previous === null
        ? await this.cql.lwt(
            "INSERT INTO notify_digests (user_id, digest_at) VALUES (?, ?) IF NOT EXISTS",
            [userId, now],
            "room",
          )
        : await this.cql.lwt(
            "UPDATE notify_digests SET digest_at = ? WHERE user_id = ? IF digest_at = ?",
            [now, userId, previous],
            "room",
          );
    return applied;
  }

  async createWebhook(hook: WebhookRecord) {
    const values = [hook.roomId, hook.id, hook.url, hook.secretSealed, hook.createdBy, hook.createdAt];
    await this.cql.batch([
      { query: `INSERT INTO webhooks (${HOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, params: values },
      {
        query: `INSERT INTO webhooks_all (shard, ${HOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        params: [SHARD, ...values],
      },
    ]);
  }

  async listWebhooks(roomId: string) {
    if (!isUuid(roomId)) return [];
    const result = await this.cql.read(`SELECT ${HOOK_COLUMNS} FROM webhooks WHERE room_id = ?`, [roomId]);
    return result.rows
      .map(toHook)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  }

  async deleteWebhook(roomId: string, id: string) {
    if (!isUuid(roomId) || !isUuid(id)) return false;
    const { applied } = await this.cql.lwt(
      "DELETE FROM webhooks WHERE room_id = ? AND id = ? IF EXISTS",
      [roomId, id],
      "room",
    );
    if (!applied) return false;
    await this.cql.batch([
      { query: "DELETE FROM webhooks_all WHERE shard = ? AND room_id = ? AND id = ?", params: [SHARD, roomId, id] },
      { query: "DELETE FROM webhook_positions WHERE hook_id = ?", params: [id] },
    ]);
    return true;
  }

  async scanWebhooks() {
    const hooks: WebhookRecord[] = [];
    for await (const row of this.cql.rows(`SELECT ${HOOK_COLUMNS} FROM webhooks_all WHERE shard = ?`, [SHARD]))
      hooks.push(toHook(row));
    return hooks;
  }

  async getWebhookPosition(hookId: string, roomId: string) {
    if (!isUuid(roomId)) return null;
    const row = await this.cql.one("SELECT position FROM webhook_positions WHERE hook_id = ? AND room_id = ?", [
      hookId,
      roomId,
    ]);
    return row ? Number(row.position) : null;
  }

  async setWebhookPosition(hookId: string, roomId: string, position: number) {
    await this.cql.write(
      "UPDATE webhook_positions USING TIMESTAMP ? SET position = ? WHERE hook_id = ? AND room_id = ?",
      [position, position, hookId, roomId],
    );
  }
}
