// The outbox: every mail and SMS is first a row written in the caller's transaction (with the
// challenge or token it announces), checked against the tenant's quotas and SMS guards there,
// audited, and handed to the delivery worker only once that transaction has committed.
import { Errors } from '../errors/registry.ts';
import type { Db, Dialect, Tx } from '../store/database.ts';
import type { Work } from '../store/unit-of-work.ts';
import type { AccountAudit } from '../domain/audit/account-audit.ts';
import { E164_NUMBER, parseDeliverySettings, type DeliverySettings } from './delivery-settings.ts';
import { checkQuotas, checkSmsCountry, type Channel, type Refusal } from './send-guards.ts';

export interface OutgoingMail {
  tenantId: number;
  userId: number | null;
  to: string;
  subject: string;
  text: string;
  html?: string;
  purpose: string;
  reference?: string;
}

export interface OutgoingSms {
  tenantId: number;
  userId: number | null;
  /** E.164: "+" and 8 to 15 digits. */
  to: string;
  text: string;
  purpose: string;
  reference?: string;
}

export interface SendContext {
  ip?: string;
}

/** What takes a committed message on (the delivery worker). */
export interface DeliveryTrigger {
  /** Whether a real transport is configured for the channel; false: the outbox is the delivery. */
  hasTransport(channel: Channel): boolean;
  /** Starts delivering the message; returns at once (sending happens after the response). */
  deliverSoon(id: number): void;
}

/** Namespace of the two-key PostgreSQL advisory locks taken here ('outb'); the key is the tenant id. */
const LOCK_SPACE = 0x6f757462;
const MAIL_ADDRESS = /^[^@\s<>]+@[^@\s<>]+$/;
/** Status of a message no transport will take: the row itself is the delivery. */
export const STORED = 'stored';

export class Outbox {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly audit: AccountAudit,
    private readonly trigger: DeliveryTrigger,
    /** Told about an audit entry of a refused send that could not be written. */
    private readonly onAuditError: (error: unknown) => void = () => undefined,
  ) {}

  async enqueueMail(work: Work, mail: OutgoingMail, context: SendContext = {}): Promise<number> {
    const to = mail.to.trim();
    if (!MAIL_ADDRESS.test(to) || to.length > 320) throw Errors.invalidMailAddress();
    return this.enqueue(work, {
      tenantId: mail.tenantId,
      userId: mail.userId,
      channel: 'mail',
      destination: to.toLowerCase(),
      subject: mail.subject,
      text: mail.text,
      html: mail.html ?? null,
      purpose: mail.purpose,
      reference: mail.reference ?? null,
    }, context);
  }

  async enqueueSms(work: Work, sms: OutgoingSms, context: SendContext = {}): Promise<number> {
    const to = sms.to.trim();
    if (!E164_NUMBER.test(to)) throw Errors.invalidPhoneNumber();
    return this.enqueue(work, {
      tenantId: sms.tenantId,
      userId: sms.userId,
      channel: 'sms',
      destination: to,
      subject: null,
      text: sms.text,
      html: null,
      purpose: sms.purpose,
      reference: sms.reference ?? null,
    }, context);
  }

  /** One page of the tenant's messages, newest first, with the total matching the filters. */
  async readPage(tenantId: number, query: OutboxQuery): Promise<{ total: number; messages: OutboxRow[] }> {
    const where = {
      tenantId,
      ...(query.destination !== undefined ? { destination: query.destination.includes('@') ? query.destination.trim().toLowerCase() : query.destination.trim() } : {}),
      ...(query.purpose !== undefined ? { purpose: query.purpose } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.channel !== undefined ? { channel: query.channel } : {}),
    };
    const [total, messages] = await Promise.all([
      this.db.outboxMessage.count({ where }),
      this.db.outboxMessage.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: query.limit, skip: query.offset }),
    ]);
    return { total, messages };
  }

  /** One message of the tenant (null: none, or another tenant's). */
  readOne(tenantId: number, id: number): Promise<OutboxRow | null> {
    return this.db.outboxMessage.findFirst({ where: { id, tenantId } });
  }

  private async enqueue(work: Work, message: NewMessage, context: SendContext): Promise<number> {
    const { tx } = work;
    await this.lockTenant(tx, message.tenantId);
    const at = new Date();
    const transport = this.trigger.hasTransport(message.channel);
    // Written before anything is read: on SQLite this write takes the database's write lock
    // (a read first would pin a snapshot another writer can invalidate), so the settings and
    // counts below are current and no other send can slip in between. A refusal rolls it back.
    const row = await tx.outboxMessage.create({
      data: { ...message, status: transport ? 'pending' : STORED, nextAttemptAt: transport ? at : null, createdAt: at },
      select: { id: true },
    });
    const settings = await this.settingsOf(tx, message.tenantId);
    const refusal =
      (message.channel === 'sms' ? checkSmsCountry(settings, message.destination) : null) ??
      (await checkQuotas(tx, { tenantId: message.tenantId, channel: message.channel, destination: message.destination, at }, settings));
    if (refusal) {
      // Gone even if the caller catches the refusal and commits the rest of its write.
      await tx.outboxMessage.delete({ where: { id: row.id } });
      this.refuse(message, refusal, context);
    }
    await this.audit.record(tx, {
      tenantId: message.tenantId,
      userId: message.userId,
      event: 'send',
      method: message.channel,
      ip: context.ip ?? null,
      detail: { outboxId: row.id, purpose: message.purpose, reference: message.reference, delivery: transport ? 'transport' : 'outbox' },
    });
    if (transport) work.afterCommit(() => this.trigger.deliverSoon(row.id));
    return row.id;
  }

  /** Throws the refusal; its 'throttle' entry is written apart, as the caller's write rolls back. */
  private refuse(message: NewMessage, refusal: Refusal, context: SendContext): never {
    this.audit.recordDetached({
      tenantId: message.tenantId,
      userId: message.userId,
      event: 'throttle',
      method: message.channel,
      ip: context.ip ?? null,
      detail: { purpose: message.purpose, reference: message.reference, rule: refusal.rule, refusal: refusal.error.code },
    }, this.onAuditError);
    throw refusal.error;
  }

  private async settingsOf(tx: Tx, tenantId: number): Promise<DeliverySettings> {
    const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { deliverySettings: true } });
    if (!tenant) throw Errors.notFound({ what: 'Tenant', id: tenantId });
    return parseDeliverySettings(tenant.deliverySettings);
  }

  /**
   * PostgreSQL runs READ COMMITTED: two transactions would each miss the other's new row when
   * counting. A transaction-scoped advisory lock per tenant orders them. SQLite writers run one
   * at a time already.
   */
  private async lockTenant(tx: Tx, tenantId: number): Promise<void> {
    if (this.dialect !== 'postgresql') return;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_SPACE}::int, ${tenantId}::int)`;
  }
}

export interface OutboxQuery {
  destination?: string;
  purpose?: string;
  status?: string;
  channel?: Channel;
  limit: number;
  offset: number;
}

export type OutboxRow = Awaited<ReturnType<Db['outboxMessage']['findFirstOrThrow']>>;

interface NewMessage {
  tenantId: number;
  userId: number | null;
  channel: Channel;
  destination: string;
  subject: string | null;
  text: string;
  html: string | null;
  purpose: string;
  reference: string | null;
}
