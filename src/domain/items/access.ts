// Per-type grants and the read-access log, shared by every route that touches items: which types
// a principal sees at all, may show, or may act on, and the audit entry of a single read.
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import type { ActingScope } from '../acting-scope.ts';
import type { Principal } from '../identity/principal.ts';
import type { TypeAction } from '../identity/permissions.ts';
import type { TypeDef } from './type-definition.ts';
import { collectionNotFound, type TypeRegistry } from './type-registry.ts';

/**
 * A type the principal holds no grant on is hidden from them: it answers exactly like a type
 * that does not exist, and no message names it. A grant of any action makes it known.
 */
export function isHidden(principal: Principal, type: TypeDef): boolean {
  const grant = principal.typePermissions.get(type.id);
  return !(grant?.show || grant?.create || grant?.edit || grant?.delete);
}

/** Whether the principal may read the type's items (and so be answered with them). */
export function mayShow(principal: Principal, type: TypeDef): boolean {
  return principal.typePermissions.get(type.id)?.show === true;
}

/** The type a request names, unless it is unknown or hidden from the caller (the same 404). */
export async function resolveVisibleType(types: TypeRegistry, scope: ActingScope, collection: string | number): Promise<TypeDef> {
  const type = await types.resolve(scope.tenant.id, collection, scope.generation);
  if (isHidden(scope.principal, type)) throw collectionNotFound(collection);
  return type;
}

export function assertGrant(principal: Principal, type: TypeDef, action: TypeAction): void {
  if (!principal.typePermissions.get(type.id)?.[action]) {
    throw Errors.permissionDenied({ permission: `${action} on ${type.systemName}` });
  }
}

/** A single read of a type with readLog writes an audit entry. */
export async function auditRead(db: Db, principal: Principal, type: TypeDef, itemId: number): Promise<void> {
  if (!type.readLog) return;
  await db.readAudit.create({ data: { tenantId: principal.tenantId, typeId: type.id, itemId, userId: principal.userId } });
}
