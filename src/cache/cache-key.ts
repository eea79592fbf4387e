// What makes two requests the same cached answer: one key per tenant, user, effective scope,
// operation, normalized path parameters, sorted query (without _noCache) and canonical body.
// crypto.hash: one call, no Hash object (a hit computes one key; a miss one ETag too).
import { hash } from 'node:crypto';
import type { Principal } from '../domain/identity/principal.ts';
import type { TenantContext } from '../domain/identity/tenant.ts';

const principalDigests = new WeakMap<Principal, string>();
const tenantDigests = new WeakMap<TenantContext, string>();

/**
 * Everything of the principal that can change an answer: who (the user), what they may see
 * (permissions and type grants), and how it is shown (the display zone). Principals are
 * memoized objects, replaced when identity changes: the digest is computed once per principal.
 */
export function principalDigest(principal: Principal): string {
  let digest = principalDigests.get(principal);
  if (digest === undefined) {
    const grants = [...principal.typePermissions].sort((a, b) => a[0] - b[0]).map(([id, g]) => `${id}:${+g.show}${+g.create}${+g.edit}${+g.delete}`);
    const scope = [principal.userId, principal.timeZone, [...principal.permissions].sort().join(','), grants.join(','), principal.roleNames.join(','), principal.groupNames.join(',')];
    digest = hash('sha256', JSON.stringify(scope), 'base64url').slice(0, 22);
    principalDigests.set(principal, digest);
  }
  return digest;
}

/**
 * The tenant settings that shape answers (page cap, default zone, multi-value shape), and the
 * list TTL: entries stored under a longer TTL must not outlive a lowered one.
 */
export function tenantDigest(tenant: TenantContext): string {
  let digest = tenantDigests.get(tenant);
  if (digest === undefined) {
    const { apiMaxPageLength, defaultTimeZone, multiValueShape, listCacheTtlSeconds } = tenant.settings;
    digest = `${apiMaxPageLength}|${defaultTimeZone}|${multiValueShape}|${listCacheTtlSeconds}`;
    tenantDigests.set(tenant, digest);
  }
  return digest;
}

export interface NormalizedQuery {
  /** `a=1&b=2` with parameters sorted by name (values of one name keep their order), `_noCache` dropped. */
  text: string;
  /** The `_noCache` values sent (the key drops them; the stage checks them). */
  noCache: string[];
}

/** One parse of the query string for the whole cache stage. */
export function normalizedQuery(querystring: string): NormalizedQuery {
  if (!querystring) return { text: '', noCache: [] };
  const noCache: string[] = [];
  const params: [string, string][] = [];
  for (const pair of new URLSearchParams(querystring)) {
    if (pair[0] === '_noCache') noCache.push(pair[1]);
    else params.push(pair);
  }
  if (params.length > 1) params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { text: new URLSearchParams(params).toString(), noCache };
}

/**
 * Deeper bodies are not keyed (they are computed uncached; validation refuses most of them):
 * a client's nesting must not cost a deep recursion before validation has seen it.
 */
export const MAX_KEYED_DEPTH = 32;

/** JSON with object keys sorted at every depth: equal bodies, one text; null when too deep to key. */
export function canonicalJson(value: unknown): string | null {
  if (value === undefined) return '';
  const sorted = sortKeys(value, 0);
  return sorted === TOO_DEEP ? null : JSON.stringify(sorted);
}

const TOO_DEEP = Symbol('too deep');

function sortKeys(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_KEYED_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) {
    const items = [];
    for (const item of value) {
      const sorted = sortKeys(item, depth + 1);
      if (sorted === TOO_DEEP) return TOO_DEEP;
      items.push(sorted);
    }
    return items;
  }
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const sorted = sortKeys((value as Record<string, unknown>)[key], depth + 1);
    if (sorted === TOO_DEEP) return TOO_DEEP;
    result[key] = sorted;
  }
  return result;
}

export interface KeyParts {
  tenant: TenantContext;
  principal: Principal;
  /** The tenant's type-definition generation read for this request. */
  typesGeneration: number;
  operationId: string;
  typeId: number;
  /** Path parameters after the collection, normalized (an id, a lowercased UUID, property/value). */
  target: string;
  query: string;
  body: string;
}

export function cacheKey(parts: KeyParts): string {
  // One template, not an array joined: this runs on every cached request, hit or miss.
  const text = `${parts.tenant.id}\u0000${principalDigest(parts.principal)}\u0000${tenantDigest(parts.tenant)}\u0000${parts.typesGeneration}`
    + `\u0000${parts.operationId}\u0000${parts.typeId}\u0000${parts.target}\u0000${parts.query}\u0000${parts.body}`;
  return hash('sha256', text, 'base64url');
}

/** A strong ETag over the exact bytes: every process gives the same tag for the same bytes. */
export function etagOf(body: string): string {
  return `"${hash('sha256', body, 'hex').slice(0, 32)}"`;
}
