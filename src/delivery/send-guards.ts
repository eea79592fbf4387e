// The send quotas and SMS pumping guards, checked inside the enqueueing transaction after the
// new row is written, so the row counts itself and a refusal rolls it back with the rest. The
// counts come from the outbox table: they hold across processes (SQLite: the row's insert took
// the database's write lock; PostgreSQL: the caller holds a per-tenant advisory lock).
import { AppError } from '../errors/define-error.ts';
import { Errors } from '../errors/registry.ts';
import type { Tx } from '../store/database.ts';
import type { ChannelQuotas, DeliverySettings } from './delivery-settings.ts';

export type Channel = 'mail' | 'sms';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

export interface GuardedMessage {
  tenantId: number;
  channel: Channel;
  destination: string;
  at: Date;
}

/** What refused a send, for the audit's 'throttle' entry. */
export interface Refusal {
  error: AppError;
  rule: string;
}

/** SMS to a number outside the allow-list are refused before anything is written. */
export function checkSmsCountry(settings: DeliverySettings, to: string): Refusal | null {
  if (settings.sms.allowedCountryPrefixes.some((prefix) => to.startsWith(prefix))) return null;
  return { error: Errors.smsCountryNotAllowed(), rule: 'sms.allowedCountryPrefixes' };
}

/** The first quota the message (already written) exceeds, or null. */
export async function checkQuotas(tx: Tx, message: GuardedMessage, settings: DeliverySettings): Promise<Refusal | null> {
  const quotas: ChannelQuotas = settings[message.channel];
  const rules: Array<{ rule: keyof ChannelQuotas; windowMs: number; perDestination: boolean }> = [
    { rule: 'perDestinationHourly', windowMs: HOUR_MS, perDestination: true },
    { rule: 'perDestinationDaily', windowMs: DAY_MS, perDestination: true },
    { rule: 'perTenantHourly', windowMs: HOUR_MS, perDestination: false },
    { rule: 'perTenantDaily', windowMs: DAY_MS, perDestination: false },
  ];
  for (const { rule, windowMs, perDestination } of rules) {
    const limit = quotas[rule];
    const where = {
      tenantId: message.tenantId,
      channel: message.channel,
      ...(perDestination ? { destination: message.destination } : {}),
      createdAt: { gt: new Date(message.at.getTime() - windowMs) },
    };
    const count = await tx.outboxMessage.count({ where });
    if (count <= limit) continue;
    const retryAfter = await secondsUntilRoom(tx, where, count, limit, windowMs, message.at);
    const window = windowMs === HOUR_MS ? 'hour' : '24 hours';
    const headers = { 'Retry-After': String(retryAfter) };
    const error =
      perDestination
        ? Errors.destinationQuotaExceeded({ channel: message.channel, window, retryAfter }, { headers })
        : message.channel === 'sms' && windowMs === DAY_MS
          ? Errors.smsBudgetExhausted({ retryAfter }, { headers })
          : Errors.tenantQuotaExceeded({ channel: message.channel, window, retryAfter }, { headers });
    return { error, rule: `${message.channel}.${rule}` };
  }
  return null;
}

/**
 * When one more message fits: `count` rows (the new one among them) are in the window and
 * `limit` may be; once the (count - limit)-th oldest, the oldest of the others, leaves it.
 */
async function secondsUntilRoom(
  tx: Tx,
  where: Record<string, unknown>,
  count: number,
  limit: number,
  windowMs: number,
  now: Date,
): Promise<number> {
  if (limit === 0) return Math.ceil(windowMs / 1000);
  const [leaving] = await tx.outboxMessage.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: count - limit - 1, take: 1, select: { createdAt: true } });
  const at = leaving ? leaving.createdAt.getTime() + windowMs : now.getTime() + windowMs;
  return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
}
