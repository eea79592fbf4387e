// The response cache stage: after tenant, authentication, rate limit, matching and body parsing;
// before validation, handlers and any database work. A hit writes the stored bytes as they are.
// Every cache-eligible 200 (hit, miss or bypass) carries a strong ETag, `Cache-Control: private,
// must-revalidate`, Vary and X-Cache, and answers 304 when If-None-Match matches it.
import type { Context, Next } from 'koa';
import type { TypeRegistry } from '../domain/items/type-registry.ts';
import type { TenantContext } from '../domain/identity/tenant.ts';
import { StoreUnavailable, type Dependency, type ResponseCache } from '../cache/response-cache.ts';
import { cacheKey, canonicalJson, etagOf, normalizedQuery } from '../cache/cache-key.ts';
import { utf8Length, type CachedAnswer } from '../cache/cache-store.ts';
import type { BypassReason } from '../cache/cache-stats.ts';
import { authorizeRequest } from './authorize.ts';
import { matchedOperation } from './match-operation.ts';
import { ifNoneMatchMatches, requestDirective } from './conditional.ts';
import { addHeaders, writeResponse } from './write-response.ts';

export const CACHE_CONTROL = 'private, must-revalidate';
/** The request headers an answer depends on: the key (who) and the origin (CORS). */
export const VARY = 'Origin, Authorization, key, x-api-key';

type Outcome = 'HIT' | 'MISS' | 'BYPASS';

const SEARCH_OPERATIONS = new Set(['searchItems']);

/** The contract's bounds on what the key drops or reads (`_noCache`, the conditional headers). */
const MAX_IF_NONE_MATCH = 8000;
const MAX_CACHE_DIRECTIVE = 1000;

/** The request headers the stage reads, read once (Node gives them lowercased; '' when absent, as ctx.get does). */
interface KeyedHeaders {
  ifNoneMatch: string;
  cacheControl: string;
  pragma: string;
}

function keyedHeaders(ctx: Context): KeyedHeaders {
  const headers = ctx.req.headers;
  return { ifNoneMatch: headerText(headers['if-none-match']), cacheControl: headerText(headers['cache-control']), pragma: headerText(headers.pragma) };
}

function headerText(value: string | string[] | undefined): string {
  return value === undefined ? '' : String(value);
}

function keyedHeadersValid(headers: KeyedHeaders, noCache: string[]): boolean {
  if (noCache.length > 1 || (noCache.length === 1 && noCache[0] !== '0' && noCache[0] !== '1')) return false;
  return headers.ifNoneMatch.length <= MAX_IF_NONE_MATCH
    && headers.cacheControl.length <= MAX_CACHE_DIRECTIVE
    && headers.pragma.length <= MAX_CACHE_DIRECTIVE;
}

/** An id as a number's canonical text, a UUID lowercased: one generation per item whichever form. */
function normalizedItem(item: string): string {
  if (/^\d{1,15}$/.test(item)) return String(Number(item));
  return item.toLowerCase();
}

export function responseCacheStage(cache: ResponseCache | null, types: TypeRegistry) {
  return async function responseCacheStage(ctx: Context, next: Next) {
    const { policy, operationId, params } = matchedOperation(ctx);
    if (policy.cache === 'none') return next();
    // Refusals first, exactly as the authorize stage would give them: a hit never answers a 403.
    const principal = authorizeRequest(ctx);
    const tenant = ctx.state.tenant as TenantContext;
    const typesGeneration = ctx.state.typesGeneration as number | null;
    const type = principal ? await types.resolve(tenant.id, params.collection, typesGeneration).catch(() => null) : null;
    if (!cache || !principal || !type) return computed(ctx, next, null, 'BYPASS');
    if (typesGeneration === null) {
      // The shared generations could not be read (Redis away): nothing cached can be trusted.
      cache.count(tenant.id, type.id, 'storeUnavailable');
      return computed(ctx, next, null, 'BYPASS');
    }
    const dependency: Dependency = policy.cache === 'item' && operationId === 'getItem'
      ? { kind: 'item', typeId: type.id, item: normalizedItem(params.item) }
      : { kind: 'list', typeId: type.id };
    // What the key leaves out must still be what validation would accept: a request that would
    // answer 400 uncached is computed (and refused), never answered from an entry.
    const query = normalizedQuery(ctx.querystring);
    const sent = keyedHeaders(ctx);
    if (!keyedHeadersValid(sent, query.noCache)) return computed(ctx, next, null, 'BYPASS');
    // Most requests carry none of the three: nothing to parse.
    const directive = sent.cacheControl || sent.pragma || query.noCache.length
      ? requestDirective(sent.cacheControl, sent.pragma, query.noCache[0])
      : 'none';
    const bypass = (reason: BypassReason) => {
      cache.count(tenant.id, type.id, reason);
      return computed(ctx, next, null, 'BYPASS');
    };
    // A single fetch of a read-logged type must reach the database: its audit entry is the point.
    if (policy.cache === 'item' && type.readLog) return bypass('readLogged');
    if (directive === 'no-store') return bypass('noStore');

    const body = SEARCH_OPERATIONS.has(operationId) ? canonicalJson(ctx.request.body) : '';
    if (body === null) return computed(ctx, next, null, 'BYPASS');
    // The path as sent (an upper-case UUID is another request: it answers 404 uncached); the
    // item's generation is named by its normalized form, which every write of it bumps.
    const target = operationId === 'getItemBy' ? `${params.property}\u0000${params.item}` : operationId === 'getItem' ? params.item : '';
    const key = cache.entryKey(tenant.id, cacheKey({
      tenant, principal, typesGeneration, operationId, typeId: type.id, target,
      query: query.text,
      body,
    }));
    const generations = cache.generationsFor(tenant.id, principal.userId, dependency);
    let looked;
    try {
      // no-cache: recompute (the entry is not read), but still stamp and store the fresh answer.
      looked = await cache.lookup(directive === 'no-cache' ? null : key, generations);
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      return bypass('storeUnavailable');
    }
    if (looked.hit) {
      cache.count(tenant.id, type.id, 'hits');
      return answer(ctx, looked.hit, 'HIT');
    }
    cache.count(tenant.id, type.id, directive === 'no-cache' ? 'noCache' : 'misses');
    const outcome: Outcome = directive === 'no-cache' ? 'BYPASS' : 'MISS';
    const stamp = (body: string, contentType: string, etag: string, bytes: number) => cache.answerOf(body, contentType, etag, tenant.id, type.id, looked.tokens, bytes);
    const flight = cache.coalesce(`${key}\u0000${looked.tokens.join(',')}`, async () => {
      const fresh = await computed(ctx, next, stamp, outcome);
      if (fresh) await cache.put(key, fresh, dependency, tenant.settings.listCacheTtlSeconds);
      return fresh;
    });
    if (flight.leader) {
      await flight.answer;
      return;
    }
    // Another request of this process is computing the same answer: take it when it is one.
    const shared = await flight.answer.catch(() => null);
    if (shared) return answer(ctx, shared, outcome);
    return computed(ctx, next, null, outcome);
  };
}

type Stamp = (body: string, contentType: string, etag: string, bytes: number) => CachedAnswer;

/**
 * Runs the rest of the pipeline. A 200 with a text body gets the cache headers (and a 304 when
 * If-None-Match matches); the answer to store is returned when `stamp` is given.
 */
async function computed(ctx: Context, next: Next, stamp: Stamp | null, outcome: Outcome): Promise<CachedAnswer | null> {
  await next();
  if (ctx.status !== 200 || typeof ctx.body !== 'string') return null;
  const body = ctx.body;
  const etag = etagOf(body);
  const headers = cacheHeaders(etag, outcome);
  // The 200 is already written (status, media type, body and its length): it only gains the
  // cache headers, or becomes the 304 the client's tag asks for.
  if (ifNoneMatchMatches(ctx.get('if-none-match'), etag)) writeResponse(ctx, { status: 304, headers });
  else addHeaders(ctx, headers);
  if (!stamp) return null;
  const contentType = String(ctx.response.get('Content-Type') || 'application/json; charset=utf-8');
  // Koa set Content-Length from the string body (Buffer.byteLength): not counted again.
  const length = ctx.response.length;
  return stamp(body, contentType, etag, typeof length === 'number' && length > 0 ? length : utf8Length(body));
}

function cacheHeaders(etag: string, outcome: Outcome): Record<string, string> {
  return { ETag: etag, 'Cache-Control': CACHE_CONTROL, Vary: VARY, 'X-Cache': outcome };
}

/** The one way a stored answer is written: its bytes as stored, or 304 when the client has them. */
function answer(ctx: Context, cached: CachedAnswer, outcome: Outcome): void {
  const headers = cacheHeaders(cached.etag, outcome);
  if (ifNoneMatchMatches(ctx.get('if-none-match'), cached.etag)) {
    writeResponse(ctx, { status: 304, headers });
    return;
  }
  writeResponse(ctx, { status: 200, body: cached.body, contentType: cached.contentType, headers });
}
