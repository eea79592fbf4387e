// The response cache's figures as the operator commands read them (cache.stats), and what a
// purge can target (cache.purge). Counted by cache/response-cache.ts.

export interface BypassCounts {
  /** `Cache-Control: no-cache`, `Pragma: no-cache` or `_noCache=1`. */
  noCache: number;
  /** `Cache-Control: no-store`. */
  noStore: number;
  /** Single fetches of read-logged types (the audit entry is written every time). */
  readLogged: number;
  /** The store failed or did not answer within its bound. */
  storeUnavailable: number;
}

export type BypassReason = keyof BypassCounts;

export interface CacheCounts {
  hits: number;
  misses: number;
  bypasses: BypassCounts;
  /** Answers written to the store. */
  stores: number;
}

export interface TenantCacheStats {
  store: 'memory' | 'redis';
  /** Counted by every process sharing the store (Redis). */
  shared: boolean;
  totals: CacheCounts;
  /** Per type id, only types with traffic. */
  perType: Map<number, CacheCounts>;
  /** Entries held by the memory store (the whole process); null for Redis. */
  entries: number | null;
  /** Bytes held (memory, this tenant) or written (Redis, cumulative, this tenant). */
  bytes: number;
  /** Entries the memory store dropped for its byte cap before they expired. */
  evictions: number;
  /** The memory store's byte cap; null for Redis. */
  maxBytes: number | null;
  /** When counting started (process start, or the shared counters' creation). */
  since: Date;
}

export type PurgeTarget = { scope: 'tenant' } | { scope: 'type'; typeId: number } | { scope: 'user'; userId: number };

/** What the operator commands need of the cache (services.responseCache implements it). */
export interface CacheOperations {
  stats(tenantId: number): Promise<TenantCacheStats>;
  /** A generation bump on every process sharing the store: no key scan. */
  purge(tenantId: number, target: PurgeTarget): Promise<void>;
}

export function emptyCounts(): CacheCounts {
  return { hits: 0, misses: 0, bypasses: { noCache: 0, noStore: 0, readLogged: 0, storeUnavailable: 0 }, stores: 0 };
}

/** hits / (hits + misses + bypasses); 0 before any request. */
export function hitRatio(counts: CacheCounts): number {
  const b = counts.bypasses;
  const all = counts.hits + counts.misses + b.noCache + b.noStore + b.readLogged + b.storeUnavailable;
  return all === 0 ? 0 : counts.hits / all;
}
