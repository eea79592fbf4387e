// Host → tenant and key → principal, memoized in process and revocable everywhere at once:
// each memo entry remembers the shared generation it was built under. Generations are scoped:
// `hosts` (tenants, their hosts and settings) guards the host memo; `identity:<tenant>` (that
// tenant's users, roles, groups, keys) its principals; `types:<tenant>` its type definitions
// (domain/items/type-registry.ts). A change in one tenant drops no memo of another.
// Every memo is a bounded LRU keyed only by what the database knows (tenant hosts, valid keys).
import { LRUCache } from 'lru-cache';
import type { Db } from '../../store/database.ts';
import type { Generations } from '../../cache/shared-state.ts';
import { Errors } from '../../errors/registry.ts';
import { loadPrincipal, type Principal } from './principal.ts';
import { toTenantContext, type TenantContext } from './tenant.ts';

export const HOSTS_GENERATION = 'hosts';
export const identityGeneration = (tenantId: number) => `identity:${tenantId}`;
export const typesGeneration = (tenantId: number) => `types:${tenantId}`;

/** The generations a request of one tenant reads once, together (one round trip with Redis). */
export interface TenantGenerations {
  identity: number | null;
  types: number | null;
}
/** Valid keys in use at once per process; a principal is a few hundred bytes. */
const MAX_PRINCIPALS = 10_000;
/** Mapped hosts (a tenant has at most 50), with or without a port. */
const MAX_KNOWN_HOSTS = 10_000;
/**
 * Hosts that map to no tenant, remembered only as "unknown" (no copy of anything) so that a
 * client on an unmapped host costs no query per request. Its own, smaller LRU: random hosts
 * churn this one and never evict a real tenant's entry.
 */
const MAX_UNKNOWN_HOSTS = 1_000;
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
  private readonly knownHosts = new LRUCache<string, Memo<TenantContext>>({ max: MAX_KNOWN_HOSTS });
  private readonly unknownHosts = new LRUCache<string, Memo<true>>({ max: MAX_UNKNOWN_HOSTS });
  private readonly principals = new LRUCache<string, Memo<Principal>>({ max: MAX_PRINCIPALS });
  /** The one shared entry every unknown host answers with (UNKNOWN_HOST_FALLBACK). */
  private rootTenant: Memo<TenantContext> | null = null;

  constructor(
    private readonly db: Db,
    private readonly generations: Generations,
    private readonly unknownHostFallback: boolean,
  ) {}

  /** The hosts generation for this request; null means the shared store is down: no memo is trusted. */
  async hostsGeneration(): Promise<number | null> {
    const generation = await this.generations.read(HOSTS_GENERATION);
    if (generation === null) this.forget();
    return generation;
  }

  /** The tenant's identity and type-definition generations for this request. */
  async tenantGenerations(tenantId: number): Promise<TenantGenerations> {
    const found = await this.generations.readMany([identityGeneration(tenantId), typesGeneration(tenantId)]);
    return found ? { identity: found[0], types: found[1] } : { identity: null, types: null };
  }

  /**
   * The request's tenant and its generations. When the host is already memoized, the hosts
   * generation and that tenant's two are read together (one round trip with Redis); only a host
   * seen for the first time, or one whose tenant changed, costs a second read.
   */
  async resolveRequest(rawHost: string): Promise<{ tenant: TenantContext } & TenantGenerations> {
    const host = rawHost.toLowerCase();
    const guess = this.knownHosts.get(host)?.value ?? (this.unknownHosts.has(host) ? this.rootTenant?.value : undefined);
    if (!guess) {
      const tenant = await this.tenantForHost(host, await this.hostsGeneration());
      return { tenant, ...(await this.tenantGenerations(tenant.id)) };
    }
    const found = await this.generations.readMany([HOSTS_GENERATION, identityGeneration(guess.id), typesGeneration(guess.id)]);
    if (found === null) this.forget();
    const tenant = await this.tenantForHost(host, found ? found[0] : null);
    if (tenant.id !== guess.id) return { tenant, ...(await this.tenantGenerations(tenant.id)) };
    return { tenant, identity: found ? found[1] : null, types: found ? found[2] : null };
  }

  /** After a committed change to a tenant's users, roles, groups or keys. */
  async changed(tenantId: number): Promise<void> {
    await this.generations.bump(identityGeneration(tenantId));
  }

  /** After a committed change to tenants (hosts, settings, a tenant created or deleted). */
  async hostsChanged(tenantId?: number): Promise<void> {
    await this.generations.bump(HOSTS_GENERATION);
    // Settings shape principals too (the default zone).
    if (tenantId !== undefined) await this.generations.bump(identityGeneration(tenantId));
  }

  forget(): void {
    this.knownHosts.clear();
    this.unknownHosts.clear();
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

  /** Memo sizes, for tests of the bounds. */
  memoSizes(): { knownHosts: number; unknownHosts: number; principals: number } {
    return { knownHosts: this.knownHosts.size, unknownHosts: this.unknownHosts.size, principals: this.principals.size };
  }

  /** `rawHost` has passed the request stage's shape check (isValidHost). */
  async tenantForHost(rawHost: string, generation: number | null): Promise<TenantContext> {
    const host = rawHost.toLowerCase();
    const known = this.knownHosts.get(host);
    if (this.fresh(known, generation)) return known.value;
    if (!this.fresh(this.unknownHosts.get(host), generation)) {
      const mapped = await this.mappedTenant(host);
      if (mapped) {
        if (generation !== null) this.knownHosts.set(host, this.memo(mapped, generation));
        return mapped;
      }
      if (generation !== null) this.unknownHosts.set(host, this.memo(true, generation));
    }
    return this.unknownHostTenant(host, generation);
  }

  async principalForKey(tenant: TenantContext, keyString: string, generation: number | null): Promise<Principal> {
    const memoKey = `${tenant.id}\u0000${keyString}`;
    const memo = this.principals.get(memoKey);
    if (this.fresh(memo, generation)) return memo.value;
    const principal = await loadPrincipal(this.db, tenant, keyString);
    // Only keys that loaded are remembered: an invalid key string throws before this line.
    if (generation !== null) this.principals.set(memoKey, this.memo(principal, generation));
    return principal;
  }

  /** The tenant a host (or, without its port, its name) is mapped to. */
  private async mappedTenant(host: string): Promise<TenantContext | null> {
    const hostname = host.replace(/:\d+$/, '');
    const mapped = await this.db.tenantHost.findFirst({
      where: { host: { in: hostname === host ? [host] : [host, hostname] } },
      include: { tenant: true },
      orderBy: { host: 'desc' },
    });
    return mapped ? toTenantContext(mapped.tenant) : null;
  }

  private async unknownHostTenant(host: string, generation: number | null): Promise<TenantContext> {
    if (!this.unknownHostFallback) throw Errors.tenantNotFound({ host });
    if (this.fresh(this.rootTenant, generation)) return this.rootTenant.value;
    const root = await this.db.tenant.findFirst({ where: { isRoot: true } });
    if (!root) throw Errors.tenantNotFound({ host });
    const value = toTenantContext(root);
    if (generation !== null) this.rootTenant = this.memo(value, generation);
    return value;
  }
}
