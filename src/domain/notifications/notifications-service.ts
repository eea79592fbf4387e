// The notifications feed (seed 004 "notifications", issue 10): keyset pages with signed cursors,
// one notification, read / archive, mark-all-read to a watermark and the exact unread count.
// Reads are raw SQL (store/notifications); every change moves the feed row (counter, version,
// event log) in the same transaction and wakes live streams after commit.
import { createHash } from 'node:crypto';
import { Errors } from '../../errors/registry.ts';
import { parseInstant } from '../../lib/dates.ts';
import type { Db } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import * as store from '../../store/notifications/notification-store.ts';
import type { Principal } from '../identity/principal.ts';
import type { TenantContext } from '../identity/tenant.ts';
import { decodeCursor, encodeCursor, type CursorBinding } from './cursor.ts';
import type { NotificationBus } from './notification-bus.ts';
import { customRecipient, userRecipient, type RecipientKey } from './recipients.ts';

export interface FeedScope {
  tenant: TenantContext;
  principal: Principal;
}

export interface FeedQuery {
  unreadOnly: boolean;
  limit: number;
  cursor?: string;
  after?: string;
  recipientCustomId?: string;
  ifNoneMatch?: string;
}

export interface FeedHeaders {
  etag: string;
  unread: number;
  pollIntervalSeconds: number;
}

export type FeedAnswer =
  | { kind: 'page'; rows: store.NotificationRow[]; nextCursor: string | null; hasMore: boolean; headers: FeedHeaders }
  | { kind: 'notModified'; headers: FeedHeaders };

/** Weak comparison over a comma list, `*` included (RFC 9110 §13.1.2). */
function matchesTag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((part) => part.trim().replace(/^W\//, '') === bare);
}

export class NotificationsService {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly bus: NotificationBus,
  ) {}

  /** The feed a list request reads, after its permission: own (`notifications`) or a custom one. */
  private feedOf(scope: FeedScope, customId: string | undefined): RecipientKey {
    if (customId === undefined) {
      if (!scope.principal.permissions.has('notifications')) throw Errors.permissionDenied({ permission: 'notifications' });
      return userRecipient(scope.principal.userId);
    }
    if (!scope.principal.permissions.has('getNotificationsPerCustomId')) throw Errors.permissionDenied({ permission: 'getNotificationsPerCustomId' });
    return customRecipient(customId);
  }

  async readPage(scope: FeedScope, query: FeedQuery, now = Date.now()): Promise<FeedAnswer> {
    const tenantId = scope.tenant.id;
    const recipient = this.feedOf(scope, query.recipientCustomId);
    const binding: CursorBinding = { callerId: scope.principal.userId, recipient, unreadOnly: query.unreadOnly, after: query.after ?? null };
    const before = query.cursor === undefined ? null : decodeCursor(scope.tenant.securityKey, binding, query.cursor);
    const after = query.after === undefined ? null : await this.afterPosition(tenantId, recipient, query.after, scope.principal.timeZone);
    const state = await store.readFeedState(this.db, tenantId, recipient, now);
    const etag = `W/"n-${createHash('sha256')
      .update(JSON.stringify([state.version, state.expired, binding, query.limit, query.cursor ?? null]))
      .digest('hex')
      .slice(0, 32)}"`;
    const headers = { etag, unread: state.unread, pollIntervalSeconds: scope.tenant.settings.notifications.pollIntervalSeconds };
    if (matchesTag(query.ifNoneMatch, etag)) return { kind: 'notModified', headers };
    const rows = await store.readPage(this.db, { tenantId, recipient, now, unreadOnly: query.unreadOnly, before, after, take: query.limit + 1 });
    const hasMore = rows.length > query.limit;
    const page = hasMore ? rows.slice(0, query.limit) : rows;
    const last = page[page.length - 1];
    const nextCursor = hasMore ? encodeCursor(scope.tenant.securityKey, binding, { createdMs: last.createdMs, id: last.id }) : null;
    return { kind: 'page', rows: page, nextCursor, hasMore, headers };
  }

  private async afterPosition(tenantId: number, recipient: string, after: string, zone: string): Promise<{ createdMs: number; id: number | null }> {
    if (/^\d{1,15}$/.test(after)) {
      if (Number(after) > 2_147_483_647) throw Errors.notificationAfterInvalid({ after });
      const position = await store.positionOf(this.db, tenantId, recipient, Number(after));
      if (!position) throw Errors.notificationAfterInvalid({ after });
      return position;
    }
    const instant = /\d{2}:\d{2}/.test(after) ? parseInstant(after, zone) : null;
    if (!instant) throw Errors.notificationAfterInvalid({ after });
    // Newer than the instant: created after it, whatever the id.
    return { createdMs: instant.getTime(), id: null };
  }

  /** One notification of the caller's own feed; archived or expired ones are gone (404). */
  async readOne(scope: FeedScope, id: number, now = Date.now()): Promise<store.NotificationRow> {
    const row = await store.readOne(this.db, scope.tenant.id, userRecipient(scope.principal.userId), id, now);
    if (!row || row.archivedMs !== null) throw Errors.notFound({ what: 'Notification', id });
    return row;
  }

  async markRead(scope: FeedScope, id: number): Promise<store.NotificationRow> {
    const tenantId = scope.tenant.id;
    const recipient = userRecipient(scope.principal.userId);
    return this.unitOfWork.write(async (tx, work) => {
      const now = Date.now();
      const row = await store.readOne(tx, tenantId, recipient, id, now);
      if (!row || row.archivedMs !== null) throw Errors.notFound({ what: 'Notification', id });
      if (row.readMs !== null) return row;
      const changed = await store.markRead(tx, tenantId, recipient, id, now);
      if (changed) await this.change(work, tenantId, recipient, -changed, [{ kind: 'read', payload: { id } }], now);
      return { ...row, readMs: changed ? now : row.readMs };
    }, { what: 'Notification' });
  }

  /** Idempotent: archiving an archived notification changes nothing and succeeds. */
  async archive(scope: FeedScope, id: number): Promise<void> {
    const tenantId = scope.tenant.id;
    const recipient = userRecipient(scope.principal.userId);
    await this.unitOfWork.write(async (tx, work) => {
      const now = Date.now();
      const row = await store.readOne(tx, tenantId, recipient, id, now);
      if (!row) throw Errors.notFound({ what: 'Notification', id });
      const { archived, wasUnread } = await store.archive(tx, tenantId, recipient, id, now);
      if (archived) await this.change(work, tenantId, recipient, -wasUnread, [{ kind: 'archived', payload: { id } }], now);
    }, { what: 'Notification' });
  }

  async unreadCount(scope: FeedScope): Promise<number> {
    return (await store.readFeedState(this.db, scope.tenant.id, userRecipient(scope.principal.userId), Date.now())).unread;
  }

  /** Marks read what was created at or before `upTo`; later items, concurrent sends included, stay unread. */
  async markAllRead(scope: FeedScope, upTo: Date | undefined): Promise<{ changed: number; unread: number }> {
    const tenantId = scope.tenant.id;
    const recipient = userRecipient(scope.principal.userId);
    return this.unitOfWork.write(async (tx, work) => {
      const now = Date.now();
      const watermark = Math.min(upTo?.getTime() ?? now, now);
      const changed = await store.markAllRead(tx, tenantId, recipient, watermark, now);
      if (changed) await this.change(work, tenantId, recipient, -changed, [{ kind: 'read-all', payload: { upTo: watermark, changed } }], now);
      const state = await store.readFeedState(tx, tenantId, recipient, now);
      return { changed, unread: state.unread };
    }, { what: 'Notification' });
  }

  /**
   * A feed's change inside the writing transaction: counter, version, event log; the streams
   * are woken after commit.
   */
  async change(work: Work, tenantId: number, recipient: string, unreadDelta: number, events: store.FeedEvent[], now: number): Promise<void> {
    await this.changeMany(work, tenantId, [{ recipient, unreadDelta, events }], now);
  }

  /** Several feeds' changes in one statement (a send to many recipients). Each recipient once. */
  async changeMany(work: Work, tenantId: number, changes: store.FeedChange[], now: number): Promise<void> {
    await store.bumpFeeds(work.tx, tenantId, changes, now);
    work.afterCommit(() => Promise.all(changes.map((change) => this.bus.publish({ tenantId, recipient: change.recipient }))));
  }
}
