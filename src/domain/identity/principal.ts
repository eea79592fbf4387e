// The acting identity behind an API key: user, tenant, effective permissions, display zone.
import type { Db } from '../../store/database.ts';
import { parsePermissions, type Permission, type TypeGrant } from './permissions.ts';
import type { TenantContext } from './tenant.ts';
import { sha256Hex, safeEqualHex } from '../../lib/crypto.ts';
import { Errors } from '../../errors/registry.ts';

export interface Principal {
  tenantId: number;
  userId: number;
  login: string;
  name: string;
  keyId: number;
  keyValidFrom: Date;
  keyValidTo: Date;
  active: boolean;
  verified: boolean;
  userValidFrom: Date | null;
  userValidTo: Date | null;
  /** The user's own zone, if set. */
  userTimeZone: string | null;
  /** The display zone in effect: user's → tenant default → UTC. */
  timeZone: string;
  roleNames: string[];
  groupNames: string[];
  permissions: ReadonlySet<Permission>;
  typePermissions: ReadonlyMap<number, TypeGrant>;
}

export const KEY_SEPARATOR = ':';

/** Splits `<publicId>:<secret>`; null when the shape is wrong. */
export function splitKey(keyString: string): { publicId: string; secret: string } | null {
  const at = keyString.indexOf(KEY_SEPARATOR);
  if (at <= 0 || at === keyString.length - 1 || keyString.length > 300) return null;
  return { publicId: keyString.slice(0, at), secret: keyString.slice(at + 1) };
}

type RoleWithGrants = {
  name: string;
  permissions: string;
  typePermissions: { typeId: number; canShow: boolean; canCreate: boolean; canEdit: boolean; canDelete: boolean }[];
};

export function mergeRoles(roles: RoleWithGrants[]): { permissions: Set<Permission>; typePermissions: Map<number, TypeGrant> } {
  const permissions = new Set<Permission>();
  const typePermissions = new Map<number, TypeGrant>();
  for (const role of roles) {
    for (const permission of parsePermissions(role.permissions)) permissions.add(permission);
    for (const grant of role.typePermissions) {
      const current = typePermissions.get(grant.typeId) ?? { show: false, create: false, edit: false, delete: false };
      typePermissions.set(grant.typeId, {
        show: current.show || grant.canShow,
        create: current.create || grant.canCreate,
        edit: current.edit || grant.canEdit,
        delete: current.delete || grant.canDelete,
      });
    }
  }
  return { permissions, typePermissions };
}

const ROLE_INCLUDE = { include: { typePermissions: true } } as const;

/** What to load with a user to know their effective roles (their own and their groups'). */
export const WITH_EFFECTIVE_ROLES = {
  roles: { include: { role: ROLE_INCLUDE } },
  groups: { include: { group: { include: { roles: { include: { role: ROLE_INCLUDE } } } } } },
} as const;

interface UserWithRoles {
  roles: { role: RoleWithGrants }[];
  groups: { group: { roles: { role: RoleWithGrants }[] } }[];
}

/** Effective permissions = the user's roles plus their groups' roles. */
export function effectiveRoles(user: UserWithRoles) {
  return mergeRoles([...user.roles.map((r) => r.role), ...user.groups.flatMap((g) => g.group.roles.map((r) => r.role))]);
}

/**
 * Loads the principal for a key string within one tenant. Throws API_KEY_INVALID for an
 * unknown, foreign, malformed or revoked key; expiry and user state are checked per request.
 */
export async function loadPrincipal(db: Db, tenant: TenantContext, keyString: string): Promise<Principal> {
  const parts = splitKey(keyString);
  if (!parts) throw Errors.apiKeyInvalid();
  const key = await db.apiKey.findUnique({
    where: { publicId: parts.publicId },
    include: { user: { include: WITH_EFFECTIVE_ROLES } },
  });
  if (!key || key.tenantId !== tenant.id || key.revokedAt !== null || !safeEqualHex(sha256Hex(parts.secret), key.secretHash)) {
    throw Errors.apiKeyInvalid();
  }
  const user = key.user;
  const { permissions, typePermissions } = effectiveRoles(user);
  return {
    tenantId: tenant.id,
    userId: user.id,
    login: user.login,
    name: user.name,
    keyId: key.id,
    keyValidFrom: key.validFrom,
    keyValidTo: key.validTo,
    active: user.active,
    verified: user.verified,
    userValidFrom: user.validFrom,
    userValidTo: user.validTo,
    userTimeZone: user.timezone,
    timeZone: user.timezone ?? tenant.settings.defaultTimeZone ?? 'UTC',
    roleNames: [...new Set(user.roles.map((r) => r.role.name))].sort(),
    groupNames: user.groups.map((g) => g.group.name).sort(),
    permissions,
    typePermissions,
  };
}

/** Checks what can change with the clock: key expiry, user state and validity window. */
export function assertUsable(principal: Principal, now: Date): void {
  if (now < principal.keyValidFrom || now >= principal.keyValidTo) throw Errors.apiKeyExpired();
  if (!principal.active || !principal.verified) throw Errors.userInactive();
  if ((principal.userValidFrom && now < principal.userValidFrom) || (principal.userValidTo && now >= principal.userValidTo)) {
    throw Errors.userOutsideValidity();
  }
}
