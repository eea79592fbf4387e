// A write to who may do what (tenants, users, roles, groups, keys): one unit of work, and once
// it commits, every process drops its identity memos (the shared generation is bumped).
import type { Tx } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import type { IdentityResolver } from './identity-resolver.ts';

/** `what` names the record in a translated database error ("User with the same login already exists"). */
export function identityWrite<T>(unitOfWork: UnitOfWork, identity: IdentityResolver, what: string, body: (tx: Tx, work: Work) => Promise<T>): Promise<T> {
  return unitOfWork.write((tx, work) => {
    // First of the hooks: what the write registers itself (a deleted tenant's files) comes after.
    work.afterCommit(() => identity.changed());
    return body(tx, work);
  }, { what });
}
