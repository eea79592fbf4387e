// The response cache's figures as cache.stats answers them (components/schemas/CacheStats): pure.
import type { components } from '../../generated/api.d.ts';
import { hitRatio, type CacheCounts, type TenantCacheStats } from '../cache/cache-stats.ts';
import { formatInstant } from '../lib/dates.ts';

type CacheStats = components['schemas']['CacheStats'];
type CacheCounters = components['schemas']['CacheCounters'];

/** The contract caps `types` (maxItems): a tenant with more busy types sees its busiest. */
export const MAX_TYPES_SHOWN = 1000;

/** The figures of a cache turned off (CACHE_STORE=none): nothing counted, nothing held. */
export type CacheStatsOrOff = TenantCacheStats | (Omit<TenantCacheStats, 'store'> & { store: 'none' });

export function projectCounters(counts: CacheCounts): CacheCounters {
  return { hits: counts.hits, misses: counts.misses, bypasses: { ...counts.bypasses }, stores: counts.stores, hitRatio: hitRatio(counts) };
}

/** Every request the counts saw: hits, misses and bypasses of any reason. */
export function requestsOf(counts: CacheCounts): number {
  const b = counts.bypasses;
  return counts.hits + counts.misses + b.noCache + b.noStore + b.readLogged + b.storeUnavailable;
}

/**
 * `typeNames` are the tenant's types now: counters of a type deleted since are left out (its
 * id names nothing the operator could purge). Most requested first, ties by id, at most
 * MAX_TYPES_SHOWN.
 */
export function projectCacheStats(stats: CacheStatsOrOff, typeNames: ReadonlyMap<number, string>, listTtlSeconds: number, zone: string): CacheStats {
  const types = [...stats.perType]
    .filter(([typeId]) => typeNames.has(typeId))
    .sort(([idA, a], [idB, b]) => requestsOf(b) - requestsOf(a) || idA - idB)
    .slice(0, MAX_TYPES_SHOWN)
    .map(([typeId, counts]) => ({ typeId, systemName: typeNames.get(typeId)!, ...projectCounters(counts) }));
  return {
    store: stats.store,
    shared: stats.shared,
    totals: projectCounters(stats.totals),
    types,
    entries: stats.entries,
    bytes: stats.bytes,
    evictions: stats.evictions,
    maxBytes: stats.maxBytes,
    listTtlSeconds,
    since: formatInstant(stats.since, zone),
  };
}
