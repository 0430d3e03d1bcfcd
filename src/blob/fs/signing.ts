// The embedded blob store's URL signatures: HMAC-SHA256 over the method, the key, the expiry and what
// the request is bound to (an upload's length and type, a download's type and disposition), with a
// key generated once per data dir. Verification is constant-time.
import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type Signed = { method: "PUT" | "GET"; key: string; expires: number; bound: string[] };

/**
 * The signing key kept at `path` (0600), made on first use; processes sharing the data dir share it.
 * Of two processes making it at once, the second reads the first's.
 */
export function loadSigningKey(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      writeFileSync(path, `${key}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const key = readFileSync(path, "utf8").trim();
  if (key.length < 32) throw new Error(`blob signing key in ${path} is too short`);
  return Buffer.from(key);
}

export class UrlSigner {
  constructor(private readonly secret: Buffer) {}

  sign(what: Signed): string {
    // Fields are joined by newlines; none of them can hold one (keys and numbers by shape, types by
    // the config's pattern, dispositions as built by attachment-rules.ts), so no two inputs collide.
    const text = [what.method, what.key, String(what.expires), ...what.bound].join("\n");
    return createHmac("sha256", this.secret).update(text).digest("base64url");
  }

  /** True when `signature` is the one for `what` (compared in constant time). */
  verify(what: Signed, signature: string | undefined): boolean {
    if (!signature || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return false;
    const expected = Buffer.from(this.sign(what));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
