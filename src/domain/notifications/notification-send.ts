// notifications.send: one notification per distinct recipient (users of the tenant, custom
// recipient ids), created in one transaction with each feed's counter and event log, and the
// Idempotency-Key: the same key and body within 24 h replay the first answer, another body is 422.
import { createHash } from 'node:crypto';
import { Errors } from '../../errors/registry.ts';
import { AppError } from '../../errors/define-error.ts';
import type { Db } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import type { TenantContext } from '../identity/tenant.ts';
import * as store from '../../store/notifications/notification-store.ts';
import { projectNotification } from '../../projection/notifications.ts';
import type { FeedScope, NotificationsService } from './notifications-service.ts';
import { customRecipient, describeRecipient, userRecipient } from './recipients.ts';

export const MAX_RECIPIENTS = 1000;
export const MAX_DATA_BYTES = 8 * 1024;
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface SendInput {
  users?: number[];
  customRecipients?: string[];
  title: string;
  body?: string;
  type?: string;
  data?: unknown;
  actionUrl?: string;
  expiresAt?: string;
}

export type SendResult = { notifications: ({ id: number } & ({ user: number } | { customRecipient: string }))[] };

function checkedUrl(text: string | undefined): string | null {
  if (text === undefined) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw Errors.notificationSendInvalid({ reason: 'actionUrl is not an absolute URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw Errors.notificationSendInvalid({ reason: 'actionUrl must be an http or https URL' });
  return url.toString();
}

/** A canonical text of the body (keys sorted), so key order does not make two sends differ. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A notice the platform itself sends a user (e.g. "your password was changed"). */
export interface PlatformNotice {
  type: string;
  title: string;
  body: string;
}

export class NotificationSender {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly feeds: NotificationsService,
  ) {}

  async send(scope: FeedScope, input: SendInput, idempotencyKey: string | undefined): Promise<{ result: SendResult; replayed: boolean }> {
    const bodyHash = createHash('sha256').update(canonical(input)).digest('hex');
    const key = idempotencyKey?.trim();
    if (idempotencyKey !== undefined && (!key || !/^[\x21-\x7e]{1,200}$/.test(key))) {
      throw Errors.notificationSendInvalid({ reason: 'Idempotency-Key must be 1 to 200 visible ASCII characters' });
    }
    try {
      return await this.sendOnce(scope, input, key, bodyHash);
    } catch (error) {
      // Two sends with one key at once: the loser's insert of the key fails; answer like a retry.
      if (!key || !(error instanceof AppError) || error.status !== 409) throw error;
      const replay = await this.replay(scope, key, bodyHash, Date.now());
      if (!replay) throw error;
      return replay;
    }
  }

  private async replay(scope: FeedScope, key: string, bodyHash: string, now: number) {
    const record = await store.readSend(this.db, scope.tenant.id, scope.principal.userId, key);
    if (!record || record.createdMs <= now - IDEMPOTENCY_WINDOW_MS) return null;
    if (record.bodyHash !== bodyHash) throw Errors.idempotencyKeyReused();
    return { result: JSON.parse(record.response) as SendResult, replayed: true };
  }

  private async sendOnce(scope: FeedScope, input: SendInput, key: string | undefined, bodyHash: string) {
    const now = Date.now();
    if (key) {
      const replay = await this.replay(scope, key, bodyHash, now);
      if (replay) return replay;
    }
    const users = [...new Set(input.users ?? [])];
    const customs = [...new Set(input.customRecipients ?? [])];
    if (users.length + customs.length === 0) throw Errors.notificationSendInvalid({ reason: 'name at least one recipient in users or customRecipients' });
    if (users.length + customs.length > MAX_RECIPIENTS) throw Errors.notificationSendInvalid({ reason: `at most ${MAX_RECIPIENTS} recipients per call` });
    const data = JSON.stringify(input.data ?? null);
    if (Buffer.byteLength(data) > MAX_DATA_BYTES) throw Errors.notificationSendInvalid({ reason: `data must serialize to at most ${MAX_DATA_BYTES} bytes` });
    const actionUrl = checkedUrl(input.actionUrl);
    const expiresMs = this.expiry(scope, input.expiresAt, now);
    const tenantId = scope.tenant.id;

    return this.unitOfWork.write(async (tx, work) => {
      const known = await store.existingUsers(tx, tenantId, users);
      const unknown = users.filter((id) => !known.has(id));
      if (unknown.length) throw Errors.notificationRecipientUnknown({ ids: unknown });
      const recipients = [...users.map(userRecipient), ...customs.map(customRecipient)];
      const base = { category: input.type ?? 'general', title: input.title, body: input.body ?? '', data, actionUrl, createdMs: now, expiresMs };
      const rows = await store.insertMany(tx, tenantId, recipients.map((recipient) => ({ ...base, recipient })));
      await this.feeds.changeMany(work, tenantId, rows.map((row) => ({ recipient: row.recipient, unreadDelta: 1, events: [{ kind: 'created', payload: projectNotification(row, 'UTC') }] })), now);
      const byRecipient = new Map(rows.map((row) => [row.recipient, row.id]));
      const result: SendResult = { notifications: recipients.map((recipient) => ({ id: byRecipient.get(recipient)!, ...describeRecipient(recipient) })) };
      if (key) await store.replaceSend(tx, tenantId, scope.principal.userId, key, { bodyHash, response: JSON.stringify(result), createdMs: now }, now - IDEMPOTENCY_WINDOW_MS);
      return { result, replayed: false };
    }, { what: 'Notification send', timeout: 30_000 });
  }

  /**
   * The platform's own notice to one user, inside the caller's write (`work`): it exists exactly
   * when that write commits, like every notification with its feed's counter and event.
   */
  async notifyUser(work: Work, tenant: TenantContext, userId: number, notice: PlatformNotice): Promise<number> {
    const now = Date.now();
    const ttl = tenant.settings.notifications.defaultTtlSeconds;
    const base = { category: notice.type, title: notice.title, body: notice.body, data: 'null', actionUrl: null, createdMs: now, expiresMs: ttl === null ? null : now + ttl * 1000 };
    const [row] = await store.insertMany(work.tx, tenant.id, [{ ...base, recipient: userRecipient(userId) }]);
    await this.feeds.changeMany(work, tenant.id, [{ recipient: row!.recipient, unreadDelta: 1, events: [{ kind: 'created', payload: projectNotification(row!, 'UTC') }] }], now);
    return row!.id;
  }

  private expiry(scope: FeedScope, expiresAt: string | undefined, now: number): number | null {
    if (expiresAt !== undefined) {
      const at = Date.parse(expiresAt);
      if (!Number.isFinite(at)) throw Errors.notificationSendInvalid({ reason: 'expiresAt is not an instant' });
      if (at <= now) throw Errors.notificationSendInvalid({ reason: 'expiresAt must be in the future' });
      return at;
    }
    const ttl = scope.tenant.settings.notifications.defaultTtlSeconds;
    return ttl === null ? null : now + ttl * 1000;
  }
}
