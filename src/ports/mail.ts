// The mail port: fire one message at one recipient. Adapters: outbox (.eml files) and SMTP.

export type MailMessage = {
  to: string;
  subject: string;
  text: string;
};

export interface Mailer {
  /** Resolves once the message is accepted for delivery (written to the outbox, or accepted by SMTP). */
  send(message: MailMessage): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
