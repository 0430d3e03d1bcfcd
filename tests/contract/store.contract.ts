// The storage contract: what every Store adapter (SQLite now, Cassandra later) must do identically.
// Accounts are checked here; rooms, members, messages, reactions, read state, room positions and
// attachments in the store-*.contract.ts
// files, which register their tests inside this suite.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NewUser, Store } from "../../src/ports/store";
import { describeAttachmentStore } from "./store-attachments.contract";
import { describeMemberStore } from "./store-members.contract";
import { describeMessageStore } from "./store-messages.contract";
import { describeNotifyStore } from "./store-notify.contract";
import { describeReactionAndReadStore } from "./store-reactions-unread.contract";
import { describeRoomLogStore } from "./store-room-log.contract";
import { describeRoomStore } from "./store-rooms.contract";
import { describeThreadPinMentionStore } from "./store-threads-pins-mentions.contract";

export function runStoreContract(
  name: string,
  factory: () => Promise<Store>,
  cleanup: () => Promise<void> = async () => {},
) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await factory();
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    let n = 0;
    const newUser = (over: Partial<NewUser> = {}): NewUser => {
      const tag = `${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      return {
        id: crypto.randomUUID(),
        username: `User_${tag}`,
        email: `User.${tag}@Example.test`,
        passwordHash: "$argon2id$fake",
        createdAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 123),
        ...over,
      };
    };

    describe("users", () => {
      test("a created user is found by id, and by username and email in any case", async () => {
        const user = newUser();
        const created = await store.createUser(user);
        expect(created).toEqual({ ...user, emailVerified: false, displayName: null });
        expect(await store.getUserById(user.id)).toEqual(created);
        expect(await store.getUserByUsername(user.username.toUpperCase())).toEqual(created);
        expect(await store.getUserByEmail(user.email.toLowerCase())).toEqual(created);
      });

      test("a missing user is null", async () => {
        expect(await store.getUserById(crypto.randomUUID())).toBeNull();
        expect(await store.getUserByUsername("no_such_user_here")).toBeNull();
        expect(await store.getUserByEmail("nobody@nowhere.test")).toBeNull();
      });

      test("a username or email taken in another case is a conflict naming the field, and leaves nothing behind", async () => {
        const user = await store.createUser(newUser());
        const clashName = newUser({ username: user.username.toLowerCase() });
        await expect(store.createUser(clashName)).rejects.toMatchObject({
          code: "conflict",
          details: [{ field: "username" }],
        });
        const clashEmail = newUser({ email: user.email.toUpperCase() });
        await expect(store.createUser(clashEmail)).rejects.toMatchObject({
          code: "conflict",
          details: [{ field: "email" }],
        });
        // The refused users' other fields were not reserved.
        expect(await store.getUserById(clashName.id)).toBeNull();
        expect(await store.createUser(newUser({ email: clashName.email }))).toBeDefined();
        expect(await store.createUser(newUser({ username: clashEmail.username }))).toBeDefined();
      });

      test("of concurrent creates with one username exactly one succeeds", async () => {
        const username = newUser().username;
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.createUser(newUser({ username }))),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      });

      test("updateUser changes only the given fields and returns the result; an unknown id is null", async () => {
        const user = await store.createUser(newUser());
        const named = await store.updateUser(user.id, { displayName: "Ana" });
        expect(named).toEqual({ ...user, displayName: "Ana" });
        const verified = await store.updateUser(user.id, { emailVerified: true, passwordHash: "$argon2id$new" });
        expect(verified).toEqual({ ...user, displayName: "Ana", emailVerified: true, passwordHash: "$argon2id$new" });
        expect(await store.updateUser(user.id, { displayName: null })).toMatchObject({ displayName: null });
        expect(await store.updateUser(crypto.randomUUID(), { displayName: "x" })).toBeNull();
      });
    });

    describe("refresh tokens", () => {
      const later = () => new Date(Date.now() + 3600_000);

      test("a stored token is found by hash, unused and unrevoked", async () => {
        const user = await store.createUser(newUser());
        const token = {
          tokenHash: crypto.randomUUID(),
          familyId: crypto.randomUUID(),
          userId: user.id,
          expiresAt: later(),
        };
        await store.insertRefreshToken(token);
        expect(await store.findRefreshToken(token.tokenHash)).toEqual({
          ...token,
          usedAt: null,
          familyRevokedAt: null,
        });
        expect(await store.findRefreshToken("unknown")).toBeNull();
      });

      test("a token is claimed exactly once, also under concurrent claims", async () => {
        const user = await store.createUser(newUser());
        const tokenHash = crypto.randomUUID();
        await store.insertRefreshToken({
          tokenHash,
          familyId: crypto.randomUUID(),
          userId: user.id,
          expiresAt: later(),
        });
        const claims = await Promise.all(
          Array.from({ length: 8 }, () => store.claimRefreshToken(tokenHash, new Date())),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect((await store.findRefreshToken(tokenHash))?.usedAt).toBeInstanceOf(Date);
        expect(await store.claimRefreshToken("unknown", new Date())).toBe(false);
      });

      test("revoking a family revokes its every token and no other family", async () => {
        const user = await store.createUser(newUser());
        const family = crypto.randomUUID();
        const other = crypto.randomUUID();
        for (const [hash, fam] of [
          ["a", family],
          ["b", family],
          ["c", other],
        ] as const) {
          await store.insertRefreshToken({
            tokenHash: `${family}${hash}`,
            familyId: fam,
            userId: user.id,
            expiresAt: later(),
          });
        }
        await store.revokeRefreshFamily(family, new Date());
        expect((await store.findRefreshToken(`${family}a`))?.familyRevokedAt).toBeInstanceOf(Date);
        expect((await store.findRefreshToken(`${family}b`))?.familyRevokedAt).toBeInstanceOf(Date);
        expect((await store.findRefreshToken(`${family}c`))?.familyRevokedAt).toBeNull();
      });

      test("revoking a user's tokens revokes all their families and nobody else's", async () => {
        const [ana, bob] = [await store.createUser(newUser()), await store.createUser(newUser())];
        const hashes = { ana1: crypto.randomUUID(), ana2: crypto.randomUUID(), bob: crypto.randomUUID() };
        await store.insertRefreshToken({
          tokenHash: hashes.ana1,
          familyId: crypto.randomUUID(),
          userId: ana.id,
          expiresAt: later(),
        });
        await store.insertRefreshToken({
          tokenHash: hashes.ana2,
          familyId: crypto.randomUUID(),
          userId: ana.id,
          expiresAt: later(),
        });
        await store.insertRefreshToken({
          tokenHash: hashes.bob,
          familyId: crypto.randomUUID(),
          userId: bob.id,
          expiresAt: later(),
        });
        const revoked = await store.revokeUserRefreshTokens(ana.id, new Date());
        expect(revoked.sort()).toEqual(
          [
            (await store.findRefreshToken(hashes.ana1))!.familyId,
            (await store.findRefreshToken(hashes.ana2))!.familyId,
          ].sort(),
        );
        expect(await store.revokeUserRefreshTokens(ana.id, new Date())).toEqual([]);
        expect((await store.findRefreshToken(hashes.ana1))?.familyRevokedAt).toBeInstanceOf(Date);
        expect((await store.findRefreshToken(hashes.ana2))?.familyRevokedAt).toBeInstanceOf(Date);
        expect((await store.findRefreshToken(hashes.bob))?.familyRevokedAt).toBeNull();
      });

      test("a family is found by id with its user and revocation, and an unknown one is null", async () => {
        const user = await store.createUser(newUser());
        const familyId = crypto.randomUUID();
        await store.insertRefreshToken({
          tokenHash: crypto.randomUUID(),
          familyId,
          userId: user.id,
          expiresAt: later(),
        });
        expect(await store.findRefreshFamily(familyId)).toEqual({ id: familyId, userId: user.id, revokedAt: null });
        const first = new Date(Date.now() - 1000);
        await store.revokeRefreshFamily(familyId, first);
        await store.revokeRefreshFamily(familyId, new Date());
        expect((await store.findRefreshFamily(familyId))?.revokedAt?.getTime()).toBe(first.getTime());
        expect(await store.findRefreshFamily(crypto.randomUUID())).toBeNull();
        expect(await store.findRefreshFamily("not-a-uuid")).toBeNull();
      });
    });

    describe("action tokens", () => {
      test("are single use, bound to their kind, and dead once expired", async () => {
        const user = await store.createUser(newUser());
        const now = new Date();
        const live = {
          tokenHash: crypto.randomUUID(),
          kind: "verify_email" as const,
          userId: user.id,
          expiresAt: new Date(now.getTime() + 60_000),
        };
        await store.insertActionToken(live);
        expect(await store.claimActionToken(live.tokenHash, "password_reset", now)).toBeNull();
        expect(await store.claimActionToken(live.tokenHash, "verify_email", now)).toBe(user.id);
        expect(await store.claimActionToken(live.tokenHash, "verify_email", now)).toBeNull();

        const expired = { ...live, tokenHash: crypto.randomUUID(), expiresAt: new Date(now.getTime() - 1) };
        await store.insertActionToken(expired);
        expect(await store.claimActionToken(expired.tokenHash, "verify_email", now)).toBeNull();
      });

      test("revoking a user's tokens of one kind ends them all, and no other kind's or user's", async () => {
        const [ana, bob] = [await store.createUser(newUser()), await store.createUser(newUser())];
        const now = new Date();
        const token = (userId: string, kind: "verify_email" | "password_reset") => ({
          tokenHash: crypto.randomUUID(),
          kind,
          userId,
          expiresAt: new Date(now.getTime() + 60_000),
        });
        const resets = [
          token(ana.id, "password_reset"),
          token(ana.id, "password_reset"),
          token(ana.id, "password_reset"),
        ];
        const verify = token(ana.id, "verify_email");
        const bobs = token(bob.id, "password_reset");
        for (const t of [...resets, verify, bobs]) await store.insertActionToken(t);
        expect(await store.claimActionToken(resets[0]!.tokenHash, "password_reset", now)).toBe(ana.id);

        await store.revokeActionTokens(ana.id, "password_reset", now);
        await store.revokeActionTokens(ana.id, "password_reset", now);
        for (const t of resets) expect(await store.claimActionToken(t.tokenHash, "password_reset", now)).toBeNull();
        expect(await store.claimActionToken(verify.tokenHash, "verify_email", now)).toBe(ana.id);
        expect(await store.claimActionToken(bobs.tokenHash, "password_reset", now)).toBe(bob.id);
        await store.revokeActionTokens(crypto.randomUUID(), "password_reset", now);
      });

      test("of a claim and a revocation racing for one token, the claim either wins or fails", async () => {
        const user = await store.createUser(newUser());
        const now = new Date();
        for (let i = 0; i < 3; i++) {
          const t = {
            tokenHash: crypto.randomUUID(),
            kind: "password_reset" as const,
            userId: user.id,
            expiresAt: new Date(now.getTime() + 60_000),
          };
          await store.insertActionToken(t);
          const [claimed] = await Promise.all([
            store.claimActionToken(t.tokenHash, "password_reset", now),
            store.revokeActionTokens(user.id, "password_reset", now),
          ]);
          expect([user.id, null]).toContain(claimed);
          expect(await store.claimActionToken(t.tokenHash, "password_reset", now)).toBeNull();
        }
      });
    });

    describeRoomStore(() => store);
    describeMemberStore(() => store);
    describeMessageStore(() => store);
    describeReactionAndReadStore(() => store);
    describeRoomLogStore(() => store, factory);
    describeAttachmentStore(() => store, factory);
    describeThreadPinMentionStore(() => store);
    describeNotifyStore(() => store, factory);

    test("migrate is idempotent and ping answers", async () => {
      expect((await store.migrate()).applied).toEqual([]);
      await store.ping();
    });
  });
}
