// Notification rows → the contract's Notification, instants in the caller's zone.
import type { components } from '../../generated/api.d.ts';
import { formatInstant } from '../lib/dates.ts';
import type { NotificationRow } from '../store/notifications/notification-store.ts';

export type Notification = components['schemas']['Notification'];

export function projectNotification(row: NotificationRow, zone: string): Notification {
  return {
    id: row.id,
    type: row.category,
    title: row.title,
    body: row.body,
    data: JSON.parse(row.data) as unknown,
    actionUrl: row.actionUrl,
    read: row.readMs !== null,
    readAt: row.readMs === null ? null : formatInstant(new Date(row.readMs), zone),
    created: formatInstant(new Date(row.createdMs), zone),
    expiresAt: row.expiresMs === null ? null : formatInstant(new Date(row.expiresMs), zone),
  };
}
