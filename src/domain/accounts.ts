// Accounts: signup with email verification, login, rotating refresh tokens, password reset, profile.
// Business rules only; storage, mail, limits and time come in as ports.
import type { Logger } from "../log";
import type { Limiter, RateRule } from "../ports/limiter";
import type { Mailer } from "../ports/mail";
import type { AccountStore, UserRecord } from "../ports/store";
import type { AccessTokens } from "./access-tokens";
import { rateLimited, unauthorized, validationFailed } from "./errors";
import type { Passwords } from "./passwords";
import { hashToken, newOpaqueToken } from "./secrets";
import { type TextRule, visibleText } from "./text";

const DISPLAY_NAME: TextRule = { field: "display_name", max: 64, name: true };
export type AccountSettings = {
  refreshTokenTtlSeconds: number;
  loginMaxFailures: number;
  loginFailureWindowSeconds: number;
  publicUrl: string;
};

export type Session = {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRecord;
};

const VERIFY_EMAIL_TTL_MS = 24 * 3600_000;
const PASSWORD_RESET_TTL_MS = 3600_000;
/** Client addresses get this many times the per-account allowance (one address, many accounts). */
const ADDRESS_FACTOR = 10;

export type AccountDeps = {
  store: AccountStore;
  mailer: Mailer;
  limiter: Limiter;
  passwords: Passwords;
  accessTokens: AccessTokens;
  settings: AccountSettings;
  log: Logger;
  now?: () => Date;
};

export class Accounts {
  readonly #now: () => Date;

  constructor(private readonly deps: AccountDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** Creates the account and mails a verification token. Throws `conflict` naming a taken field. */
  async signup(input: { username: string; email: string; password: string }): Promise<UserRecord> {
    const { store, passwords } = this.deps;
    const user = await store.createUser({
      id: crypto.randomUUID(),
      username: input.username,
      email: input.email,
      passwordHash: await passwords.hash(input.password),
      createdAt: this.#now(),
    });
    const token = await this.#issueActionToken(user.id, "verify_email", VERIFY_EMAIL_TTL_MS);
    await this.#mail(user.email, "Verify your chatd email address", [
      `Hello ${user.username},`,
      "",
      "Confirm this address by sending the token below to POST /v1/auth/verify-email:",
      "",
      `Verification token: ${token}`,
      `Or open: ${this.deps.settings.publicUrl}/verify-email?token=${token}`,
      "",
      "The token is valid for 24 hours. If you did not sign up, ignore this mail.",
    ]);
    return user;
  }

  /** Marks the email verified. A used, expired or unknown token is a validation error. */
  async verifyEmail(token: string): Promise<UserRecord> {
    const userId = await this.deps.store.claimActionToken(hashToken(token), "verify_email", this.#now());
    const user = userId && (await this.deps.store.updateUser(userId, { emailVerified: true }));
    if (!user) throw invalidToken();
    return user;
  }

  /**
   * Logs in by username or email. Wrong password and unknown account give the same 401, in about the
   * same time. Failures count per account name and per client address; past the limit every attempt
   * is refused with `rate_limited` until the window has room again, right password or not.
   */
  async login(login: string, password: string, clientAddress: string): Promise<Session> {
    const { store, limiter, passwords, settings } = this.deps;
    const rule: RateRule = { limit: settings.loginMaxFailures, periodMs: settings.loginFailureWindowSeconds * 1000 };
    const addressRule: RateRule = { limit: rule.limit * ADDRESS_FACTOR, periodMs: rule.periodMs };
    const accountKey = `login:account:${login.toLowerCase()}`;
    const addressKey = `login:address:${clientAddress}`;
    for (const [key, keyRule] of [
      [accountKey, rule],
      [addressKey, addressRule],
    ] as const) {
      const decision = await limiter.peek(key, keyRule);
      if (!decision.allowed) throw rateLimited(decision.retryAfterMs, "too many failed logins, try again later");
    }

    const user = login.includes("@") ? await store.getUserByEmail(login) : await store.getUserByUsername(login);
    if (!user || !(await passwords.verify(password, user?.passwordHash))) {
      await Promise.all([limiter.consume(accountKey, rule), limiter.consume(addressKey, addressRule)]);
      throw unauthorized("invalid login or password");
    }
    await limiter.reset(accountKey);
    return this.#startSession(user, crypto.randomUUID());
  }

  /**
   * Exchanges a refresh token for a new pair; the presented one stops working. Presenting a token that
   * was already exchanged means it leaked: the whole family (every token descended from that login) is
   * revoked, so the thief's copy dies with the victim's.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const { store } = this.deps;
    const now = this.#now();
    const hash = hashToken(refreshToken);
    const record = await store.findRefreshToken(hash);
    if (!record || record.familyRevokedAt || record.expiresAt <= now) throw unauthorized("invalid refresh token");
    if (!(await store.claimRefreshToken(hash, now))) {
      await store.revokeRefreshFamily(record.familyId, now);
      this.deps.log.warn("refresh token reuse: family revoked", { user_id: record.userId, family_id: record.familyId });
      throw unauthorized("invalid refresh token");
    }
    const user = await store.getUserById(record.userId);
    if (!user) throw unauthorized("invalid refresh token");
    return this.#startSession(user, record.familyId);
  }

  /** Ends the session the refresh token belongs to. Idempotent; a token of another user is ignored. */
  async logout(userId: string, refreshToken: string): Promise<void> {
    const record = await this.deps.store.findRefreshToken(hashToken(refreshToken));
    if (record && record.userId === userId) await this.deps.store.revokeRefreshFamily(record.familyId, this.#now());
  }

  /**
   * Mails a reset token when the address belongs to an account. Returns before the lookup's outcome
   * could show in the response or its timing: callers answer 202 either way.
   */
  forgotPassword(email: string): void {
    const work = async () => {
      const user = await this.deps.store.getUserByEmail(email);
      if (!user) return;
      const token = await this.#issueActionToken(user.id, "password_reset", PASSWORD_RESET_TTL_MS);
      await this.#mail(user.email, "Reset your chatd password", [
        `Hello ${user.username},`,
        "",
        "Someone asked to reset the password of this account. Send the token below with a new password",
        "to POST /v1/auth/password/reset:",
        "",
        `Reset token: ${token}`,
        `Or open: ${this.deps.settings.publicUrl}/reset-password?token=${token}`,
        "",
        "The token is valid for 1 hour. If it was not you, ignore this mail; your password is unchanged.",
      ]);
    };
    work().catch((error) => this.deps.log.error("password reset mail failed", { error }));
  }

  /** Sets a new password and revokes every refresh token of the account. The reset proves the address. */
  async resetPassword(token: string, password: string): Promise<void> {
    const { store, passwords } = this.deps;
    const now = this.#now();
    const userId = await store.claimActionToken(hashToken(token), "password_reset", now);
    if (!userId) throw invalidToken();
    await store.updateUser(userId, { passwordHash: await passwords.hash(password), emailVerified: true });
    await store.revokeUserRefreshTokens(userId, now);
  }

  async getUser(userId: string): Promise<UserRecord | null> {
    return this.deps.store.getUserById(userId);
  }

  /** A display name is a name (see text.ts): trimmed, visible, no bidi controls; null clears it. */
  async updateProfile(userId: string, patch: { displayName?: string | null }): Promise<UserRecord | null> {
    const { displayName } = patch;
    return this.deps.store.updateUser(userId, {
      ...(displayName !== undefined ? { displayName: displayName && visibleText(displayName, DISPLAY_NAME) } : {}),
    });
  }

  async #startSession(user: UserRecord, familyId: string): Promise<Session> {
    const refreshToken = newOpaqueToken();
    await this.deps.store.insertRefreshToken({
      tokenHash: hashToken(refreshToken),
      familyId,
      userId: user.id,
      expiresAt: new Date(this.#now().getTime() + this.deps.settings.refreshTokenTtlSeconds * 1000),
    });
    const accessToken = await this.deps.accessTokens.issue(user.id);
    return { accessToken, refreshToken, expiresIn: this.deps.accessTokens.ttlSeconds, user };
  }

  async #issueActionToken(userId: string, kind: "verify_email" | "password_reset", ttlMs: number) {
    const token = newOpaqueToken();
    const expiresAt = new Date(this.#now().getTime() + ttlMs);
    await this.deps.store.insertActionToken({ tokenHash: hashToken(token), kind, userId, expiresAt });
    return token;
  }

  /** A mail that cannot be sent is logged, not thrown: the account change it accompanies has happened. */
  async #mail(to: string, subject: string, lines: string[]) {
    try {
      await this.deps.mailer.send({ to, subject, text: `${lines.join("\n")}\n` });
    } catch (error) {
      this.deps.log.error("mail not sent", { to, subject, error });
    }
  }
}

const invalidToken = () =>
  validationFailed("token is invalid or expired", [{ field: "token", message: "invalid or expired" }]);
