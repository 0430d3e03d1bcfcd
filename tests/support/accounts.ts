// The Accounts service on the embedded adapters (SQLite in memory, in-process limiter and bus, outbox
// mail in a temp dir) with a Passwords that counts its Argon2 verifications, for tests that must see
// how many attempts reached the expensive check.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBus } from "../../src/bus/memory";
import { AccessTokens } from "../../src/domain/access-tokens";
import { type AccountSettings, Accounts } from "../../src/domain/accounts";
import { Passwords } from "../../src/domain/passwords";
import { Sessions } from "../../src/domain/sessions";
import { MemoryLimiter } from "../../src/limits/memory";
import { createLogger } from "../../src/log";
import { OutboxMailer } from "../../src/mail/outbox";
import { SqliteStore } from "../../src/store/sqlite";
import { TEST_JWT_SECRET } from "./server";

/** Counts every verification, including the one spent on a fixed hash for an unknown account. */
export class CountingPasswords extends Passwords {
  verifications = 0;

  override async verify(password: string, hash: string | undefined): Promise<boolean> {
    this.verifications++;
    return super.verify(password, hash);
  }
}

export type AccountsHarness = {
  accounts: Accounts;
  passwords: CountingPasswords;
  store: SqliteStore;
  close(): Promise<void>;
};

export async function accountsHarness(settings: Partial<AccountSettings> = {}): Promise<AccountsHarness> {
  const dir = await mkdtemp(join(tmpdir(), "chatd-accounts-"));
  const log = createLogger("silent");
  const store = new SqliteStore(":memory:");
  await store.migrate();
  const limiter = new MemoryLimiter();
  const bus = new MemoryBus(createLogger("silent"));
  const mailer = new OutboxMailer(join(dir, "outbox"), "chatd <no-reply@chatd.test>", log);
  const passwords = new CountingPasswords({ memoryKib: 1024, timeCost: 1 });
  const accessTokens = new AccessTokens(TEST_JWT_SECRET, 900);
  const sessions = new Sessions({ store, bus, accessTokens, log });
  const accounts = new Accounts({
    store,
    mailer,
    limiter,
    passwords,
    accessTokens,
    sessions,
    settings: {
      refreshTokenTtlSeconds: 3600,
      loginMaxFailures: 5,
      loginFailureWindowSeconds: 900,
      publicUrl: "http://localhost",
      ...settings,
    },
    log,
  });
  return {
    accounts,
    passwords,
    store,
    async close() {
      sessions.close();
      await Promise.allSettled([limiter.close(), bus.close(), mailer.close()]);
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
