// Access tokens: HS256 JWTs carrying sub (the user), sid (the session: the login's refresh family),
// iat, exp and jti. The algorithm is pinned on verify, so a token signed any other way (including
// "none") is refused. jose directly, because the caller must be able to tell an expired token from a
// forged one. Whether the session is still alive is not this module's question (see sessions.ts).
import { errors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { unauthorized } from "./errors";
import { isUuid } from "./ids";

export type AccessClaims = {
  userId: string;
  /** The session (refresh family) the token was issued for. */
  sessionId: string;
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date;
};

const ALGORITHM = "HS256";

/**
 * Tokens already verified, kept until they expire: a client sends the same token with every request
 * for its whole lifetime, and checking the signature and claims again (jose: base64, JSON, HMAC,
 * claim rules) was most of what an authenticated request cost above its own work. At most this many,
 * the oldest dropped first.
 */
export const VERIFIED_CACHE_SIZE = 10_000;

export class AccessTokens {
  /** Imported once: jose would import raw key bytes again on every sign and verify. */
  readonly #key: Promise<CryptoKey>;
  /** token -> its claims, in the order verified (see VERIFIED_CACHE_SIZE). */
  readonly #verified = new Map<string, AccessClaims>();

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.#key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  async issue(userId: string, sessionId: string): Promise<string> {
    return new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setJti(crypto.randomUUID())
      .sign(await this.#key);
  }

  /**
   * The claims of a token this key signed, each of the type it must have (sub and sid UUIDs, jti a
   * non-empty string, iat and exp numbers). Throws `unauthorized` with "access token expired" or
   * "invalid access token"; never anything else for a bad token. A token verified before is answered
   * from memory (the same claims) until it expires.
   */
  async verify(token: string): Promise<AccessClaims> {
    const known = this.#verified.get(token);
    if (known) {
      if (known.expiresAt.getTime() > Date.now()) return known;
      this.#verified.delete(token);
      throw unauthorized("access token expired");
    }
    const claims = await this.#verifyNew(token);
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, claims);
    return claims;
  }

  async #verifyNew(token: string): Promise<AccessClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.#key, {
        algorithms: [ALGORITHM],
        requiredClaims: ["sub", "sid", "iat", "exp", "jti"],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthorized("access token expired");
      if (error instanceof errors.JOSEError) throw unauthorized("invalid access token");
      throw error;
    }
    const { sub, sid, jti, iat, exp } = payload;
    if (
      !isUuidString(sub) ||
      !isUuidString(sid) ||
      typeof jti !== "string" ||
      jti === "" ||
      !isSeconds(iat) ||
      !isSeconds(exp)
    )
      throw unauthorized("invalid access token");
    return Object.freeze({
      userId: sub.toLowerCase(),
      sessionId: sid.toLowerCase(),
      tokenId: jti,
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
    });
  }
}

const isUuidString = (value: unknown): value is string => typeof value === "string" && isUuid(value);

const isSeconds = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
