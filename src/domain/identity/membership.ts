// Checks that ids named in a request belong to the tenant, so no write can link across tenants.
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import { parsePermissions } from './permissions.ts';
import { effectiveRoles, WITH_EFFECTIVE_ROLES } from './principal.ts';

type Table = 'role' | 'group' | 'user' | 'itemType';

export async function assertOwnedIds(db: Db, table: Table, tenantId: number, ids: number[] | undefined, path: string): Promise<void> {
  if (!ids || ids.length === 0) return;
  const model = db[table] as unknown as { count(args: { where: { tenantId: number; id: { in: number[] } } }): Promise<number> };
  const found = await model.count({ where: { tenantId, id: { in: ids } } });
  if (found !== new Set(ids).size) {
    throw Errors.validationFailed(undefined, { details: [{ path, message: `contains ids that do not exist in this tenant` }] });
  }
}

/** Whether a user holds manageTenants through their roles or their groups' roles. */
export async function userHoldsTenants(db: Db, tenantId: number, userId: number): Promise<boolean> {
  const user = await db.user.findFirst({ where: { tenantId, id: userId }, include: WITH_EFFECTIVE_ROLES });
  return user !== null && effectiveRoles(user).permissions.has('manageTenants');
}

/**
 * A holder of manageTenants can only be changed, deleted or given a key without their password
 * by a caller who holds it too: otherwise an operator could take the superuser's account.
 */
export async function assertMayActOn(db: Db, tenantId: number, userId: number, mayGrantTenants: boolean): Promise<void> {
  if (!mayGrantTenants && (await userHoldsTenants(db, tenantId, userId))) throw Errors.permissionDenied({ permission: 'manageTenants' });
}

/**
 * manageTenants is the root tenant's superuser permission: only a caller who holds it may
 * grant it, whether by writing it into a role or by assigning a role that carries it.
 */
export async function assertMayAssignRoles(db: Db, tenantId: number, roleIds: number[] | undefined, mayGrantTenants: boolean): Promise<void> {
  if (mayGrantTenants || !roleIds?.length) return;
  const roles = await db.role.findMany({ where: { tenantId, id: { in: roleIds } }, select: { name: true, permissions: true } });
  const elevated = roles.find((role) => parsePermissions(role.permissions).includes('manageTenants'));
  if (elevated) throw Errors.permissionDenied({ permission: 'manageTenants' });
}
