// The SQLite side of NotifyStore: leases, last-seen times, preferences, digests, webhooks and their
// delivery positions. Every conditional write is one statement (atomic, also across processes).
import type { Database } from "bun:sqlite";
import type { NotifySettings, NotifyStore, SeenUser, WebhookRecord } from "../../ports/notify";

type Run = <T>(work: (db: Database) => T) => T;

type HookRow = {
  id: string;
  room_id: string;
  url: string;
  secret_sealed: string;
  created_by: string;
  created_at: number;
};

const toHook = (row: HookRow): WebhookRecord => ({
  id: row.id,
  roomId: row.room_id,
  url: row.url,
  secretSealed: row.secret_sealed,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at),
});

const flag = (value: boolean | undefined) => (value === undefined ? null : value ? 1 : 0);

export class SqliteNotify implements NotifyStore {
  constructor(private readonly run: Run) {}

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date) {
    const changes = this.run(
      (db) =>
        db
          .query(
            `INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = ?2, expires_at = ?3
             WHERE leases.holder = ?2 OR leases.expires_at <= ?4`,
          )
          .run(name, holder, now.getTime() + ttlMs, now.getTime()).changes,
    );
    return changes === 1;
  }

  async releaseLease(name: string, holder: string) {
    this.run((db) => db.query("DELETE FROM leases WHERE name = ? AND holder = ?").run(name, holder));
  }

  async getNotifySettings(userId: string): Promise<NotifySettings> {
    const row = this.run((db) =>
      db
        .query<{ email: number | null; include_text: number | null }, [string]>(
          "SELECT email, include_text FROM notify_users WHERE user_id = ?",
        )
        .get(userId),
    );
    return { email: (row?.email ?? 1) === 1, includeText: (row?.include_text ?? 0) === 1 };
  }

  async setNotifySettings(userId: string, patch: Partial<NotifySettings>) {
    this.run((db) =>
      db
        .query(
          `INSERT INTO notify_users (user_id, email, include_text) VALUES (?1, ?2, ?3)
           ON CONFLICT (user_id) DO UPDATE SET email = COALESCE(?2, email), include_text = COALESCE(?3, include_text)`,
        )
        .run(userId, flag(patch.email), flag(patch.includeText)),
    );
    return this.getNotifySettings(userId);
  }

  async markSeen(userIds: string[], at: Date) {
    if (userIds.length === 0) return;
    this.run((db) => {
      const upsert = db.query(
        `INSERT INTO notify_users (user_id, seen_at) VALUES (?1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET seen_at = MAX(COALESCE(seen_at, 0), ?2)`,
      );
      db.transaction(() => {
        for (const userId of userIds) upsert.run(userId, at.getTime());
      })();
    });
  }

  async scanSeen(cursor: string | null, limit: number) {
    const rows = this.run((db) =>
      db
        .query<{ user_id: string; seen_at: number; digest_at: number | null }, [string, number]>(
          `SELECT user_id, seen_at, digest_at FROM notify_users
           WHERE user_id > ? AND seen_at IS NOT NULL ORDER BY user_id LIMIT ?`,
        )
        .all(cursor ?? "", Math.max(1, limit)),
    );
    const users: SeenUser[] = rows.map((row) => ({
      userId: row.user_id,
      seenAt: new Date(row.seen_at),
      digestAt: row.digest_at === null ? null : new Date(row.digest_at),
    }));
    return { users, next: rows.length < limit ? null : (users.at(-1)?.userId ?? null) };
  }

  async claimDigest(userId: string, previous: Date | null, now: Date) {
    const changes = this.run((db) =>
      previous === null
        ? db
            .query(
              `INSERT INTO notify_users (user_id, digest_at) VALUES (?1, ?2)
               ON CONFLICT (user_id) DO UPDATE SET digest_at = ?2 WHERE digest_at IS NULL`,
            )
            .run(userId, now.getTime()).changes
        : db
            .query("UPDATE notify_users SET digest_at = ? WHERE user_id = ? AND digest_at = ?")
            .run(now.getTime(), userId, previous.getTime()).changes,
    );
    return changes === 1;
  }

  async createWebhook(hook: WebhookRecord) {
    this.run((db) =>
      db
        .query(
          `INSERT INTO webhooks (id, room_id, url, secret_sealed, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(hook.id, hook.roomId, hook.url, hook.secretSealed, hook.createdBy, hook.createdAt.getTime()),
    );
  }

  async listWebhooks(roomId: string) {
    return this.run((db) =>
      db
        .query<HookRow, [string]>("SELECT * FROM webhooks WHERE room_id = ? ORDER BY created_at, id")
        .all(roomId)
        .map(toHook),
    );
  }

  async deleteWebhook(roomId: string, id: string) {
    return this.run((db) =>
      db.transaction(() => {
        const { changes } = db.query("DELETE FROM webhooks WHERE room_id = ? AND id = ?").run(roomId, id);
        db.query("DELETE FROM webhook_positions WHERE hook_id = ?").run(id);
        return changes === 1;
      })(),
    );
  }

  async scanWebhooks() {
    return this.run((db) => db.query<HookRow, []>("SELECT * FROM webhooks").all().map(toHook));
  }

  async getWebhookPosition(hookId: string, roomId: string) {
    const row = this.run((db) =>
      db
        .query<{ position: number }, [string, string]>(
          "SELECT position FROM webhook_positions WHERE hook_id = ? AND room_id = ?",
        )
        .get(hookId, roomId),
    );
    return row?.position ?? null;
  }

  async setWebhookPosition(hookId: string, roomId: string, position: number) {
    this.run((db) =>
      db
        .query(
          `INSERT INTO webhook_positions (hook_id, room_id, position) VALUES (?1, ?2, ?3)
           ON CONFLICT (hook_id, room_id) DO UPDATE SET position = MAX(position, ?3)`,
        )
        .run(hookId, roomId, position),
    );
  }
}
