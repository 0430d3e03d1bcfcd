// The embedded mailer: each message becomes an RFC 5322 `.eml` file in the outbox dir, plus one log line
// naming the file (not the recipient: addresses stay out of logs).
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTransport, type Transporter } from "nodemailer";
import type { Logger } from "../../log";
import type { Mailer, MailMessage } from "../../ports/mail";
import { toNodemailer } from "../shared";

export class OutboxMailer implements Mailer {
  readonly #transport: Transporter;
  #sequence = 0;

  constructor(
    private readonly dir: string,
    private readonly from: string,
    private readonly log: Logger,
  ) {
    this.#transport = createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  }

  /** Files are named `<epoch ms>-<sequence>.eml`, so a directory listing sorts in send order. */
  async send(message: MailMessage) {
    const info = await this.#transport.sendMail(toNodemailer(this.from, message));
    await mkdir(this.dir, { recursive: true });
    const name = `${Date.now()}-${String(++this.#sequence).padStart(6, "0")}.eml`;
    const path = join(this.dir, name);
    // Written under a temporary name first so a reader never sees half a message.
    await writeFile(`${path}.tmp`, info.message as Buffer);
    await rename(`${path}.tmp`, path);
    this.log.info("mail written to outbox", { subject: message.subject, file: path });
  }

  async ping() {
    await mkdir(this.dir, { recursive: true });
  }

  async close() {
    this.#transport.close();
  }
}
