// Type definitions per tenant, memoized in process under the tenant's shared `types:<tenant>`
// generation, so a type change is seen by every process on the next request (and drops no
// other tenant's memo).
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import type { Generations } from '../../cache/shared-state.ts';
import { LOCAL_MEMO_MAX_AGE_MS, typesGeneration } from '../identity/identity-resolver.ts';
import { toTypeDef, type TypeDef } from './type-definition.ts';
import { loadTypeRows } from '../../store/items/type-rows.ts';

interface TenantTypes {
  generation: number;
  loadedAt: number;
  byId: Map<number, TypeDef>;
  byName: Map<string, TypeDef>;
}

/** The answer for a type name or id that names no type (and for one hidden from the caller). */
export function collectionNotFound(collection: string | number) {
  return Errors.notFound({ what: 'Collection', id: String(collection) });
}

export class TypeRegistry {
  private readonly tenants = new Map<number, TenantTypes>();

  constructor(
    private readonly db: Db,
    private readonly generations: Generations,
  ) {}

  /** `collection` is a type id or system name. */
  async resolve(tenantId: number, collection: string | number, generation: number | null): Promise<TypeDef> {
    const types = await this.load(tenantId, generation);
    const type = /^\d+$/.test(String(collection)) ? types.byId.get(Number(collection)) : types.byName.get(String(collection));
    if (!type) throw collectionNotFound(collection);
    return type;
  }

  async all(tenantId: number, generation: number | null): Promise<TypeDef[]> {
    return [...(await this.load(tenantId, generation)).byId.values()].sort((a, b) => a.id - b.id);
  }

  forget(): void {
    this.tenants.clear();
  }

  /** After a committed change to a tenant's types: every process reloads on its next request. */
  async changed(tenantId: number): Promise<void> {
    this.tenants.delete(tenantId);
    await this.generations.bump(typesGeneration(tenantId));
  }

  private async load(tenantId: number, generation: number | null): Promise<TenantTypes> {
    const memo = this.tenants.get(tenantId);
    const fresh = memo && memo.generation === generation && (this.generations.shared || Date.now() - memo.loadedAt < LOCAL_MEMO_MAX_AGE_MS);
    if (fresh) return memo;
    const types = (await loadTypeRows(this.db, tenantId)).map(toTypeDef);
    const loaded: TenantTypes = {
      generation: generation ?? -1,
      loadedAt: Date.now(),
      byId: new Map(types.map((t) => [t.id, t])),
      byName: new Map(types.map((t) => [t.systemName, t])),
    };
    if (generation !== null) this.tenants.set(tenantId, loaded);
    return loaded;
  }
}
