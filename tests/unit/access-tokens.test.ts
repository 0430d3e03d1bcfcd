// Access tokens: a token verified once is answered from memory until it expires, and memory never
// makes a token valid that verification would refuse.
import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { AccessTokens } from "../../src/domain/access-tokens";
import { AppError } from "../../src/domain/errors";

const SECRET = "access-token-test-secret-that-is-long-enough";

const refusal = async (work: Promise<unknown>) => {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).message;
  }
  throw new Error("expected a refusal");
};

afterEach(() => setSystemTime());

describe("verified tokens", () => {
  test("a token verified twice gives the same claims", async () => {
    const tokens = new AccessTokens(SECRET, 60);
    const token = await tokens.issue(crypto.randomUUID(), crypto.randomUUID());
    const first = await tokens.verify(token);
    expect(await tokens.verify(token)).toEqual(first);
  });

  test("a token verified while valid is refused as expired once its time is up", async () => {
    const tokens = new AccessTokens(SECRET, 60);
    const token = await tokens.issue(crypto.randomUUID(), crypto.randomUUID());
    await tokens.verify(token);
    setSystemTime(new Date(Date.now() + 61_000));
    expect(await refusal(tokens.verify(token))).toContain("expired");
    expect(await refusal(tokens.verify(token))).toContain("expired");
  });

  test("a tampered copy of a verified token is refused", async () => {
    const tokens = new AccessTokens(SECRET, 60);
    const token = await tokens.issue(crypto.randomUUID(), crypto.randomUUID());
    await tokens.verify(token);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === "A" ? "B" : "A"}${signature.at(-1)}`;
    expect(await refusal(tokens.verify(`${header}.${payload}.${flipped}`))).toContain("invalid");
  });

  test("a token of another key is refused although one of ours with the same claims was verified", async () => {
    const ours = new AccessTokens(SECRET, 60);
    const theirs = new AccessTokens(`${SECRET}-other`, 60);
    const user = crypto.randomUUID();
    await ours.verify(await ours.issue(user, crypto.randomUUID()));
    expect(await refusal(ours.verify(await theirs.issue(user, crypto.randomUUID())))).toContain("invalid");
  });
});
