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
  // notifications.send (issue 10): creating notifications for other users and custom recipients
  'sendNotifications',
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

/** What a principal holds: system permissions and per-type grants. */
export interface Holdings {
  permissions: ReadonlySet<Permission>;
  typePermissions: ReadonlyMap<number, TypeGrant>;
}

const TYPE_ACTIONS: TypeAction[] = ['show', 'create', 'edit', 'delete'];

/** Whether `held` carries a system permission or a type action that `ceiling` does not. */
export function exceeds(held: Holdings, ceiling: Holdings): boolean {
  for (const permission of held.permissions) if (!ceiling.permissions.has(permission)) return true;
  for (const [typeId, grant] of held.typePermissions) {
    const limit = ceiling.typePermissions.get(typeId);
    if (TYPE_ACTIONS.some((action) => grant[action] && !limit?.[action])) return true;
  }
  return false;
}
