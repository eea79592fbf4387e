// What the verification flow needs from the outbox and the account audit: the narrow parts it
// calls, so this module states its dependency and nothing more.
import type { Outbox } from '../../delivery/outbox.ts';
import type { AccountAudit } from '../audit/account-audit.ts';

/** Queues a message in the write's transaction; throws 4xx/429 AppErrors for quotas and SMS guards. */
export type MessageOutbox = Pick<Outbox, 'enqueueMail' | 'enqueueSms'>;

/** Records one event in the write's transaction; never given a secret. */
export type AccountAuditLog = Pick<AccountAudit, 'record'>;
