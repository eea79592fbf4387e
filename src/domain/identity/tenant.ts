// A tenant as the pipeline sees it: id, flags and parsed settings.
import type { Tenant as TenantRow } from '../../../generated/prisma-sqlite/client.ts';
import { parseDeliverySettings, type DeliverySettings } from '../../delivery/delivery-settings.ts';

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
  verification: VerificationSettings;
  /** Send quotas and SMS guards (src/delivery/delivery-settings.ts). */
  deliverySettings: DeliverySettings;
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
  let value: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(stored);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) value = parsed as Record<string, unknown>;
  } catch {
    // a broken value is the defaults
  }
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
      verification: parseVerificationSettings(row.verificationSettings),
      deliverySettings: parseDeliverySettings(row.deliverySettings),
    },
  };
}
