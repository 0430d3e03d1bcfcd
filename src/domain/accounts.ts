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
import type { Sessions } from "./sessions";
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
/** Reset mails asked for, per email address and per client address: past these, nothing is mailed. */
const FORGOT_PER_EMAIL: RateRule = { limit: 3, periodMs: 3600_000 };
const FORGOT_PER_CLIENT: RateRule = { limit: 10, periodMs: 3600_000 };
/** Client addresses get this many times the per-account-name allowance (one address, many accounts). */
const ADDRESS_FACTOR = 10;

export type AccountDeps = {
  store: AccountStore;
  mailer: Mailer;
  limiter: Limiter;
  passwords: Passwords;
  accessTokens: AccessTokens;
  /** Told of every login that ends, so its access tokens and sockets stop working everywhere. */
  sessions: Pick<Sessions, "revoke">;
  settings: AccountSettings;
  log: Logger;
  now?: () => Date;
};

export class Accounts {
  readonly #now: () => Date;
  readonly #pending = new Set<Promise<void>>();

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
   * Logs in by username or email. Wrong password and unknown account give the same 401 after the same
   * work: one Argon2 verification either way (against a fixed hash when there is no account).
   * Failures count per login name and per client address, and each attempt reserves its failure on
   * both before the verification, so parallel attempts cannot pass the limit: past it every attempt is
   * refused with `rate_limited` until the window has room again, right password or not. A success
   * clears the name's failures and gives the address its reservation back.
   */
  async login(login: string, password: string, clientAddress: string): Promise<Session> {
    const { store, limiter, passwords, settings } = this.deps;
    const rule: RateRule = { limit: settings.loginMaxFailures, periodMs: settings.loginFailureWindowSeconds * 1000 };
    const account = { key: `login:account:${login.toLowerCase()}`, rule, limit: "login_account" };
    const address = {
      key: `login:address:${clientAddress}`,
      rule: { limit: rule.limit * ADDRESS_FACTOR, periodMs: rule.periodMs },
      limit: "login_address",
    };
    await this.#reserve([account, address]);

    const user = login.includes("@") ? await store.getUserByEmail(login) : await store.getUserByUsername(login);
    const valid = await passwords.verify(password, user?.passwordHash);
    if (!user || !valid) throw unauthorized("invalid login or password");
    await Promise.all([limiter.reset(account.key), limiter.refund(address.key, address.rule)]);
    return this.#startSession(user, crypto.randomUUID());
  }

  /**
   * Takes one hit on every key, or none: when any key refuses, the hits taken on the others are given
   * back and the attempt is `rate_limited` with the longest wait, named by the first key that refused.
   */
  async #reserve(keys: { key: string; rule: RateRule; limit: string }[]) {
    const { limiter } = this.deps;
    const decisions = await Promise.all(keys.map(({ key, rule }) => limiter.consume(key, rule)));
    if (decisions.every((d) => d.allowed)) return;
    await Promise.all(keys.filter((_, i) => decisions[i]?.allowed).map(({ key, rule }) => limiter.refund(key, rule)));
    const retryAfterMs = Math.max(...decisions.map((d) => d.retryAfterMs));
    const refused = keys[decisions.findIndex((d) => !d.allowed)]!;
    throw rateLimited(refused.limit, retryAfterMs, "too many failed logins, try again later");
  }

  /**
   * Exchanges a refresh token for a new pair; the presented one stops working. Presenting a token that
   * was already exchanged means it leaked: the whole family (every token descended from that login,
   * and the session's access tokens and sockets) is revoked, so the thief's copy dies with the victim's.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const { store } = this.deps;
    const now = this.#now();
    const hash = hashToken(refreshToken);
    const record = await store.findRefreshToken(hash);
    if (!record || record.familyRevokedAt || record.expiresAt <= now) throw unauthorized("invalid refresh token");
    if (!(await store.claimRefreshToken(hash, now))) {
      await store.revokeRefreshFamily(record.familyId, now);
      await this.deps.sessions.revoke(record.userId, [record.familyId], "revoked");
      this.deps.log.warn("refresh token reuse: family revoked", { user_id: record.userId, family_id: record.familyId });
      throw unauthorized("invalid refresh token");
    }
    const user = await store.getUserById(record.userId);
    if (!user) throw unauthorized("invalid refresh token");
    return this.#startSession(user, record.familyId);
  }

  /**
   * Ends the session the refresh token belongs to: its refresh tokens, access tokens and sockets.
   * Idempotent; a token of another user is ignored.
   */
  async logout(userId: string, refreshToken: string): Promise<void> {
    const record = await this.deps.store.findRefreshToken(hashToken(refreshToken));
    if (!record || record.userId !== userId) return;
    await this.deps.store.revokeRefreshFamily(record.familyId, this.#now());
    await this.deps.sessions.revoke(userId, [record.familyId], "logout");
  }

  /**
   * Mails a reset token when the address belongs to an account, at most FORGOT_PER_EMAIL times per
   * hour per address and FORGOT_PER_CLIENT times per hour per client. Resolves once the limits are
   * decided, before the lookup, whose outcome must not show in the response or its timing: callers
   * answer 202 either way, also past a limit (no mail then).
   */
  async forgotPassword(email: string, clientAddress: string): Promise<void> {
    const { limiter, log } = this.deps;
    // The client first: a client past its limit spends nothing of the address's allowance.
    for (const [limit, key, rule] of [
      ["client", `forgot:address:${clientAddress}`, FORGOT_PER_CLIENT],
      ["email", `forgot:email:${email.toLowerCase()}`, FORGOT_PER_EMAIL],
    ] as const) {
      if (!(await limiter.consume(key, rule)).allowed) {
        log.info("password reset not mailed: rate limited", { limit });
        return;
      }
    }
    this.#background(async () => {
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
    });
  }

  /**
   * Sets a new password. The reset proves the address (it is marked verified) and ends the account's
   * every other unused reset token and every session.
   */
  async resetPassword(token: string, password: string): Promise<void> {
    const { store, passwords } = this.deps;
    const now = this.#now();
    const userId = await store.claimActionToken(hashToken(token), "password_reset", now);
    if (!userId) throw invalidToken();
    await store.revokeActionTokens(userId, "password_reset", now);
    await store.updateUser(userId, { passwordHash: await passwords.hash(password), emailVerified: true });
    const sessionIds = await store.revokeUserRefreshTokens(userId, now);
    await this.deps.sessions.revoke(userId, sessionIds, "password_reset");
  }

  /** Resolves when the work started in the background (reset mails) has finished: graceful stop. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #background(work: () => Promise<void>) {
    const task = work()
      .catch((error) => this.deps.log.error("password reset mail failed", { error }))
      .finally(() => this.#pending.delete(task));
    this.#pending.add(task);
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
    const accessToken = await this.deps.accessTokens.issue(user.id, familyId);
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
