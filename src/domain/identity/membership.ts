// Checks that ids named in a request belong to the tenant, so no write can link across tenants.
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';

type Table = 'role' | 'group' | 'user' | 'itemType';

export async function assertOwnedIds(db: Db, table: Table, tenantId: number, ids: number[] | undefined, path: string): Promise<void> {
  if (!ids || ids.length === 0) return;
  const model = db[table] as unknown as { count(args: { where: { tenantId: number; id: { in: number[] } } }): Promise<number> };
  const found = await model.count({ where: { tenantId, id: { in: ids } } });
  if (found !== new Set(ids).size) {
    throw Errors.validationFailed(undefined, { details: [{ path, message: `contains ids that do not exist in this tenant` }] });
  }
}
