// A tenant as the pipeline sees it: id, flags and parsed settings.
import type { Tenant as TenantRow } from '../../../generated/prisma-sqlite/client.ts';
import { parseDeliverySettings, type DeliverySettings } from '../../delivery/delivery-settings.ts';
import { storedObject } from '../../lib/stored-object.ts';

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
  passwordReset: PasswordResetSettings;
  verification: VerificationSettings;
  /** Send quotas and SMS guards (src/delivery/delivery-settings.ts). */
  deliverySettings: DeliverySettings;
  /** Tenant.notificationSettings: the notifications' defaults. */
  notifications: NotificationSettings;
}

/** Account verification (issue 9): code length, expiry per method, retry cooldowns and cap. */
export interface VerificationSettings {
  codeLength: number;
  smsCodeTtlSeconds: number;
  mailCodeTtlSeconds: number;
  mailLinkTtlSeconds: number;
  /** The wait after the 1st, 2nd, … send; the last value repeats. Each at least 60 s. */
  retryCooldownSeconds: number[];
  /** Retries per challenge over its lifetime. */
  retryLimit: number;
}

export const VERIFICATION_DEFAULTS: VerificationSettings = {
  codeLength: 6,
  smsCodeTtlSeconds: 600,
  mailCodeTtlSeconds: 900,
  mailLinkTtlSeconds: 3600,
  retryCooldownSeconds: [60, 120, 300, 600],
  retryLimit: 5,
};

/** The stored JSON over the defaults; a value out of its range (an older, looser write) falls back. */
export function parseVerificationSettings(stored: string): VerificationSettings {
  const value = storedObject(stored);
  const int = (name: keyof VerificationSettings, min: number, max: number) => {
    const v = value[name];
    return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : (VERIFICATION_DEFAULTS[name] as number);
  };
  const cooldowns = value.retryCooldownSeconds;
  const validCooldowns = Array.isArray(cooldowns) && cooldowns.length > 0 && cooldowns.length <= 20
    && cooldowns.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 60 && c <= 86_400);
  return {
    codeLength: int('codeLength', 6, 10),
    smsCodeTtlSeconds: int('smsCodeTtlSeconds', 60, 86_400),
    mailCodeTtlSeconds: int('mailCodeTtlSeconds', 60, 86_400),
    mailLinkTtlSeconds: int('mailLinkTtlSeconds', 60, 86_400),
    retryCooldownSeconds: validCooldowns ? (cooldowns as number[]) : VERIFICATION_DEFAULTS.retryCooldownSeconds,
    retryLimit: int('retryLimit', 0, 20),
  };
}

/** Tenant.notificationSettings (JSON): the notifications' defaults (docs/notifications.md). */
export interface NotificationSettings {
  /** A sent notification's lifetime when the sender gives no expiresAt; null: none. */
  defaultTtlSeconds: number | null;
  /** The poll interval recommended to feed readers (X-Poll-Interval). */
  pollIntervalSeconds: number;
}

const DEFAULT_POLL_INTERVAL_SECONDS = 30;

export function parseNotificationSettings(stored: string): NotificationSettings {
  const value = storedObject(stored);
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
}

const EMPTY_ENVELOPE: RegistrationEnvelope = { allowedDomains: [], allowedRoles: [], allowedGroups: [] };

function parseEnvelope(stored: string): RegistrationEnvelope {
  const value = storedObject(stored) as Partial<RegistrationEnvelope>;
  return {
    allowedDomains: Array.isArray(value.allowedDomains) ? value.allowedDomains : EMPTY_ENVELOPE.allowedDomains,
    allowedRoles: Array.isArray(value.allowedRoles) ? value.allowedRoles : EMPTY_ENVELOPE.allowedRoles,
    allowedGroups: Array.isArray(value.allowedGroups) ? value.allowedGroups : EMPTY_ENVELOPE.allowedGroups,
  };
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
      passwordReset: parsePasswordResetSettings(row.passwordResetSettings),
      verification: parseVerificationSettings(row.verificationSettings),
      deliverySettings: parseDeliverySettings(row.deliverySettings),
      notifications: parseNotificationSettings(row.notificationSettings),
    },
  };
}

// --- password reset (F5.4): the Tenant.passwordResetSettings column, JSON with defaults ---

export interface PasswordResetSettings {
  /** How long a reset link works, in seconds (default 30 min). */
  tokenTtlSeconds: number;
  /** Origins (`https://app.example.com`) a `redirect_url` must belong to; empty: any http(s) URL. */
  allowedRedirectOrigins: string[];
  /** Base URL of the reset link in this tenant's mails; null: PUBLIC_BASE_URL. Never the request's Host. */
  linkBaseUrl: string | null;
}

export const PASSWORD_RESET_DEFAULTS: PasswordResetSettings = { tokenTtlSeconds: 1800, allowedRedirectOrigins: [], linkBaseUrl: null };
export const PASSWORD_RESET_TTL_LIMITS = { min: 1, max: 86_400 } as const;

/** The origin of an absolute http(s) URL, or null (so `HTTPS://A.example:443` and `https://a.example` are one origin). */
export function httpOrigin(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** Stored JSON → settings; a missing or malformed field takes its default (never throws). */
export function parsePasswordResetSettings(stored: string): PasswordResetSettings {
  const value: Partial<Record<keyof PasswordResetSettings, unknown>> = storedObject(stored);
  const ttl = value.tokenTtlSeconds;
  const origins = Array.isArray(value.allowedRedirectOrigins) ? value.allowedRedirectOrigins : [];
  const base = value.linkBaseUrl;
  return {
    tokenTtlSeconds:
      Number.isInteger(ttl) && (ttl as number) >= PASSWORD_RESET_TTL_LIMITS.min && (ttl as number) <= PASSWORD_RESET_TTL_LIMITS.max
        ? (ttl as number)
        : PASSWORD_RESET_DEFAULTS.tokenTtlSeconds,
    allowedRedirectOrigins: origins.flatMap((o) => (typeof o === 'string' && httpOrigin(o) ? [httpOrigin(o)!] : [])),
    linkBaseUrl: typeof base === 'string' && httpOrigin(base) ? base.replace(/\/+$/, '') : null,
  };
}

/** A patch merged over the current settings, as the column stores it. Origins are normalized. */
export function mergePasswordResetSettings(current: PasswordResetSettings, patch: Partial<PasswordResetSettings>): string {
  const next: PasswordResetSettings = { ...current, ...patch };
  next.allowedRedirectOrigins = [...new Set(next.allowedRedirectOrigins.map((o) => httpOrigin(o) ?? o))];
  if (next.linkBaseUrl) next.linkBaseUrl = next.linkBaseUrl.replace(/\/+$/, '');
  return JSON.stringify(next);
}

/** What is wrong with a settings patch's `passwordReset` (field paths as the validator names them). */
export function passwordResetProblems(patch: Partial<PasswordResetSettings>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const bare = (text: string) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.search && !url.hash ? url : null;
    } catch {
      return null;
    }
  };
  (patch.allowedRedirectOrigins ?? []).forEach((origin, i) => {
    const url = bare(origin);
    if (!url || url.pathname !== '/') problems.push({ path: `body.settings.passwordReset.allowedRedirectOrigins.${i}`, message: 'must be an http(s) origin such as https://app.example.com (no path, query or credentials)' });
  });
  if (patch.linkBaseUrl && !bare(patch.linkBaseUrl)) {
    problems.push({ path: 'body.settings.passwordReset.linkBaseUrl', message: 'must be an absolute http(s) URL without query, fragment or credentials' });
  }
  return problems;
}
