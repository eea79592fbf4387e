// Password-reset mail as a test reads it: a real SMTP sink (delivery's mail-sink) the server
// sends to, the reset link taken from each received message in order, and (for an in-process
// server) the outbox rows and audit entries behind them.
import { startMailSink, type MailSink } from './mail-sink.ts';
import type { TestServer } from './server.ts';

const LINK = /https?:\/\/\S+\/api\/v1\/reset-password\?\S+/;

export class ResetMailbox {
  /** Per address: the index in `sink.received` after the last message already handed out. */
  private readonly read = new Map<string, number>();
  private server: TestServer | null = null;

  private constructor(readonly sink: MailSink) {}

  static async start(): Promise<ResetMailbox> {
    return new ResetMailbox(await startMailSink());
  }

  /** What the server needs to mail here. */
  serverEnv(): Record<string, string> {
    return { SMTP_URL: this.sink.url };
  }

  attach(server: TestServer): void {
    this.server = server;
  }

  /** The link of the next reset mail to `to` (each message is handed out once, in order of arrival). */
  async nextLink(to: string, timeoutMs = 15_000): Promise<string> {
    const address = to.toLowerCase();
    const after = this.read.get(address) ?? 0;
    const mail = await this.sink.waitFor(address, { after, timeoutMs });
    this.read.set(address, this.sink.received.indexOf(mail) + 1);
    const link = LINK.exec(mail.text)?.[0];
    if (!link) throw new Error(`no reset link in the mail to ${to}: ${mail.text}`);
    // The HTML part links to the same page.
    if (mail.html && !mail.html.includes(link.replace(/&/g, '&amp;'))) throw new Error(`the HTML part of the mail to ${to} links elsewhere`);
    return link;
  }

  /** Outbox rows addressed to `to` (sent or not): what the server wrote after its answers. */
  async countTo(to: string): Promise<number> {
    const db = this.requireServer().running.services.database.prisma;
    await this.requireServer().running.services.passwordReset.drain();
    return db.outboxMessage.count({ where: { channel: 'mail', destination: to.toLowerCase() } });
  }

  async auditOf(userId: number): Promise<{ event: string; detail: string; ip: string | null }[]> {
    const db = this.requireServer().running.services.database.prisma;
    return db.accountAuditEntry.findMany({ where: { userId }, orderBy: { id: 'asc' }, select: { event: true, detail: true, ip: true } });
  }

  stop(): Promise<void> {
    return this.sink.close();
  }

  private requireServer(): TestServer {
    if (!this.server) throw new Error('ResetMailbox.attach(server) first (in-process servers only)');
    return this.server;
  }
}
