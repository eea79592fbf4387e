// What the verification flow needs from the outbox and the account audit (branch `delivery`):
// the narrow shapes it calls, so this module states its dependency and nothing more.
import type { Tx } from '../../store/database.ts';
import type { Work } from '../../store/unit-of-work.ts';

export interface MailMessage {
  tenantId: number;
  userId: number | null;
  to: string;
  subject: string;
  text: string;
  html?: string;
  purpose: string;
  reference?: string;
}

export interface SmsMessage {
  tenantId: number;
  userId: number | null;
  to: string;
  text: string;
  purpose: string;
  reference?: string;
}

/** Queues a message in the write's transaction; throws 4xx/429 AppErrors for quotas and SMS guards. */
export interface MessageOutbox {
  enqueueMail(work: Work, mail: MailMessage, context?: { ip?: string }): Promise<number>;
  enqueueSms(work: Work, sms: SmsMessage, context?: { ip?: string }): Promise<number>;
}

export interface AccountAuditEntry {
  tenantId: number;
  userId?: number | null;
  event: string;
  method?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown>;
}

/** Records one event in the write's transaction; never given a secret. */
export interface AccountAuditLog {
  record(tx: Tx, entry: AccountAuditEntry): Promise<unknown>;
}
