// The session check behind every authenticated request, as two processes sharing a store and a bus
// see it: a revocation in one is refused in the other as soon as its event arrives, within
// ALIVE_CACHE_MS when the event is lost, and the store is read once per session, not per request.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { MemoryBus } from "../../src/bus/memory";
import { AccessTokens } from "../../src/domain/access-tokens";
import { AppError } from "../../src/domain/errors";
import { SESSION_REVOKED_SUBJECT, type SessionRevoked } from "../../src/domain/session-events";
import { ALIVE_CACHE_MS, Sessions } from "../../src/domain/sessions";
import { createLogger } from "../../src/log";
import type { RefreshFamilyRecord } from "../../src/ports/store";
import { SqliteStore } from "../../src/store/sqlite";
import { TEST_JWT_SECRET } from "../support/server";

const log = createLogger("silent");
const tokens = new AccessTokens(TEST_JWT_SECRET, 900);
let store: SqliteStore;
let clock: number;
let reads: number;
const opened: Sessions[] = [];

/** A process: its own Sessions (and cache) on the shared store, counting the store reads it makes. */
function processOn(bus: MemoryBus) {
  const sessions = new Sessions({
    store: {
      findRefreshFamily: (id: string): Promise<RefreshFamilyRecord | null> => {
        reads++;
        return store.findRefreshFamily(id);
      },
    },
    bus,
    accessTokens: tokens,
    log,
    now: () => clock,
  });
  opened.push(sessions);
  return sessions;
}

beforeEach(async () => {
  store = new SqliteStore(":memory:");
  await store.migrate();
  clock = Date.now();
  reads = 0;
});
afterEach(async () => {
  for (const sessions of opened.splice(0)) sessions.close();
  await store.close();
});

async function login() {
  const user = await store.createUser({
    id: crypto.randomUUID(),
    username: `u${crypto.randomUUID().slice(0, 8)}`,
    email: `${crypto.randomUUID()}@example.test`,
    passwordHash: "x",
    createdAt: new Date(),
  });
  const sessionId = crypto.randomUUID();
  await store.insertRefreshToken({
    tokenHash: crypto.randomUUID(),
    familyId: sessionId,
    userId: user.id,
    expiresAt: new Date(Date.now() + 3600_000),
  });
  return { userId: user.id, sessionId, token: await tokens.issue(user.id, sessionId) };
}

const outcome = (sessions: Sessions, token: string) =>
  sessions.authenticate(token).then(
    () => "ok",
    (error) => (error instanceof AppError ? error.message : String(error)),
  );

test("a revocation in one process is refused in another as soon as its event arrives", async () => {
  const bus = new MemoryBus(createLogger("silent"));
  const [a, b] = [processOn(bus), processOn(bus)];
  const ana = await login();
  expect(await outcome(a, ana.token)).toBe("ok");
  await store.revokeRefreshFamily(ana.sessionId, new Date());
  await b.revoke(ana.userId, [ana.sessionId], "logout");
  // The clock has not moved: A's cached "alive" would still hold without the event.
  expect(await outcome(a, ana.token)).toBe("session revoked");
  expect(a.isRevoked(ana.sessionId)).toBe(true);
});

test("a process that misses the event refuses the session within ALIVE_CACHE_MS, from the store", async () => {
  const [a, b] = [processOn(new MemoryBus(createLogger("silent"))), processOn(new MemoryBus(createLogger("silent")))];
  const ana = await login();
  expect(await outcome(a, ana.token)).toBe("ok");
  await store.revokeRefreshFamily(ana.sessionId, new Date());
  await b.revoke(ana.userId, [ana.sessionId], "logout");
  expect(await outcome(b, ana.token)).toBe("session revoked");
  clock += ALIVE_CACHE_MS - 1;
  expect(await outcome(a, ana.token)).toBe("ok");
  clock += 1;
  expect(await outcome(a, ana.token)).toBe("session revoked");
});

test("a password reset's event ends every listed session; other users' sessions go on", async () => {
  const bus = new MemoryBus(createLogger("silent"));
  const [a, b] = [processOn(bus), processOn(bus)];
  const ana = await login();
  const second = { ...ana, sessionId: crypto.randomUUID() };
  await store.insertRefreshToken({
    tokenHash: crypto.randomUUID(),
    familyId: second.sessionId,
    userId: ana.userId,
    expiresAt: new Date(Date.now() + 3600_000),
  });
  second.token = await tokens.issue(ana.userId, second.sessionId);
  const bob = await login();
  for (const t of [ana.token, second.token, bob.token]) expect(await outcome(a, t)).toBe("ok");
  const heard: SessionRevoked[] = [];
  a.onRevoked((event) => heard.push(event));
  const ended = await store.revokeUserRefreshTokens(ana.userId, new Date());
  await b.revoke(ana.userId, ended, "password_reset");
  expect(await outcome(a, ana.token)).toBe("session revoked");
  expect(await outcome(a, second.token)).toBe("session revoked");
  expect(await outcome(a, bob.token)).toBe("ok");
  expect(heard).toEqual([
    {
      user_id: ana.userId,
      session_ids: expect.arrayContaining(ended),
      reason: "password_reset",
      at: expect.any(String),
    },
  ]);
});

test("the store is read once per session however many requests come at once, then not until the cache ages", async () => {
  const a = processOn(new MemoryBus(createLogger("silent")));
  const ana = await login();
  const results = await Promise.all(Array.from({ length: 50 }, () => outcome(a, ana.token)));
  expect(results).toEqual(Array(50).fill("ok"));
  expect(reads).toBe(1);
  for (let i = 0; i < 20; i++) await outcome(a, ana.token);
  expect(reads).toBe(1);
  clock += ALIVE_CACHE_MS;
  await outcome(a, ana.token);
  expect(reads).toBe(2);
});

test("an unknown session is refused, and a malformed event on the subject is ignored", async () => {
  const bus = new MemoryBus(createLogger("silent"));
  const a = processOn(bus);
  const ghost = await tokens.issue(crypto.randomUUID(), crypto.randomUUID());
  expect(await outcome(a, ghost)).toBe("session revoked");
  const ana = await login();
  for (const junk of ["not json", "{}", '{"user_id":1,"session_ids":[],"reason":"logout","at":"x"}'])
    await bus.publish(SESSION_REVOKED_SUBJECT, new TextEncoder().encode(junk));
  expect(await outcome(a, ana.token)).toBe("ok");
});
