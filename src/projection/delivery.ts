// Outbox messages and account audit entries in their contract shape (instants in the caller's zone).
import type { components } from '../../generated/api.d.ts';
import { formatInstant } from '../lib/dates.ts';
import type { OutboxRow } from '../delivery/outbox.ts';
import type { AccountAuditRecord } from '../domain/audit/account-audit.ts';

type OutboxMessage = components['schemas']['OutboxMessage'];
type AuditEntry = components['schemas']['AccountAuditEntry'];

export function projectOutboxMessage(row: OutboxRow, zone: string): OutboxMessage {
  const at = (date: Date | null) => (date ? formatInstant(date, zone) : null);
  return {
    id: row.id,
    userId: row.userId,
    channel: row.channel as OutboxMessage['channel'],
    destination: row.destination,
    subject: row.subject,
    text: row.text,
    html: row.html,
    purpose: row.purpose,
    reference: row.reference,
    status: row.status as OutboxMessage['status'],
    attempts: row.attempts,
    nextAttemptAt: at(row.nextAttemptAt),
    lastError: row.lastError,
    createdAt: formatInstant(row.createdAt, zone),
    sentAt: at(row.sentAt),
  };
}

export function projectAuditEntry(entry: AccountAuditRecord, zone: string): AuditEntry {
  return { id: entry.id, userId: entry.userId, event: entry.event, method: entry.method, ip: entry.ip, detail: entry.detail, at: formatInstant(entry.at, zone) };
}
