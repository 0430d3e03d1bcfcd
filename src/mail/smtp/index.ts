// The production mailer: SMTP through nodemailer, configured by one URL (SMTP_URL).
import { createTransport, type Transporter } from "nodemailer";
import { unavailable } from "../../domain/errors";
import type { Mailer, MailMessage } from "../../ports/mail";
import { toNodemailer } from "../shared";

export class SmtpMailer implements Mailer {
  readonly #transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.#transport = createTransport(url, {});
  }

  async send(message: MailMessage) {
    try {
      await this.#transport.sendMail(toNodemailer(this.from, message));
    } catch (error) {
      throw unavailable("mail", error);
    }
  }

  async ping() {
    try {
      await this.#transport.verify();
    } catch (error) {
      throw unavailable("mail", error);
    }
  }

  async close() {
    this.#transport.close();
  }
}
