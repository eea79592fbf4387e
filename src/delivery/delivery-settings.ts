// A tenant's delivery guards (Tenant.deliverySettings, JSON): send quotas per destination and
// per tenant, and the SMS pumping guards. Stored partially; every missing field takes its default.
import { storedObject } from '../lib/stored-object.ts';

export interface ChannelQuotas {
  /** Messages to one address (mail) or number (SMS) per rolling hour / day. */
  perDestinationHourly: number;
  perDestinationDaily: number;
  /** Messages of the tenant on this channel per rolling hour / day (for SMS, daily is the budget). */
  perTenantHourly: number;
  perTenantDaily: number;
}

export interface DeliverySettings {
  mail: ChannelQuotas;
  sms: ChannelQuotas & {
    /** E.164 prefixes ("+420", "+1") a number must start with; empty: no SMS is sent at all. */
    allowedCountryPrefixes: string[];
  };
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  mail: { perDestinationHourly: 10, perDestinationDaily: 30, perTenantHourly: 1000, perTenantDaily: 5000 },
  sms: { perDestinationHourly: 3, perDestinationDaily: 10, perTenantHourly: 100, perTenantDaily: 300, allowedCountryPrefixes: [] },
};

/** The most any quota may be set to. */
export const MAX_QUOTA = 1_000_000;

export type DeliverySettingsInput = {
  mail?: Partial<ChannelQuotas>;
  sms?: Partial<DeliverySettings['sms']>;
};

const QUOTA_FIELDS = ['perDestinationHourly', 'perDestinationDaily', 'perTenantHourly', 'perTenantDaily'] as const;

function quotas(value: unknown, defaults: ChannelQuotas): ChannelQuotas {
  const given = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const out = { ...defaults };
  for (const field of QUOTA_FIELDS) {
    const v = given[field];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_QUOTA) out[field] = v;
  }
  return out;
}

/** A stored (or partial) settings object → complete settings; anything unreadable is the default. */
export function parseDeliverySettings(stored: string | DeliverySettingsInput | null | undefined): DeliverySettings {
  const given = typeof stored === 'string' ? storedObject(stored) : ((stored ?? {}) as Record<string, unknown>);
  const sms = (given.sms && typeof given.sms === 'object' ? given.sms : {}) as Record<string, unknown>;
  const prefixes = Array.isArray(sms.allowedCountryPrefixes) ? sms.allowedCountryPrefixes.filter((p): p is string => typeof p === 'string' && E164_PREFIX.test(p)) : [];
  return {
    mail: quotas(given.mail, DEFAULT_DELIVERY_SETTINGS.mail),
    sms: { ...quotas(sms, DEFAULT_DELIVERY_SETTINGS.sms), allowedCountryPrefixes: prefixes },
  };
}

/** The settings after a write: the current ones with the given fields replaced (a field at a time). */
export function mergeDeliverySettings(current: DeliverySettings, input: DeliverySettingsInput): DeliverySettings {
  return parseDeliverySettings({
    mail: { ...current.mail, ...(input.mail ?? {}) },
    sms: { ...current.sms, ...(input.sms ?? {}) },
  });
}

/** "+" and 1 to 6 digits: a country code, optionally with the start of a national number. */
export const E164_PREFIX = /^\+[1-9][0-9]{0,5}$/;
/** "+" and 8 to 15 digits, the first not 0. */
export const E164_NUMBER = /^\+[1-9][0-9]{7,14}$/;
