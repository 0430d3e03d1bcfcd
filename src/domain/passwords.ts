// Password hashing: Argon2id through Bun.password, with the cost from config.

export type PasswordCost = { memoryKib: number; timeCost: number };

export class Passwords {
  #dummy: Promise<string> | undefined;

  constructor(private readonly cost: PasswordCost) {}

  hash(password: string): Promise<string> {
    return Bun.password.hash(password, {
      algorithm: "argon2id",
      memoryCost: this.cost.memoryKib,
      timeCost: this.cost.timeCost,
    });
  }

  /**
   * Checks a password against a stored hash. With no hash (unknown account) it still spends one
   * verification on a fixed hash, so the answer takes as long whether the account exists or not.
   */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    if (hash !== undefined) return Bun.password.verify(password, hash);
    this.#dummy ??= this.hash("chatd-no-such-account");
    await Bun.password.verify(password, await this.#dummy);
    return false;
  }
}
