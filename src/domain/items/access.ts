// Per-type grants and the read-access log, shared by every route that touches items.
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import type { Principal } from '../identity/principal.ts';
import type { TypeAction } from '../identity/permissions.ts';
import type { TypeDef } from './type-definition.ts';

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
