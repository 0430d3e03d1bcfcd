// Opaque secrets handed to users (refresh, verification and reset tokens): random, and stored only hashed.

/** 32 random bytes, base64url: what the user holds. */
export const newOpaqueToken = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/** SHA-256 hex of a token: what the store holds. Tokens have 256 bits of entropy, so no salt or stretching is needed. */
export const hashToken = (token: string): string => new Bun.CryptoHasher("sha256").update(token).digest("hex");
