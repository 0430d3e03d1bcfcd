// Reads the mails the outbox adapter wrote, parsed with mailparser, as a user opening them would.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ParsedMail, simpleParser } from "mailparser";

export class Outbox {
  constructor(readonly dir: string) {}

  async all(): Promise<ParsedMail[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n.endsWith(".eml")).sort();
    return Promise.all(names.map(async (name) => simpleParser(await readFile(join(this.dir, name)))));
  }

  /** The newest mail to `to` (waiting up to `timeoutMs` for one whose subject matches). */
  async latest(to: string, subject: RegExp, timeoutMs = 3000): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = (await this.all())
        .filter((m) => m.to && addresses(m).includes(to.toLowerCase()) && subject.test(m.subject ?? ""))
        .at(-1);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject}`);
      await Bun.sleep(25);
    }
  }
}

export const addresses = (mail: ParsedMail): string[] =>
  [mail.to ?? []].flat().flatMap((to) => to.value.map((a) => (a.address ?? "").toLowerCase()));

/** The token a chatd mail carries ("Verification token: ..." or "Reset token: ..."). */
export const tokenIn = (mail: ParsedMail): string => {
  const match = /token: (\S+)/.exec(mail.text ?? "");
  if (!match?.[1]) throw new Error(`no token in mail: ${mail.text}`);
  return match[1];
};
