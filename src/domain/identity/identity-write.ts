// A write to who may do what (tenants, users, roles, groups, keys): one unit of work, and once
// it commits, every process drops the memos it affects: the tenant's identity generation is
// bumped (principals of that tenant only), and for tenant records the hosts generation too.
import type { Tx } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import type { IdentityResolver } from './identity-resolver.ts';

/** What a write changes: one tenant's users, roles, groups or keys; or tenants themselves (their hosts and settings). */
export type IdentityScope = { tenantId: number; hosts?: false } | { hosts: true; tenantId?: number };

/** `what` names the record in a translated database error ("User with the same login already exists"). */
export function identityWrite<T>(unitOfWork: UnitOfWork, identity: IdentityResolver, scope: IdentityScope, what: string, body: (tx: Tx, work: Work) => Promise<T>): Promise<T> {
  return unitOfWork.write((tx, work) => {
    // First of the hooks: what the write registers itself (a deleted tenant's files) comes after.
    work.afterCommit(() => (scope.hosts ? identity.hostsChanged(scope.tenantId) : identity.changed(scope.tenantId)));
    return body(tx, work);
  }, { what });
}
