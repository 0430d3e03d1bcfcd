// The Cassandra side of AccountStore: users with case-insensitively unique usernames and emails (LWT
// claims on the lookup tables, rolled back when the second fails), refresh tokens and their families,
// single-use action tokens (claimed by compare-and-set). Token rows expire by TTL.
import { conflict } from "../../domain/errors";
import { isUuid } from "../../domain/ids";
import type {
  AccountStore,
  ActionTokenKind,
  NewUser,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  UserPatch,
  UserRecord,
} from "../../ports/store";
import type { Cql, Row } from "./client";
import { collect, mapLimit } from "./parallel";

/** Token rows outlive their expiry by a day (so an expired token still reads as expired), then vanish. */
const TOKEN_GRACE_SECONDS = 86_400;
/** Cassandra's largest TTL: 20 years. */
const MAX_TTL_SECONDS = 630_720_000;

const ttlUntil = (expiresAt: Date, now = Date.now()) =>
  Math.min(MAX_TTL_SECONDS, Math.max(1, Math.ceil((expiresAt.getTime() - now) / 1000)) + TOKEN_GRACE_SECONDS);

const USER_COLUMNS = "id, username, email, password_hash, email_verified, display_name, created_at";

const toUser = (row: Row): UserRecord => ({
  id: row.id.toString(),
  username: row.username,
  email: row.email,
  passwordHash: row.password_hash,
  emailVerified: row.email_verified === true,
  displayName: row.display_name ?? null,
  createdAt: row.created_at,
});

const taken = (field: "username" | "email") => conflict(`${field} is already taken`, [{ field, message: "taken" }]);

/** The lookup tables that make usernames and emails unique. */
const CLAIMS = {
  username: { table: "users_by_username", key: "username_key" },
  email: { table: "users_by_email", key: "email_key" },
} as const;

export class CassandraAccounts implements AccountStore {
  constructor(private readonly cql: Cql) {}

  /**
   * Writes the user row (reachable by id only), then claims the username and the email by LWT at
   * SERIAL. When a claim fails the earlier claim and the row are removed again, so a refused signup
   * leaves nothing behind; of concurrent signups for one name exactly one wins the claim.
   */
  async createUser(user: NewUser): Promise<UserRecord> {
    const record: UserRecord = { ...user, displayName: user.displayName ?? null, emailVerified: false };
    await this.cql.write(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      record.id,
      record.username,
      record.email,
      record.passwordHash,
      false,
      record.displayName,
      record.createdAt,
    ]);
    const keys = { username: user.username.toLowerCase(), email: user.email.toLowerCase() };
    const claimed: (keyof typeof CLAIMS)[] = [];
    try {
      for (const field of ["username", "email"] as const) {
        const { table, key } = CLAIMS[field];
        const { applied } = await this.cql.lwt(
          `INSERT INTO ${table} (${key}, user_id) VALUES (?, ?) IF NOT EXISTS`,
          [keys[field], user.id],
          "global",
        );
        if (!applied) throw taken(field);
        claimed.push(field);
      }
      return record;
    } catch (error) {
      // Undo what this call claimed (only while it is still ours), then the row. Best effort: when
      // Cassandra is down the original error is what the caller needs to see.
      for (const field of claimed) {
        const { table, key } = CLAIMS[field];
        await this.cql
          .lwt(`DELETE FROM ${table} WHERE ${key} = ? IF user_id = ?`, [keys[field], user.id], "global")
          .catch(() => {});
      }
      await this.cql.write("DELETE FROM users WHERE id = ?", [user.id]).catch(() => {});
      throw error;
    }
  }

  async getUserById(id: string): Promise<UserRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.cql.one(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return row ? toUser(row) : null;
  }

  async getUserByUsername(username: string) {
    return this.#byClaim("username", username.toLowerCase());
  }

  async getUserByEmail(email: string) {
    return this.#byClaim("email", email.toLowerCase());
  }

  async #byClaim(field: keyof typeof CLAIMS, value: string) {
    const { table, key } = CLAIMS[field];
    const row = await this.cql.one(`SELECT user_id FROM ${table} WHERE ${key} = ?`, [value]);
    return row ? this.getUserById(row.user_id.toString()) : null;
  }

  /** Reads, then writes only the given columns; an unknown id writes nothing. */
  async updateUser(id: string, patch: UserPatch) {
    const current = await this.getUserById(id);
    if (!current) return null;
    const columns = { displayName: "display_name", emailVerified: "email_verified", passwordHash: "password_hash" };
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, column] of Object.entries(columns) as [keyof UserPatch, string][]) {
      if (patch[field] === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(patch[field]);
    }
    if (sets.length === 0) return current;
    await this.cql.write(`UPDATE users SET ${sets.join(", ")} WHERE id = ?`, [...values, id]);
    return { ...current, ...patch };
  }

  /**
   * The family rows first (their TTL pushed out to this token's), then the token, so a token never
   * exists without its family.
   */
  async insertRefreshToken(token: { tokenHash: string; familyId: string; userId: string; expiresAt: Date }) {
    const ttl = ttlUntil(token.expiresAt);
    await Promise.all([
      this.cql.write("UPDATE refresh_families USING TTL ? SET user_id = ? WHERE id = ?", [
        ttl,
        token.userId,
        token.familyId,
      ]),
      this.cql.write("INSERT INTO refresh_families_by_user (user_id, family_id) VALUES (?, ?) USING TTL ?", [
        token.userId,
        token.familyId,
        ttl,
      ]),
    ]);
    await this.cql.write(
      "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES (?, ?, ?, ?) USING TTL ?",
      [token.tokenHash, token.familyId, token.userId, token.expiresAt, ttl],
    );
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const row = await this.#token(tokenHash);
    if (!row) return null;
    const family = await this.cql.one("SELECT revoked_at FROM refresh_families WHERE id = ?", [row.family_id]);
    return {
      tokenHash,
      familyId: row.family_id.toString(),
      userId: row.user_id.toString(),
      expiresAt: row.expires_at,
      usedAt: row.used_at ?? null,
      familyRevokedAt: family?.revoked_at ?? null,
    };
  }

  #token(tokenHash: string) {
    return this.cql.one("SELECT family_id, user_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = ?", [
      tokenHash,
    ]);
  }

  /**
   * Compare-and-set on used_at at SERIAL: of concurrent claims exactly one applies. The condition also
   * names family_id so a token that expired meanwhile is not brought back as a bare used_at cell.
   */
  async claimRefreshToken(tokenHash: string, now: Date) {
    const row = await this.#token(tokenHash);
    if (!row || row.used_at) return false;
    const { applied } = await this.cql.lwt(
      "UPDATE refresh_tokens USING TTL ? SET used_at = ? WHERE token_hash = ? IF used_at = null AND family_id = ?",
      [ttlUntil(row.expires_at, now.getTime()), now, tokenHash, row.family_id],
      "global",
    );
    return applied;
  }

  async findRefreshFamily(familyId: string): Promise<RefreshFamilyRecord | null> {
    if (!isUuid(familyId)) return null;
    const row = await this.cql.one("SELECT user_id, revoked_at FROM refresh_families WHERE id = ?", [familyId]);
    if (!row?.user_id) return null;
    return { id: familyId, userId: row.user_id.toString(), revokedAt: row.revoked_at ?? null };
  }

  async revokeRefreshFamily(familyId: string, now: Date) {
    await this.#revokeFamily(familyId, now);
  }

  /**
   * Keeps the first revocation time; revoked_at lives exactly as long as the family row. True when
   * this call revoked it.
   */
  async #revokeFamily(familyId: string, now: Date): Promise<boolean> {
    const family = await this.cql.one("SELECT revoked_at, TTL(user_id) AS ttl FROM refresh_families WHERE id = ?", [
      familyId,
    ]);
    if (!family || family.revoked_at) return false;
    await this.cql.write("UPDATE refresh_families USING TTL ? SET revoked_at = ? WHERE id = ?", [
      family.ttl ?? 0,
      now,
      familyId,
    ]);
    return true;
  }

  async revokeUserRefreshTokens(userId: string, now: Date) {
    const rows = await collect(
      this.cql.rows("SELECT family_id FROM refresh_families_by_user WHERE user_id = ?", [userId]),
    );
    const ids = rows.map((row) => row.family_id.toString() as string);
    const revoked = await mapLimit(ids, 16, (id) => this.#revokeFamily(id, now));
    return ids.filter((_, i) => revoked[i]);
  }

  /** The user's listing first, so a token that exists can always be found (and ended) by its user. */
  async insertActionToken(token: { tokenHash: string; kind: ActionTokenKind; userId: string; expiresAt: Date }) {
    const ttl = ttlUntil(token.expiresAt);
    await this.cql.write("INSERT INTO action_tokens_by_user (user_id, kind, token_hash) VALUES (?, ?, ?) USING TTL ?", [
      token.userId,
      token.kind,
      token.tokenHash,
      ttl,
    ]);
    await this.cql.write(
      "INSERT INTO action_tokens (token_hash, kind, user_id, expires_at) VALUES (?, ?, ?, ?) USING TTL ?",
      [token.tokenHash, token.kind, token.userId, token.expiresAt, ttl],
    );
  }

  /** Compare-and-set on used_at at SERIAL, conditioned on the kind and the expiry too. */
  async claimActionToken(tokenHash: string, kind: ActionTokenKind, now: Date) {
    const row = await this.cql.one(
      "SELECT kind, user_id, expires_at, used_at FROM action_tokens WHERE token_hash = ?",
      [tokenHash],
    );
    if (!row || row.kind !== kind || row.used_at || row.expires_at.getTime() <= now.getTime()) return null;
    const { applied } = await this.cql.lwt(
      "UPDATE action_tokens USING TTL ? SET used_at = ? WHERE token_hash = ? IF used_at = null AND kind = ? AND expires_at > ?",
      [ttlUntil(row.expires_at, now.getTime()), now, tokenHash, kind, now],
      "global",
    );
    return applied ? row.user_id.toString() : null;
  }

  /**
   * Each listed token is ended with the same compare-and-set a claim uses, so of a claim and an end
   * racing for one token exactly one applies; tokens already used or expired are left alone.
   */
  async revokeActionTokens(userId: string, kind: ActionTokenKind, now: Date) {
    const rows = await collect(
      this.cql.rows("SELECT token_hash FROM action_tokens_by_user WHERE user_id = ? AND kind = ?", [userId, kind]),
    );
    await mapLimit(rows, 16, async (listed) => {
      const row = await this.cql.one("SELECT kind, expires_at, used_at FROM action_tokens WHERE token_hash = ?", [
        listed.token_hash,
      ]);
      if (!row || row.kind !== kind || row.used_at || row.expires_at.getTime() <= now.getTime()) return;
      await this.cql.lwt(
        "UPDATE action_tokens USING TTL ? SET used_at = ? WHERE token_hash = ? IF used_at = null AND kind = ?",
        [ttlUntil(row.expires_at, now.getTime()), now, listed.token_hash, kind],
        "global",
      );
    });
  }
}
