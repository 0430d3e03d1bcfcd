// The storage port. Access paths are chosen so every call maps to one partition lookup on a
// wide-column store (users by id / username / email, tokens by hash, families by id and by user).
import type { MessageStore } from "./messages";
import type { RoomLogStore } from "./room-log";
import type { RoomStore } from "./rooms";

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
  revokeRefreshFamily(familyId: string, now: Date): Promise<void>;
  revokeUserRefreshTokens(userId: string, now: Date): Promise<void>;

  insertActionToken(token: {
    tokenHash: string;
    kind: ActionTokenKind;
    userId: string;
    expiresAt: Date;
  }): Promise<void>;
  /** Single use: returns the user id for an unexpired, unused token of that kind and marks it used; else null. */
  claimActionToken(tokenHash: string, kind: ActionTokenKind, now: Date): Promise<string | null>;
}

export interface Store extends AccountStore, RoomStore, MessageStore, RoomLogStore {
  /** Applies pending migrations; idempotent and safe when several processes start at once. */
  migrate(): Promise<{ applied: string[] }>;
  /** Resolves when the backend answers; throws `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
