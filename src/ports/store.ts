// The storage port. Access paths are chosen so every call maps to one partition lookup on a
// wide-column store (users by id / username / email, tokens by hash, families by id and by user).
import type { AttachmentStore } from "./attachments";
import type { MentionStore } from "./mentions";
import type { MessageStore } from "./messages";
import type { NotifyStore } from "./notify";
import type { PinStore } from "./pins";
import type { RoomLogStore } from "./room-log";
import type { RoomStore } from "./rooms";
import type { ThreadStore } from "./threads";

export type UserRecord = {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  emailVerified: boolean;
  displayName: string | null;
  createdAt: Date;
};

export type NewUser = Omit<UserRecord, "emailVerified" | "displayName"> & { displayName?: string | null };

export type UserPatch = Partial<Pick<UserRecord, "displayName" | "emailVerified" | "passwordHash">>;

export type RefreshTokenRecord = {
  tokenHash: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
  /** Set once the token was exchanged for a new pair; a second exchange is reuse. */
  usedAt: Date | null;
  /** Set when the whole family was revoked (logout, reuse, password reset). */
  familyRevokedAt: Date | null;
};

/** A rotation family: every refresh token minted from one login. Its id is the session id (`sid`). */
export type RefreshFamilyRecord = { id: string; userId: string; revokedAt: Date | null };

export type ActionTokenKind = "verify_email" | "password_reset";

export interface AccountStore {
  /**
   * Creates a user. Username and email are unique case-insensitively, also under concurrent calls
   * from several processes. Throws a `conflict` AppError whose details name the taken field.
   */
  createUser(user: NewUser): Promise<UserRecord>;
  getUserById(id: string): Promise<UserRecord | null>;
  /** Case-insensitive. */
  getUserByUsername(username: string): Promise<UserRecord | null>;
  /** Case-insensitive. */
  getUserByEmail(email: string): Promise<UserRecord | null>;
  /** Returns the updated user, or null when it does not exist. */
  updateUser(id: string, patch: UserPatch): Promise<UserRecord | null>;

  /** Starts a new family when `familyId` is not yet known. */
  insertRefreshToken(token: { tokenHash: string; familyId: string; userId: string; expiresAt: Date }): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Marks the token used. Atomic compare-and-set: exactly one of several concurrent callers gets true;
   * false means it was already used (or does not exist).
   */
  claimRefreshToken(tokenHash: string, now: Date): Promise<boolean>;
  /**
   * The family by id, or null when it is unknown. A family lives at least as long as its newest
   * token (the Cassandra adapter drops it a day after that by TTL), so an access token of a family
   * that is gone has expired too.
   */
  findRefreshFamily(familyId: string): Promise<RefreshFamilyRecord | null>;
  /** Revokes the family; idempotent, and the first revocation time is kept. */
  revokeRefreshFamily(familyId: string, now: Date): Promise<void>;
  /** Revokes every family of the user. Returns the ids of those this call revoked (not those revoked before). */
  revokeUserRefreshTokens(userId: string, now: Date): Promise<string[]>;

  insertActionToken(token: {
    tokenHash: string;
    kind: ActionTokenKind;
    userId: string;
    expiresAt: Date;
  }): Promise<void>;
  /** Single use: returns the user id for an unexpired, unused token of that kind and marks it used; else null. */
  claimActionToken(tokenHash: string, kind: ActionTokenKind, now: Date): Promise<string | null>;
  /**
   * Ends every unused token of that kind of the user: none of them can be claimed afterwards (a
   * concurrent claim either wins before or fails). Idempotent; other kinds and users are untouched.
   */
  revokeActionTokens(userId: string, kind: ActionTokenKind, now: Date): Promise<void>;
}

export interface Store
  extends AccountStore,
    RoomStore,
    MessageStore,
    RoomLogStore,
    AttachmentStore,
    ThreadStore,
    PinStore,
    MentionStore,
    NotifyStore {
  /** Applies pending migrations; idempotent and safe when several processes start at once. */
  migrate(): Promise<{ applied: string[] }>;
  /** Resolves when the backend answers; throws `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
