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
  /** Send quotas and SMS guards (src/delivery/delivery-settings.ts). */
  deliverySettings: DeliverySettings;
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
      deliverySettings: parseDeliverySettings(row.deliverySettings),
    },
  };
}
