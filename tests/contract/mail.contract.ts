// The mailer contract: what any Mailer adapter must do, checked by reading what actually arrived.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { ParsedMail } from "mailparser";
import type { Mailer } from "../../src/ports/mail";
import { addresses } from "../support/outbox";

export type MailerHarness = {
  mailer: Mailer;
  /** Every mail that reached the destination so far, in arrival order. */
  received(): Promise<ParsedMail[]>;
  close(): Promise<void>;
};

export const FROM = "chatd test <no-reply@chatd.test>";

export function runMailerContract(name: string, factory: () => Promise<MailerHarness>) {
  describe(`Mailer contract: ${name}`, () => {
    let harness: MailerHarness;
    beforeEach(async () => {
      harness = await factory();
    });
    afterEach(() => harness.close());

    test("a sent message arrives with its recipient, sender, subject and text intact", async () => {
      await harness.mailer.send({
        to: "ana@example.test",
        subject: "Grüße — ünïcode ✓",
        text: "Line one\nToken: abc-123_XYZ\n",
      });
      const [mail] = await harness.received();
      expect(mail).toBeDefined();
      expect(addresses(mail!)).toEqual(["ana@example.test"]);
      expect(mail!.from?.value[0]?.address).toBe("no-reply@chatd.test");
      expect(mail!.subject).toBe("Grüße — ünïcode ✓");
      expect(mail!.text).toBe("Line one\nToken: abc-123_XYZ\n");
    });

    test("every message arrives once", async () => {
      for (let i = 0; i < 5; i++)
        await harness.mailer.send({ to: `u${i}@example.test`, subject: `n${i}`, text: `body ${i}` });
      const subjects = (await harness.received()).map((m) => m.subject).sort();
      expect(subjects).toEqual(["n0", "n1", "n2", "n3", "n4"]);
    });

    test("ping resolves when the destination is reachable", async () => {
      await harness.mailer.ping();
    });
  });
}
