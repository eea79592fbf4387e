// Mail over SMTP through nodemailer. The URL carries host, port and credentials
// (smtp://user:pass@host:587, smtps:// for implicit TLS); nothing of it is ever logged.
import nodemailer from 'nodemailer';

export interface MailToSend {
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  /** The outbox row's id: a stable Message-ID, so a receiver can spot a repeated delivery. */
  outboxId: number;
}

export interface MailTransport {
  send(mail: MailToSend): Promise<void>;
  close(): void;
}

export function smtpTransport(options: { url: string; from: string; timeoutMs: number; messageIdDomain: string }): MailTransport {
  const transporter = nodemailer.createTransport({
    url: options.url,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // nodemailer logs nothing unless asked; keep it so (its debug output holds the message).
    logger: false,
    debug: false,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send(mail) {
      await transporter.sendMail({
        from: options.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
        messageId: `<outbox-${mail.outboxId}@${options.messageIdDomain}>`,
      });
    },
    close() {
      transporter.close();
    },
  };
}
