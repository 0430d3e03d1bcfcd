// What both mail adapters hand to nodemailer, so an outbox file and an SMTP delivery carry the same message.
import type { SendMailOptions } from "nodemailer";
import type { MailMessage } from "../ports/mail";

export const toNodemailer = (from: string, message: MailMessage): SendMailOptions => ({
  from,
  to: message.to,
  subject: message.subject,
  text: message.text,
});
