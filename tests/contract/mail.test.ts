// Runs the mailer contract against the outbox adapter and against nodemailer SMTP talking to a real
// SMTP server (smtp-server) started here.
import { describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "../../src/domain/errors";
import { createLogger } from "../../src/log";
import { OutboxMailer } from "../../src/mail/outbox";
import { SmtpMailer } from "../../src/mail/smtp";
import { Outbox } from "../support/outbox";
import { startSmtpSink } from "../support/smtp";
import { FROM, runMailerContract } from "./mail.contract";

runMailerContract("outbox", async () => {
  const dir = await mkdtemp(join(tmpdir(), "chatd-outbox-"));
  const mailer = new OutboxMailer(dir, FROM, createLogger("silent"));
  return {
    mailer,
    received: () => new Outbox(dir).all(),
    close: async () => {
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

runMailerContract("smtp", async () => {
  const sink = await startSmtpSink();
  const mailer = new SmtpMailer(`smtp://127.0.0.1:${sink.port}`, FROM);
  return {
    mailer,
    received: async () => sink.mails,
    close: async () => {
      await mailer.close();
      await sink.close();
    },
  };
});

describe("SMTP mailer failures", () => {
  test("an unreachable SMTP server makes send and ping reject with `unavailable`", async () => {
    const sink = await startSmtpSink();
    await sink.close();
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${sink.port}`, FROM);
    const send = mailer.send({ to: "x@example.test", subject: "s", text: "t" });
    await expect(send).rejects.toBeInstanceOf(AppError);
    await expect(send).rejects.toMatchObject({ code: "unavailable" });
    await expect(mailer.ping()).rejects.toMatchObject({ code: "unavailable" });
    await mailer.close();
  });
});
