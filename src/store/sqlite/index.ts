// The embedded storage adapter: SQLite through bun:sqlite, one file in the data dir.
// Accounts live here; rooms and messages in rooms.ts and messages.ts, which this class delegates to.
import { type Database, SQLiteError } from "bun:sqlite";
import { notFound, unavailable } from "../../domain/errors";
import type {
  ActionTokenKind,
  NewUser,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  Store,
  UserPatch,
  UserRecord,
} from "../../ports/store";
import { SqliteAttachments } from "./attachments";
import { type CheckpointOptions, WalCheckpointer } from "./checkpoints";
import { applyMigrations, lendDatabase, openDatabase, translate } from "./database";
import { SqliteMentions } from "./mentions";
import { SqliteMessages } from "./messages";
import { migrations } from "./migrations";
import { SqliteNotify } from "./notify";
import { SqlitePins } from "./pins";
import { SqliteRoomLog } from "./room-log";
import { SqliteRooms } from "./rooms";
import { SqliteThreads } from "./threads";

type UserRow = {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  email_verified: number;
  display_name: string | null;
  created_at: number;
};

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  email: row.email,
  passwordHash: row.password_hash,
  emailVerified: row.email_verified === 1,
  displayName: row.display_name,
  createdAt: new Date(row.created_at),
});

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

export class SqliteStore implements Store {
  readonly #db: Database;
  readonly #rooms: SqliteRooms;
  readonly #messages: SqliteMessages;
  readonly #log: SqliteRoomLog;
  readonly #attachments: SqliteAttachments;
  readonly #threads: SqliteThreads;
  readonly #pins: SqlitePins;
  readonly #mentions: SqliteMentions;
  readonly #notify: SqliteNotify;
  /** WAL checkpoints on a thread of their own; none for ":memory:". */
  readonly #checkpoints: WalCheckpointer | null;
  /** Closes the connection once the search index borrowing it (search/sqlite) is closed too. */
  readonly #closeDb: () => void;

  /** `path` is a file path or ":memory:"; `checkpoints`: see checkpoints.ts. */
  constructor(path: string, options: { checkpoints?: CheckpointOptions } = {}) {
    this.#db = openDatabase(path);
    this.#closeDb = lendDatabase(path, this.#db);
    this.#checkpoints = path === ":memory:" ? null : new WalCheckpointer(path, options.checkpoints);
    const run = <T>(work: (db: Database) => T): T => this.#run(work);
    this.#rooms = new SqliteRooms(this.#db, run);
    this.#messages = new SqliteMessages(this.#db, run);
    this.#log = new SqliteRoomLog(this.#db, run);
    this.#attachments = new SqliteAttachments(run);
    this.#threads = new SqliteThreads(run);
    this.#pins = new SqlitePins(run);
    this.#mentions = new SqliteMentions(run);
    this.#notify = new SqliteNotify(run);
  }

  // Every statement goes through here: prepared once, cached by bun:sqlite, errors translated.
  #run<T>(work: (db: Database) => T): T {
    try {
      return work(this.#db);
    } catch (error) {
      // Every foreign key in the schema references rooms(id): this is a write into a room that is gone.
      if (error instanceof SQLiteError && error.code === "SQLITE_CONSTRAINT_FOREIGNKEY") throw notFound("room");
      translate(error);
    }
  }

  // RoomStore, MessageStore, RoomLogStore and AttachmentStore, delegated (bound arrow properties, so they may be passed around).
  createRoom: Store["createRoom"] = (...args) => this.#rooms.createRoom(...args);
  getRoom: Store["getRoom"] = (...args) => this.#rooms.getRoom(...args);
  updateRoom: Store["updateRoom"] = (...args) => this.#rooms.updateRoom(...args);
  deleteRoom: Store["deleteRoom"] = (...args) => this.#rooms.deleteRoom(...args);
  listRooms: Store["listRooms"] = (...args) => this.#rooms.listRooms(...args);
  addMember: Store["addMember"] = (...args) => this.#rooms.addMember(...args);
  getMember: Store["getMember"] = (...args) => this.#rooms.getMember(...args);
  listMembers: Store["listMembers"] = (...args) => this.#rooms.listMembers(...args);
  removeMember: Store["removeMember"] = (...args) => this.#rooms.removeMember(...args);
  setMemberRole: Store["setMemberRole"] = (...args) => this.#rooms.setMemberRole(...args);
  listMemberships: Store["listMemberships"] = (...args) => this.#rooms.listMemberships(...args);
  putBan: Store["putBan"] = (...args) => this.#rooms.putBan(...args);
  getBan: Store["getBan"] = (...args) => this.#rooms.getBan(...args);
  removeBan: Store["removeBan"] = (...args) => this.#rooms.removeBan(...args);
  appendAudit: Store["appendAudit"] = (...args) => this.#rooms.appendAudit(...args);
  listAudit: Store["listAudit"] = (...args) => this.#rooms.listAudit(...args);
  getOrCreateDm: Store["getOrCreateDm"] = (...args) => this.#rooms.getOrCreateDm(...args);

  appendMessage: Store["appendMessage"] = (...args) => this.#messages.appendMessage(...args);
  appendEvent: Store["appendEvent"] = (...args) => this.#log.appendEvent(...args);
  readLog: Store["readLog"] = (...args) => this.#log.readLog(...args);
  headPosition: Store["headPosition"] = (...args) => this.#log.headPosition(...args);
  scanRooms: Store["scanRooms"] = (...args) => this.#log.scanRooms(...args);
  getMessage: Store["getMessage"] = (...args) => this.#messages.getMessage(...args);
  findMessageByClientId: Store["findMessageByClientId"] = (...args) => this.#messages.findMessageByClientId(...args);
  listMessages: Store["listMessages"] = (...args) => this.#messages.listMessages(...args);
  updateMessage: Store["updateMessage"] = (...args) => this.#messages.updateMessage(...args);
  tombstoneMessage: Store["tombstoneMessage"] = (...args) => this.#messages.tombstoneMessage(...args);
  latestMessage: Store["latestMessage"] = (...args) => this.#messages.latestMessage(...args);
  addReaction: Store["addReaction"] = (...args) => this.#messages.addReaction(...args);
  removeReaction: Store["removeReaction"] = (...args) => this.#messages.removeReaction(...args);
  listReactions: Store["listReactions"] = (...args) => this.#messages.listReactions(...args);
  setReadMarker: Store["setReadMarker"] = (...args) => this.#messages.setReadMarker(...args);
  getReadMarker: Store["getReadMarker"] = (...args) => this.#messages.getReadMarker(...args);
  countUnread: Store["countUnread"] = (...args) => this.#messages.countUnread(...args);

  createAttachment: Store["createAttachment"] = (...args) => this.#attachments.createAttachment(...args);
  getAttachment: Store["getAttachment"] = (...args) => this.#attachments.getAttachment(...args);
  getAttachments: Store["getAttachments"] = (...args) => this.#attachments.getAttachments(...args);
  completeAttachment: Store["completeAttachment"] = (...args) => this.#attachments.completeAttachment(...args);
  deleteAttachments: Store["deleteAttachments"] = (...args) => this.#attachments.deleteAttachments(...args);
  dueAttachments: Store["dueAttachments"] = (...args) => this.#attachments.dueAttachments(...args);
  removeAttachment: Store["removeAttachment"] = (...args) => this.#attachments.removeAttachment(...args);

  threadSummaries: Store["threadSummaries"] = (...args) => this.#threads.threadSummaries(...args);
  listThreadMessages: Store["listThreadMessages"] = (...args) => this.#threads.listThreadMessages(...args);
  addPin: Store["addPin"] = (...args) => this.#pins.addPin(...args);
  removePin: Store["removePin"] = (...args) => this.#pins.removePin(...args);
  listPins: Store["listPins"] = (...args) => this.#pins.listPins(...args);
  addMentions: Store["addMentions"] = (...args) => this.#mentions.addMentions(...args);
  listMentions: Store["listMentions"] = (...args) => this.#mentions.listMentions(...args);
  acquireLease: Store["acquireLease"] = (...args) => this.#notify.acquireLease(...args);
  releaseLease: Store["releaseLease"] = (...args) => this.#notify.releaseLease(...args);
  getNotifySettings: Store["getNotifySettings"] = (...args) => this.#notify.getNotifySettings(...args);
  setNotifySettings: Store["setNotifySettings"] = (...args) => this.#notify.setNotifySettings(...args);
  markSeen: Store["markSeen"] = (...args) => this.#notify.markSeen(...args);
  scanSeen: Store["scanSeen"] = (...args) => this.#notify.scanSeen(...args);
  claimDigest: Store["claimDigest"] = (...args) => this.#notify.claimDigest(...args);
  createWebhook: Store["createWebhook"] = (...args) => this.#notify.createWebhook(...args);
  listWebhooks: Store["listWebhooks"] = (...args) => this.#notify.listWebhooks(...args);
  deleteWebhook: Store["deleteWebhook"] = (...args) => this.#notify.deleteWebhook(...args);
  scanWebhooks: Store["scanWebhooks"] = (...args) => this.#notify.scanWebhooks(...args);
  getWebhookPosition: Store["getWebhookPosition"] = (...args) => this.#notify.getWebhookPosition(...args);
  setWebhookPosition: Store["setWebhookPosition"] = (...args) => this.#notify.setWebhookPosition(...args);

  async migrate() {
    return { applied: this.#run((db) => applyMigrations(db, migrations)) };
  }

  async ping() {
    try {
      this.#db.query("SELECT 1").get();
    } catch (error) {
      throw unavailable("storage", error);
    }
  }

  async close() {
    await this.#checkpoints?.close();
    this.#closeDb();
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    this.#run((db) =>
      db
        .query(
          `INSERT INTO users (id, username, username_key, email, email_key, password_hash, display_name, created_at)
           VALUES ($id, $username, $usernameKey, $email, $emailKey, $passwordHash, $displayName, $createdAt)`,
        )
        .run({
          id: user.id,
          username: user.username,
          usernameKey: user.username.toLowerCase(),
          email: user.email,
          emailKey: user.email.toLowerCase(),
          passwordHash: user.passwordHash,
          displayName: user.displayName ?? null,
          createdAt: user.createdAt.getTime(),
        }),
    );
    return { ...user, displayName: user.displayName ?? null, emailVerified: false };
  }

  async getUserById(id: string) {
    return this.#userWhere("id", id);
  }

  async getUserByUsername(username: string) {
    return this.#userWhere("username_key", username.toLowerCase());
  }

  async getUserByEmail(email: string) {
    return this.#userWhere("email_key", email.toLowerCase());
  }

  #userWhere(column: "id" | "username_key" | "email_key", value: string): UserRecord | null {
    const row = this.#run((db) => db.query<UserRow, [string]>(`SELECT * FROM users WHERE ${column} = ?`).get(value));
    return row ? toUser(row) : null;
  }

  async updateUser(id: string, patch: UserPatch) {
    const sets: string[] = [];
    const values: Record<string, string | number | null> = { id };
    if (patch.displayName !== undefined) {
      sets.push("display_name = $displayName");
      values.displayName = patch.displayName;
    }
    if (patch.emailVerified !== undefined) {
      sets.push("email_verified = $emailVerified");
      values.emailVerified = patch.emailVerified ? 1 : 0;
    }
    if (patch.passwordHash !== undefined) {
      sets.push("password_hash = $passwordHash");
      values.passwordHash = patch.passwordHash;
    }
    if (sets.length === 0) return this.getUserById(id);
    const row = this.#run((db) =>
      db.query<UserRow, [typeof values]>(`UPDATE users SET ${sets.join(", ")} WHERE id = $id RETURNING *`).get(values),
    );
    return row ? toUser(row) : null;
  }

  async insertRefreshToken(token: { tokenHash: string; familyId: string; userId: string; expiresAt: Date }) {
    const now = Date.now();
    this.#run((db) =>
      db.transaction(() => {
        db.query("INSERT OR IGNORE INTO refresh_families (id, user_id, created_at) VALUES (?, ?, ?)").run(
          token.familyId,
          token.userId,
          now,
        );
        db.query(
          "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
        ).run(token.tokenHash, token.familyId, token.userId, token.expiresAt.getTime(), now);
      })(),
    );
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const row = this.#run((db) =>
      db
        .query<
          {
            token_hash: string;
            family_id: string;
            user_id: string;
            expires_at: number;
            used_at: number | null;
            revoked_at: number | null;
          },
          [string]
        >(
          `SELECT t.token_hash, t.family_id, t.user_id, t.expires_at, t.used_at, f.revoked_at
           FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = ?`,
        )
        .get(tokenHash),
    );
    if (!row) return null;
    return {
      tokenHash: row.token_hash,
      familyId: row.family_id,
      userId: row.user_id,
      expiresAt: new Date(row.expires_at),
      usedAt: date(row.used_at),
      familyRevokedAt: date(row.revoked_at),
    };
  }

  async claimRefreshToken(tokenHash: string, now: Date) {
    const result = this.#run((db) =>
      db
        .query("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL")
        .run(now.getTime(), tokenHash),
    );
    return result.changes === 1;
  }

  async findRefreshFamily(familyId: string): Promise<RefreshFamilyRecord | null> {
    const row = this.#run((db) =>
      db
        .query<{ id: string; user_id: string; revoked_at: number | null }, [string]>(
          "SELECT id, user_id, revoked_at FROM refresh_families WHERE id = ?",
        )
        .get(familyId),
    );
    return row ? { id: row.id, userId: row.user_id, revokedAt: date(row.revoked_at) } : null;
  }

  async revokeRefreshFamily(familyId: string, now: Date) {
    this.#run((db) =>
      db
        .query("UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .run(now.getTime(), familyId),
    );
  }

  async revokeUserRefreshTokens(userId: string, now: Date) {
    const rows = this.#run((db) =>
      db
        .query<{ id: string }, [number, string]>(
          "UPDATE refresh_families SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING id",
        )
        .all(now.getTime(), userId),
    );
    return rows.map((row) => row.id);
  }

  async insertActionToken(token: { tokenHash: string; kind: ActionTokenKind; userId: string; expiresAt: Date }) {
    this.#run((db) =>
      db
        .query("INSERT INTO action_tokens (token_hash, kind, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(token.tokenHash, token.kind, token.userId, token.expiresAt.getTime(), Date.now()),
    );
  }

  async claimActionToken(tokenHash: string, kind: ActionTokenKind, now: Date) {
    const row = this.#run((db) =>
      db
        .query<{ user_id: string }, [number, string, string, number]>(
          `UPDATE action_tokens SET used_at = ?1
           WHERE token_hash = ?2 AND kind = ?3 AND used_at IS NULL AND expires_at > ?4 RETURNING user_id`,
        )
        .get(now.getTime(), tokenHash, kind, now.getTime()),
    );
    return row?.user_id ?? null;
  }

  async revokeActionTokens(userId: string, kind: ActionTokenKind, now: Date) {
    this.#run((db) =>
      db
        .query("UPDATE action_tokens SET used_at = ? WHERE user_id = ? AND kind = ? AND used_at IS NULL")
        .run(now.getTime(), userId, kind),
    );
  }
}
