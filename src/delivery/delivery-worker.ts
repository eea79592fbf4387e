// Takes committed outbox rows to their transport: right after commit, and again from a poller
// for retries and for rows another (crashed or stopped) process left. A row is claimed before
// it is sent (status 'sending', a lease until nextAttemptAt, attempts + 1 as the fencing token),
// so two processes never send one message at once, and a failed send leaves the row pending
// with its next attempt scheduled: nothing is lost.
import type { Logger } from 'pino';
import type { Db, Tx } from '../store/database.ts';
import type { AccountAudit } from '../domain/audit/account-audit.ts';
import type { MailTransport } from './mail-transport.ts';
import type { SmsProvider } from './sms-provider.ts';
import type { Channel } from './send-guards.ts';
import type { DeliveryTrigger } from './outbox.ts';
import { withinMsOrThrow } from '../lib/time-bound.ts';

export interface DeliveryOptions {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxDelayMs: number;
  pollMs: number;
  sendTimeoutMs: number;
}

/** Rows one poll claims at most (the rest wait for the next poll). */
const POLL_BATCH = 20;
/** A busy database (requests' writes hold the SQLite lock) delays bookkeeping; it does not fail it. */
const TX_LIMITS = { maxWait: 30_000, timeout: 30_000 };
type OutboxUpdate = Parameters<Tx['outboxMessage']['updateMany']>[0]['data'];
/** lastError is kept this short: it is for operators, and a reply could echo more than needed. */
const MAX_ERROR_CHARS = 300;

export class DeliveryWorker implements DeliveryTrigger {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private polling: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly audit: AccountAudit,
    private readonly transports: { mail: MailTransport | null; sms: SmsProvider | null },
    private readonly options: DeliveryOptions,
    private readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {}

  hasTransport(channel: Channel): boolean {
    return channel === 'mail' ? this.transports.mail !== null : this.transports.sms !== null;
  }

  /** Where messages of each channel go: 'transport' or 'outbox' (nothing configured). */
  modes(): Record<Channel, 'transport' | 'outbox'> {
    return { mail: this.hasTransport('mail') ? 'transport' : 'outbox', sms: this.hasTransport('sms') ? 'transport' : 'outbox' };
  }

  deliverSoon(id: number): void {
    if (this.stopped) return; // the poller of a running process takes it
    this.track(this.deliverOne(id));
  }

  /** Starts the poller (when any transport is configured). */
  start(): void {
    if (this.timer || this.stopped || (!this.transports.mail && !this.transports.sms)) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    void this.poll();
  }

  /** One pass over the due rows; overlapping calls share the pass in progress. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /** Stops polling and waits for the sends in progress (each bounded by the send timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
    await Promise.allSettled([...this.inFlight]);
    this.transports.mail?.close();
  }

  private async pollOnce(): Promise<void> {
    try {
      const due = await this.db.outboxMessage.findMany({
        // Only channels this process can send: rows of a channel whose transport was removed
        // since would otherwise fill every batch and starve the others.
        where: { status: { in: ['pending', 'sending'] }, nextAttemptAt: { lte: new Date() }, channel: { in: (['mail', 'sms'] as const).filter((c) => this.hasTransport(c)) } },
        orderBy: { nextAttemptAt: 'asc' },
        take: POLL_BATCH,
        select: { id: true },
      });
      for (const { id } of due) {
        if (this.stopped) break;
        await this.deliverOne(id);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'delivery poll failed');
    }
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  /** Claims, sends, records; never throws (a failure is recorded on the row). */
  private async deliverOne(id: number): Promise<void> {
    try {
      const claimed = await this.claim(id);
      if (!claimed) return;
      try {
        await this.send(claimed);
      } catch (error) {
        await this.recordFailure(claimed, error);
        return;
      }
      await this.recordDelivered(claimed);
    } catch (error) {
      this.logger.error({ err: error, outboxId: id }, 'delivery bookkeeping failed (the poller retries)');
    }
  }

  /**
   * A transaction of its own, like every write here: the SQLite adapter orders only
   * transactions, and a bare write would run inside whatever request transaction is open on
   * the connection and be rolled back with it (a lost claim, then a second send).
   */
  private claim(id: number): Promise<Claimed | null> {
    return this.db.$transaction(async (tx) => {
      const now = new Date();
      const row = await tx.outboxMessage.findUnique({ where: { id } });
      if (!row || !['pending', 'sending'].includes(row.status) || !row.nextAttemptAt || row.nextAttemptAt > now) return null;
      if (!this.hasTransport(row.channel as Channel)) return null;
      // The lease outlasts a send's timeout, so only a crashed holder's claim ever lapses.
      const leaseUntil = new Date(now.getTime() + 2 * this.options.sendTimeoutMs + 1000);
      const taken = await tx.outboxMessage.updateMany({
        where: { id, attempts: row.attempts, status: { in: ['pending', 'sending'] }, nextAttemptAt: { lte: now } },
        data: { status: 'sending', attempts: row.attempts + 1, nextAttemptAt: leaseUntil },
      });
      if (taken.count !== 1) return null;
      return { ...row, channel: row.channel as Channel, attempts: row.attempts + 1 };
    }, TX_LIMITS);
  }

  /**
   * One attempt, bounded as a whole by the send timeout (SMTP's connect, greeting and socket
   * timeouts each are, not their sum), so the lease and the shutdown step hold. A send that
   * overran counts as failed and is retried; if it did reach the recipient, the Message-ID or
   * Idempotency-Key lets the duplicate be recognised.
   */
  private async send(row: Claimed): Promise<void> {
    const attempt =
      row.channel === 'mail'
        ? this.transports.mail!.send({ outboxId: row.id, to: row.destination, subject: row.subject ?? '', text: row.text ?? '', html: row.html })
        : this.transports.sms!.send({ outboxId: row.id, to: row.destination, text: row.text ?? '', purpose: row.purpose });
    await withinMsOrThrow(this.options.sendTimeoutMs, attempt, () => new Error(`no answer within ${this.options.sendTimeoutMs} ms`));
  }

  private async recordDelivered(row: Claimed): Promise<void> {
    // The body is erased once a real transport took it: codes and links live on only in the
    // recipient's inbox.
    await this.settle(row, { status: 'sent', sentAt: new Date(), text: null, html: null, lastError: null, nextAttemptAt: null }, 'delivered', {});
    this.logger.info({ outboxId: row.id, channel: row.channel, attempts: row.attempts }, 'message delivered');
  }

  private async recordFailure(row: Claimed, error: unknown): Promise<void> {
    const reason = describe(error);
    const final = row.attempts >= this.options.maxAttempts;
    const delay = Math.min(this.options.retryMaxDelayMs, this.options.retryBaseMs * 2 ** (row.attempts - 1));
    await this.settle(
      row,
      final
        ? { status: 'failed', lastError: reason, nextAttemptAt: null }
        : { status: 'pending', lastError: reason, nextAttemptAt: new Date(Date.now() + delay) },
      'send_failed',
      { final, reason },
    );
    this.logger.warn({ outboxId: row.id, channel: row.channel, attempts: row.attempts, final, reason }, final ? 'message undeliverable: gave up' : 'message not delivered: will retry');
  }

  /** Records a send's outcome and its audit row in one transaction, fenced by attempts: a claim that lapsed records nothing twice. */
  private async settle(row: Claimed, data: OutboxUpdate, event: 'delivered' | 'send_failed', detail: Record<string, unknown>): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const done = await tx.outboxMessage.updateMany({ where: { id: row.id, attempts: row.attempts, status: 'sending' }, data });
      if (done.count !== 1) return;
      await this.audit.record(tx, {
        tenantId: row.tenantId,
        userId: row.userId,
        event,
        method: row.channel,
        detail: { outboxId: row.id, purpose: row.purpose, reference: row.reference, attempts: row.attempts, ...detail },
      });
    }, TX_LIMITS);
  }
}

interface Claimed {
  id: number;
  tenantId: number;
  userId: number | null;
  channel: Channel;
  destination: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  purpose: string;
  reference: string | null;
  attempts: number;
}

/** A transport's failure in one short line: its message (an SMTP reply, an HTTP status), no stack. */
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').slice(0, MAX_ERROR_CHARS);
}
