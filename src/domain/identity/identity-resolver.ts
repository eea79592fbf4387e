// Host → tenant and key → principal, memoized in process and revocable everywhere at once:
// each memo entry remembers the shared "identity" generation it was built under, and any
// change to tenants, users, roles, groups or keys bumps that generation after commit.
import type { Db } from '../../store/database.ts';
import type { Generations } from '../../cache/shared-state.ts';
import { Errors } from '../../errors/registry.ts';
import { loadPrincipal, type Principal } from './principal.ts';
import { toTenantContext, type TenantContext } from './tenant.ts';

export const IDENTITY_GENERATION = 'identity';
const MAX_PRINCIPALS = 10_000;
/**
 * Without a shared store the generation only sees changes made through this process; changes
 * from elsewhere (the admin scripts, another process on the same database) are picked up when
 * a memo ages out. With Redis every change is seen on the next request.
 */
export const LOCAL_MEMO_MAX_AGE_MS = 1000;

interface Memo<T> {
  value: T;
  generation: number;
  loadedAt: number;
}

export class IdentityResolver {
  private readonly tenants = new Map<string, Memo<TenantContext>>();
  private readonly principals = new Map<string, Memo<Principal>>();
  private rootTenant: Memo<TenantContext> | null = null;

  constructor(
    private readonly db: Db,
    private readonly generations: Generations,
    private readonly unknownHostFallback: boolean,
  ) {}

  /** The generation to use for this request; null means the shared store is down: no memo is trusted. */
  async currentGeneration(): Promise<number | null> {
    const generation = await this.generations.read(IDENTITY_GENERATION);
    if (generation === null) this.forget();
    return generation;
  }

  async changed(): Promise<void> {
    this.forget();
    await this.generations.bump(IDENTITY_GENERATION);
  }

  forget(): void {
    this.tenants.clear();
    this.principals.clear();
    this.rootTenant = null;
  }

  private fresh<T>(memo: Memo<T> | null | undefined, generation: number | null): memo is Memo<T> {
    if (!memo || memo.generation !== generation) return false;
    return this.generations.shared || Date.now() - memo.loadedAt < LOCAL_MEMO_MAX_AGE_MS;
  }

  private memo<T>(value: T, generation: number): Memo<T> {
    return { value, generation, loadedAt: Date.now() };
  }

  async tenantForHost(rawHost: string, generation: number | null): Promise<TenantContext> {
    const host = rawHost.toLowerCase();
    const memo = this.tenants.get(host);
    if (this.fresh(memo, generation)) return memo.value;
    const tenant = await this.loadTenant(host, generation);
    if (generation !== null) this.tenants.set(host, this.memo(tenant, generation));
    return tenant;
  }

  async principalForKey(tenant: TenantContext, keyString: string, generation: number | null): Promise<Principal> {
    const memoKey = `${tenant.id}\u0000${keyString}`;
    const memo = this.principals.get(memoKey);
    if (this.fresh(memo, generation)) return memo.value;
    const principal = await loadPrincipal(this.db, tenant, keyString);
    if (generation !== null) {
      if (this.principals.size >= MAX_PRINCIPALS) this.principals.delete(this.principals.keys().next().value!);
      this.principals.set(memoKey, this.memo(principal, generation));
    }
    return principal;
  }

  private async loadTenant(host: string, generation: number | null): Promise<TenantContext> {
    const hostname = host.replace(/:\d+$/, '');
    const mapped = await this.db.tenantHost.findFirst({
      where: { host: { in: hostname === host ? [host] : [host, hostname] } },
      include: { tenant: true },
      orderBy: { host: 'desc' },
    });
    if (mapped) return toTenantContext(mapped.tenant);
    if (!this.unknownHostFallback) throw Errors.tenantNotFound({ host });
    if (this.fresh(this.rootTenant, generation)) return this.rootTenant.value;
    const root = await this.db.tenant.findFirst({ where: { isRoot: true } });
    if (!root) throw Errors.tenantNotFound({ host });
    const value = toTenantContext(root);
    if (generation !== null) this.rootTenant = this.memo(value, generation);
    return value;
  }
}
