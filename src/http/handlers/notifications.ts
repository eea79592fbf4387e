// The notifications collection (seed 004) and its commands: thin adapters from the typed
// request to NotificationsService / NotificationSender and from rows to the projection.
import { Errors } from '../../errors/registry.ts';
import { projectNotification } from '../../projection/notifications.ts';
import type { FeedHeaders } from '../../domain/notifications/notifications-service.ts';
import { userRecipient } from '../../domain/notifications/recipients.ts';
import { sseSink, SSE_HEADERS } from '../notification-stream.ts';
import type { AuthedScope, OperationHandler } from '../types.ts';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

function feedHeaders(headers: FeedHeaders): Record<string, string> {
  return {
    ETag: headers.etag,
    'X-Unread-Count': String(headers.unread),
    'X-Poll-Interval': String(headers.pollIntervalSeconds),
    // Revalidate on every use; the feed is per caller.
    'Cache-Control': 'private, no-cache',
  };
}

/** Ids are 32-bit (PostgreSQL integer): anything else names no notification. */
const notificationId = (raw: string) => {
  if (!/^[1-9]\d{0,9}$/.test(raw) || Number(raw) > 2_147_483_647) throw Errors.notFound({ what: 'Notification', id: raw.slice(0, 40) });
  return Number(raw);
};

export const listNotifications: OperationHandler<'listNotifications'> = async ({ query, headers }, scope) => {
  const answer = await scope.services.notifications.readPage(scope, {
    unreadOnly: query.unread_only === 'true',
    limit: query.limit ?? 25,
    cursor: query.cursor,
    after: query.after,
    recipientCustomId: query.recipient_custom_id,
    ifNoneMatch: header(headers['if-none-match']),
  });
  const out = feedHeaders(answer.headers);
  if (answer.kind === 'notModified') return { status: 304, body: undefined, headers: out };
  if (answer.rows.length === 0) return { status: 204, body: undefined, headers: out };
  const zone = scope.principal.timeZone;
  return {
    status: 200,
    headers: out,
    body: { items: answer.rows.map((row) => projectNotification(row, zone)), nextCursor: answer.nextCursor, hasMore: answer.hasMore },
  };
};

export const getNotification: OperationHandler<'getNotification'> = async ({ params }, scope) => {
  const row = await scope.services.notifications.readOne(scope, notificationId(params.item));
  return { status: 200, body: projectNotification(row, scope.principal.timeZone) };
};

export const patchNotification: OperationHandler<'patchNotification'> = async ({ params, body }, scope) => {
  const keys = Object.keys(body ?? {});
  const id = notificationId(params.item);
  if (keys.length === 1 && body.read === true) {
    const row = await scope.services.notifications.markRead(scope, id);
    return { status: 200, body: projectNotification(row, scope.principal.timeZone) };
  }
  if (keys.length === 1 && body.archive === true) {
    await scope.services.notifications.archive(scope, id);
    return { status: 200, body: { message: 'Notification archived.' } };
  }
  throw Errors.notificationPatchInvalid();
};

function refuse(method: string, allow: string): never {
  throw Errors.notificationMethodNotAllowed({ method, allow }, { headers: { Allow: allow } });
}

export const createNotificationRefused: OperationHandler<'createNotificationRefused'> = async () => refuse('POST', 'GET, HEAD');
export const postNotificationRefused: OperationHandler<'postNotificationRefused'> = async () => refuse('POST', 'GET, HEAD, PATCH');
export const replaceNotificationRefused: OperationHandler<'replaceNotificationRefused'> = async () => refuse('PUT', 'GET, HEAD, PATCH');
export const deleteNotificationRefused: OperationHandler<'deleteNotificationRefused'> = async () => refuse('DELETE', 'GET, HEAD, PATCH');

export const sendNotifications: OperationHandler<'sendNotifications'> = async ({ body, headers }, scope: AuthedScope) => {
  const { result, replayed } = await scope.services.notificationSender.send(scope, body, header(headers['idempotency-key']));
  return { status: 201, body: result, headers: { 'Idempotent-Replayed': replayed ? 'true' : 'false' } };
};

export const getNotificationUnreadCount: OperationHandler<'getNotificationUnreadCount'> = async (_input, scope) => ({
  status: 200,
  body: { unread: await scope.services.notifications.unreadCount(scope) },
});

export const markAllNotificationsRead: OperationHandler<'markAllNotificationsRead'> = async ({ body }, scope) => {
  const upTo = body?.upTo === undefined ? undefined : new Date(body.upTo);
  if (upTo && Number.isNaN(upTo.getTime())) throw Errors.notificationSendInvalid({ reason: 'upTo is not an instant' });
  return { status: 200, body: await scope.services.notifications.markAllRead(scope, upTo) };
};

export const streamNotifications: OperationHandler<'streamNotifications'> = async ({ query, headers }, scope) => {
  const raw = header(headers['last-event-id']) ?? query.lastEventId;
  const lastEventId = raw === undefined ? null : Number(raw);
  const { body, sink } = sseSink();
  const close = await scope.services.notificationStreams.open(scope.tenant.id, userRecipient(scope.principal.userId), lastEventId, sink);
  body.on('close', close);
  return { status: 200, body, contentType: 'text/event-stream; charset=utf-8', headers: SSE_HEADERS };
};
