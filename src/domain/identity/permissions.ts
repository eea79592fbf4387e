// The system permissions a role can carry (MISSION F2.2) and the per-type grants.

export const SYSTEM_PERMISSIONS = [
  'useApi',
  'profile',
  'apiUserRegistration',
  'apiUserPasswordReset',
  'generateOthersApiKeys',
  'manageTags',
  'createPrivateTags',
  'notifications',
  'getNotificationsPerCustomId',
  'appManagement',
  'manageTenants',
] as const;

export type Permission = (typeof SYSTEM_PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (SYSTEM_PERMISSIONS as readonly string[]).includes(value);
}

export interface TypeGrant {
  show: boolean;
  create: boolean;
  edit: boolean;
  delete: boolean;
}

export type TypeAction = keyof TypeGrant;

/** Stored as a JSON array in Role.permissions; unknown names are dropped, never granted. */
export function parsePermissions(stored: string): Permission[] {
  try {
    const value: unknown = JSON.parse(stored);
    return Array.isArray(value) ? value.filter((p): p is Permission => typeof p === 'string' && isPermission(p)) : [];
  } catch {
    return [];
  }
}
