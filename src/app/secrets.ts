// The JWT signing key: JWT_SECRET when set, else one generated once and kept in the data dir.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log";

export function resolveJwtSecret(configured: string | undefined, dataDir: string, log: Logger): string {
  if (configured) return configured;
  const path = join(dataDir, "jwt-secret");
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  }
  log.warn(
    "JWT_SECRET is not set; using the key generated in the data dir. Set JWT_SECRET when running more than one process.",
    {
      file: path,
    },
  );
  return readFileSync(path, "utf8").trim();
}
