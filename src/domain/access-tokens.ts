// Access tokens: HS256 JWTs carrying sub, iat, exp and jti. The algorithm is pinned on verify, so a
// token signed any other way (including "none") is refused. jose directly, because the caller must be
// able to tell an expired token from a forged one.
import { errors, jwtVerify, SignJWT } from "jose";
import { unauthorized } from "./errors";

export type AccessClaims = { userId: string; tokenId: string; expiresAt: Date };

const ALGORITHM = "HS256";

export class AccessTokens {
  /** Imported once: jose would import raw key bytes again on every sign and verify. */
  readonly #key: Promise<CryptoKey>;

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

  async issue(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setJti(crypto.randomUUID())
      .sign(await this.#key);
  }

  /** Throws `unauthorized` with "access token expired" or "invalid access token". */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, await this.#key, {
        algorithms: [ALGORITHM],
        requiredClaims: ["sub", "iat", "exp", "jti"],
      });
      return {
        userId: payload.sub as string,
        tokenId: payload.jti as string,
        expiresAt: new Date((payload.exp as number) * 1000),
      };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthorized("access token expired");
      if (error instanceof errors.JOSEError) throw unauthorized("invalid access token");
      throw error;
    }
  }
}
