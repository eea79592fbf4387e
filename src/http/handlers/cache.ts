// The response cache's operator commands (cache.stats, cache.purge) and the Application
// Management page that drives them.
import type { components } from '../../../generated/api.d.ts';
import { emptyCounts, type PurgeTarget } from '../../cache/cache-stats.ts';
import { StoreUnavailable } from '../../cache/response-cache.ts';
import { Errors } from '../../errors/registry.ts';
import { formatInstant } from '../../lib/dates.ts';
import { projectCacheStats, type CacheStatsOrOff } from '../../projection/cache-stats.ts';
import { managementPage } from '../management-page.ts';
import type { AuthedScope, OperationHandler } from '../types.ts';

type CachePurge = components['schemas']['CachePurge'];

/** With the cache turned off (CACHE_STORE=none) the commands still answer: zeros, and purges of nothing. */
const CACHE_OFF: CacheStatsOrOff = {
  store: 'none', shared: false, totals: emptyCounts(), perType: new Map(), entries: 0, bytes: 0, evictions: 0, maxBytes: null, since: new Date(),
};

export const getCacheStats: OperationHandler<'getCacheStats'> = async (_input, scope) => {
  const { services, tenant } = scope;
  const [stats, types] = await Promise.all([
    services.responseCache ? fromStore(services.responseCache.stats(tenant.id)) : CACHE_OFF,
    services.typeRegistry.all(tenant.id, scope.generation),
  ]);
  const typeNames = new Map(types.map((t) => [t.id, t.systemName]));
  return { status: 200, body: projectCacheStats(stats, typeNames, tenant.settings.listCacheTtlSeconds, scope.principal.timeZone) };
};

export const purgeCache: OperationHandler<'purgeCache'> = async ({ body }, scope) => {
  const target = await purgeTarget(scope, body);
  // The target is checked even with the cache off: a typo is a 404 either way.
  if (scope.services.responseCache) await fromStore(scope.services.responseCache.purge(scope.tenant.id, target));
  return { status: 200, body: { ...target, purgedAt: formatInstant(new Date(), scope.principal.timeZone) } };
};

export const getManagementPage: OperationHandler<'getManagementPage'> = async () => ({
  status: 200,
  body: managementPage.html,
  contentType: 'text/html; charset=utf-8',
  headers: managementPage.headers,
});

const CACHE_RETRY_AFTER_SECONDS = 5;

/** A store that is down or slow is a 503 the operator can retry, not a 500: the command did nothing. */
async function fromStore<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof StoreUnavailable)) throw error;
    const retryAfter = CACHE_RETRY_AFTER_SECONDS;
    throw Errors.cacheUnavailable({ retryAfter }, { headers: { 'Retry-After': String(retryAfter) } });
  }
}

/** Each scope takes exactly its own field: a stray one is refused rather than ignored (a
 *  `{scope: "tenant", type: "x"}` that purged the whole tenant would surprise its sender). */
const FIELD_OF_SCOPE = { tenant: null, type: 'type', user: 'user' } as const;

/** The body's target, named by the caller's tenant only: an unknown type or user is a 404. */
async function purgeTarget(scope: AuthedScope, body: CachePurge): Promise<PurgeTarget> {
  const needed = FIELD_OF_SCOPE[body.scope];
  for (const field of ['type', 'user'] as const) {
    if (field !== needed && body[field] !== undefined) throw Errors.purgeTargetInvalid({ reason: `"${field}" applies only to scope "${field}"` });
  }
  if (needed && body[needed] === undefined) throw Errors.purgeTargetInvalid({ reason: `scope "${body.scope}" needs "${needed}"` });
  const { services, tenant } = scope;
  switch (body.scope) {
    case 'tenant':
      return { scope: 'tenant' };
    case 'type':
      return { scope: 'type', typeId: (await services.typeRegistry.resolve(tenant.id, body.type!, scope.generation)).id };
    case 'user':
      return { scope: 'user', userId: (await services.users.get(tenant.id, body.user!)).id };
  }
}
