// Identity rows → contract shapes. Pure; instants in the acting user's display zone.
import type { components } from '../../generated/api.d.ts';
import type { ApiKey, Group, Role, RoleTypePermission, Tenant, TenantHost, User } from '../../generated/prisma-sqlite/client.ts';
import { formatInstant as formatPrecise, formatWallClock } from '../lib/dates.ts';
import { parsePermissions } from '../domain/identity/permissions.ts';
import type { Principal } from '../domain/identity/principal.ts';
import { toTenantContext } from '../domain/identity/tenant.ts';

type Schemas = components['schemas'];

/** Identity timestamps are shown to the second (they are never filter values). */
const formatInstant = (date: Date, zone: string) => formatPrecise(new Date(Math.floor(date.getTime() / 1000) * 1000), zone);

const instantOrNull = (date: Date | null, zone: string) => (date ? formatInstant(date, zone) : null);

export function projectUser(row: User & { roles: { roleId: number }[]; groups: { groupId: number }[] }, zone: string): Schemas['User'] {
  return {
    id: row.id,
    login: row.login,
    name: row.name,
    timezone: row.timezone,
    active: row.active,
    verified: row.verified,
    validFrom: instantOrNull(row.validFrom, zone),
    validTo: instantOrNull(row.validTo, zone),
    roles: row.roles.map((r) => r.roleId).sort((a, b) => a - b),
    groups: row.groups.map((g) => g.groupId).sort((a, b) => a - b),
    createdOn: formatInstant(row.createdAt, zone),
    updatedOn: formatInstant(row.updatedAt, zone),
  };
}

export function projectCurrentUser(principal: Principal): Schemas['CurrentUser'] {
  const zone = principal.timeZone;
  return {
    id: principal.userId,
    login: principal.login,
    name: principal.name,
    email: principal.login,
    timezone: zone,
    active: principal.active,
    verified: principal.verified,
    validFrom: instantOrNull(principal.userValidFrom, zone),
    validTo: instantOrNull(principal.userValidTo, zone),
    roles: principal.roleNames,
    groups: principal.groupNames,
    permissions: [...principal.permissions].sort(),
  };
}

export function projectGroup(row: Group & { roles: { roleId: number }[]; users: { userId: number }[] }): Schemas['Group'] {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles.map((r) => r.roleId).sort((a, b) => a - b),
    users: row.users.map((u) => u.userId).sort((a, b) => a - b),
  };
}

export function projectRole(row: Role & { typePermissions: RoleTypePermission[] }): Schemas['Role'] {
  return {
    id: row.id,
    name: row.name,
    permissions: parsePermissions(row.permissions),
    typePermissions: row.typePermissions.map((g) => ({
      typeId: g.typeId,
      show: g.canShow,
      create: g.canCreate,
      edit: g.canEdit,
      delete: g.canDelete,
    })),
  };
}

export function projectTenant(row: Tenant & { hosts: TenantHost[] }, zone: string): Schemas['Tenant'] {
  const context = toTenantContext(row);
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    isRoot: row.isRoot,
    hosts: row.hosts.map((h) => h.host),
    settings: context.settings,
    createdOn: formatInstant(row.createdAt, zone),
  };
}

export function projectApiKey(row: ApiKey, zone: string): Schemas['ApiKeyInfo'] {
  return {
    id: row.id,
    userId: row.userId,
    description: row.description,
    validFrom: formatInstant(row.validFrom, zone),
    validTo: formatInstant(row.validTo, zone),
    createdOn: formatInstant(row.createdAt, zone),
    revoked: row.revokedAt !== null,
  };
}

export function projectAuthToken(row: ApiKey, keyString: string, zone: string): Schemas['AuthToken'] {
  return {
    id: row.id,
    userId: row.userId,
    keyString,
    validFrom: formatWallClock(row.validFrom, zone),
    validTo: formatWallClock(row.validTo, zone),
    description: row.description,
    permissions: [],
  };
}
