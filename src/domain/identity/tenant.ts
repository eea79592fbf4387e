// A tenant as the pipeline sees it: id, flags and parsed settings.
import type { Tenant as TenantRow } from '../../../generated/prisma-sqlite/client.ts';

export interface RegistrationEnvelope {
  allowedDomains: string[];
  allowedRoles: number[];
  allowedGroups: number[];
}

export interface TenantSettings {
  apiMaxPageLength: number;
  defaultTimeZone: string;
  listCacheTtlSeconds: number;
  multiValueShape: 'array' | 'string';
  allowApiPasswordReset: boolean;
  registrationEnvelope: RegistrationEnvelope;
}

/** Tenant.notificationSettings (JSON): the notifications' defaults (docs/notifications.md). */
export interface NotificationSettings {
  /** A sent notification's lifetime when the sender gives no expiresAt; null: none. */
  defaultTtlSeconds: number | null;
  /** The poll interval recommended to feed readers (X-Poll-Interval). */
  pollIntervalSeconds: number;
}

const DEFAULT_POLL_INTERVAL_SECONDS = 30;

function parseNotificationSettings(stored: string): NotificationSettings {
  let value: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(stored);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) value = parsed as Record<string, unknown>;
  } catch {
    // an unreadable value means the defaults
  }
  const positive = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
  return {
    defaultTtlSeconds: positive(value.defaultTtlSeconds),
    pollIntervalSeconds: positive(value.pollIntervalSeconds) ?? DEFAULT_POLL_INTERVAL_SECONDS,
  };
}

export interface TenantContext {
  id: number;
  slug: string;
  name: string;
  isRoot: boolean;
  securityKey: string;
  settings: TenantSettings;
  /** Tenant.notificationSettings parsed (not part of the admin settings answer). */
  notificationSettings: NotificationSettings;
}

const EMPTY_ENVELOPE: RegistrationEnvelope = { allowedDomains: [], allowedRoles: [], allowedGroups: [] };

function parseEnvelope(stored: string): RegistrationEnvelope {
  try {
    const value = JSON.parse(stored) as Partial<RegistrationEnvelope>;
    return {
      allowedDomains: Array.isArray(value.allowedDomains) ? value.allowedDomains : [],
      allowedRoles: Array.isArray(value.allowedRoles) ? value.allowedRoles : [],
      allowedGroups: Array.isArray(value.allowedGroups) ? value.allowedGroups : [],
    };
  } catch {
    return EMPTY_ENVELOPE;
  }
}

export function toTenantContext(row: TenantRow): TenantContext {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    isRoot: row.isRoot,
    securityKey: row.securityKey,
    settings: {
      apiMaxPageLength: row.apiMaxPageLength,
      defaultTimeZone: row.defaultTimeZone,
      listCacheTtlSeconds: row.listCacheTtlSeconds,
      multiValueShape: row.multiValueShape === 'string' ? 'string' : 'array',
      allowApiPasswordReset: row.allowApiPasswordReset,
      registrationEnvelope: parseEnvelope(row.registrationEnvelope),
    },
    notificationSettings: parseNotificationSettings(row.notificationSettings),
  };
}
