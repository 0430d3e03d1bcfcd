// Login on the Accounts service with a Passwords that counts Argon2 verifications: an unknown account
// costs the same one verification as a known one, and no number of parallel attempts gets more than
// the failure limit through to verification, per account name and per client address.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { AppError } from "../../src/domain/errors";
import { type AccountsHarness, accountsHarness } from "../support/accounts";
import { uniqueUser } from "../support/client";

let h: AccountsHarness;
beforeEach(async () => {
  h = await accountsHarness({ loginMaxFailures: 5 });
});
afterEach(() => h.close());

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error) => (error instanceof AppError ? error.status : 500),
  );

async function account() {
  const user = uniqueUser("login");
  await h.accounts.signup(user);
  return user;
}

test("an unknown username or email costs one password verification, exactly like a known one", async () => {
  const user = await account();
  for (const login of [user.username, user.email, "nobody-at-all", "nobody@example.test"]) {
    const before = h.passwords.verifications;
    expect(await outcome(h.accounts.login(login, "not the password", "10.0.0.1"))).toBe(401);
    expect({ login, verifications: h.passwords.verifications - before }).toEqual({ login, verifications: 1 });
  }
  const before = h.passwords.verifications;
  expect(await outcome(h.accounts.login(user.username, user.password, "10.0.0.1"))).toBe(200);
  expect(h.passwords.verifications - before).toBe(1);
});

test("20 parallel logins against one account with a limit of 5: at most 5 reach verification, the rest 429", async () => {
  const user = await account();
  const attempts = Array.from({ length: 20 }, (_, i) =>
    outcome(h.accounts.login(user.username, i === 19 ? user.password : `wrong ${i}`, `10.0.1.${i}`)),
  );
  const statuses = await Promise.all(attempts);
  expect(h.passwords.verifications).toBeLessThanOrEqual(5);
  expect(statuses.filter((s) => s === 401 || s === 200).length).toBeLessThanOrEqual(5);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
  expect(statuses.every((s) => [200, 401, 429].includes(s))).toBe(true);
});

test("20 parallel logins from one address against different names: at most 10x the limit reach verification", async () => {
  await h.close();
  h = await accountsHarness({ loginMaxFailures: 1 });
  const statuses = await Promise.all(
    Array.from({ length: 20 }, (_, i) => outcome(h.accounts.login(`ghost-${i}`, "guess", "10.0.2.1"))),
  );
  expect(h.passwords.verifications).toBe(10);
  expect(statuses.filter((s) => s === 401)).toHaveLength(10);
  expect(statuses.filter((s) => s === 429)).toHaveLength(10);
});

test("a login refused by one limit does not count against the other", async () => {
  await h.close();
  h = await accountsHarness({ loginMaxFailures: 1 });
  const user = await account();
  // The address's 10 failures go to other names; then the account is tried from that address.
  for (let i = 0; i < 10; i++) await outcome(h.accounts.login(`other-${i}`, "guess", "10.0.3.1"));
  expect(await outcome(h.accounts.login(user.username, "guess", "10.0.3.1"))).toBe(429);
  // The refused attempt reserved nothing on the account: its one allowed failure is still there.
  expect(await outcome(h.accounts.login(user.username, user.password, "10.0.3.2"))).toBe(200);
});

test("a successful login clears the account's failures and gives the address its attempt back", async () => {
  await h.close();
  h = await accountsHarness({ loginMaxFailures: 2 });
  const user = await account();
  const address = "10.0.4.1";
  // 20 logins from the address: 19 right ones (refunded), then one failure; none is refused.
  for (let i = 0; i < 19; i++) expect(await outcome(h.accounts.login(user.username, user.password, address))).toBe(200);
  for (let i = 0; i < 2; i++) expect(await outcome(h.accounts.login(user.username, "wrong", address))).toBe(401);
  expect(await outcome(h.accounts.login(user.username, user.password, address))).toBe(429);
});
