// The acting identity behind an API key: user, tenant, effective permissions, display zone.
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { Db } from '../../store/database.ts';
import { bool, instant, instantOrNull, int, readRows } from '../../store/dialect.ts';
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

interface KeyUserRow {
  keyId: unknown;
  keyTenantId: unknown;
  secretHash: string;
  keyValidFrom: unknown;
  keyValidTo: unknown;
  revokedAt: unknown;
  userId: unknown;
  login: string;
  name: string;
  timezone: string | null;
  userValidFrom: unknown;
  userValidTo: unknown;
  active: unknown;
  verified: unknown;
}

/** The key's user's roles, their own (`viaGroup` 0) and their groups' (1), with each role's type grants. */
async function rolesOf(db: Db, userId: number): Promise<{ own: string[]; roles: RoleWithGrants[]; groupNames: string[] }> {
  const [roleRows, groupRows] = await Promise.all([
    readRows<{ id: unknown; name: string; permissions: string; viaGroup: unknown }>(
      db,
      Prisma.sql`SELECT r."id", r."name", r."permissions", 0 AS "viaGroup" FROM "UserRole" ur JOIN "Role" r ON r."id" = ur."roleId" WHERE ur."userId" = ${userId}
        UNION ALL
        SELECT r."id", r."name", r."permissions", 1 AS "viaGroup" FROM "UserGroup" ug JOIN "GroupRole" gr ON gr."groupId" = ug."groupId" JOIN "Role" r ON r."id" = gr."roleId" WHERE ug."userId" = ${userId}`,
    ),
    readRows<{ name: string }>(db, Prisma.sql`SELECT g."name" FROM "UserGroup" ug JOIN "Group" g ON g."id" = ug."groupId" WHERE ug."userId" = ${userId}`),
  ]);
  const roleIds = [...new Set(roleRows.map((r) => int(r.id)))];
  const grants = roleIds.length
    ? await readRows<{ roleId: unknown; typeId: unknown; canShow: unknown; canCreate: unknown; canEdit: unknown; canDelete: unknown }>(
        db,
        Prisma.sql`SELECT "roleId", "typeId", "canShow", "canCreate", "canEdit", "canDelete" FROM "RoleTypePermission" WHERE "roleId" IN (${Prisma.join(roleIds)})`,
      )
    : [];
  const grantsOf = new Map<number, RoleWithGrants['typePermissions']>();
  for (const g of grants) {
    const list = grantsOf.get(int(g.roleId)) ?? [];
    list.push({ typeId: int(g.typeId), canShow: bool(g.canShow), canCreate: bool(g.canCreate), canEdit: bool(g.canEdit), canDelete: bool(g.canDelete) });
    grantsOf.set(int(g.roleId), list);
  }
  return {
    own: roleRows.filter((r) => int(r.viaGroup) === 0).map((r) => r.name),
    roles: roleRows.map((r) => ({ name: r.name, permissions: r.permissions, typePermissions: grantsOf.get(int(r.id)) ?? [] })),
    groupNames: groupRows.map((g) => g.name),
  };
}

/**
 * Loads the principal for a key string within one tenant. Throws API_KEY_INVALID for an
 * unknown, foreign, malformed or revoked key; expiry and user state are checked per request.
 * Prepared statements (store/dialect.ts), not a Prisma include tree: this runs whenever a
 * tenant's identity generation changes, for every key in use.
 */
export async function loadPrincipal(db: Db, tenant: TenantContext, keyString: string): Promise<Principal> {
  const parts = splitKey(keyString);
  if (!parts) throw Errors.apiKeyInvalid();
  const [key] = await readRows<KeyUserRow>(
    db,
    Prisma.sql`SELECT k."id" AS "keyId", k."tenantId" AS "keyTenantId", k."secretHash", k."validFrom" AS "keyValidFrom", k."validTo" AS "keyValidTo", k."revokedAt",
      u."id" AS "userId", u."login", u."name", u."timezone", u."validFrom" AS "userValidFrom", u."validTo" AS "userValidTo", u."active", u."verified"
      FROM "ApiKey" k JOIN "User" u ON u."id" = k."userId" WHERE k."publicId" = ${parts.publicId}`,
  );
  if (!key || int(key.keyTenantId) !== tenant.id || key.revokedAt !== null || !safeEqualHex(sha256Hex(parts.secret), key.secretHash)) {
    throw Errors.apiKeyInvalid();
  }
  const userId = int(key.userId);
  const { own, roles, groupNames } = await rolesOf(db, userId);
  const { permissions, typePermissions } = mergeRoles(roles);
  return {
    tenantId: tenant.id,
    userId,
    login: key.login,
    name: key.name,
    keyId: int(key.keyId),
    keyValidFrom: instant(key.keyValidFrom),
    keyValidTo: instant(key.keyValidTo),
    active: bool(key.active),
    verified: bool(key.verified),
    userValidFrom: instantOrNull(key.userValidFrom),
    userValidTo: instantOrNull(key.userValidTo),
    userTimeZone: key.timezone,
    timeZone: key.timezone ?? tenant.settings.defaultTimeZone ?? 'UTC',
    roleNames: [...new Set(own)].sort(),
    groupNames: groupNames.sort(),
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
