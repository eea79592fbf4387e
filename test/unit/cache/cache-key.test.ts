// Equivalent requests map to one key; different views never share one.
import { expect } from 'chai';
import { cacheKey, canonicalJson, etagOf, normalizedQuery, type KeyParts } from '../../../src/cache/cache-key.ts';
import type { Principal } from '../../../src/domain/identity/principal.ts';
import type { TenantContext } from '../../../src/domain/identity/tenant.ts';

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    tenantId: 1, userId: 7, login: 'u', name: 'U', keyId: 1, keyValidFrom: new Date(0), keyValidTo: new Date(8e15), active: true, verified: true,
    userValidFrom: null, userValidTo: null, userTimeZone: null, timeZone: 'Europe/Prague', roleNames: ['r'], groupNames: [],
    permissions: new Set(['useApi']), typePermissions: new Map([[3, { show: true, create: false, edit: false, delete: false }]]),
    ...overrides,
  } as Principal;
}

function tenant(overrides: Partial<TenantContext['settings']> = {}): TenantContext {
  const settings = { apiMaxPageLength: 1000, defaultTimeZone: 'UTC', listCacheTtlSeconds: 300, multiValueShape: 'array', allowApiPasswordReset: false, registrationEnvelope: { allowedDomains: [], allowedRoles: [], allowedGroups: [] } };
  return { id: 1, slug: 'root', name: 'Root', isRoot: true, securityKey: 'x', settings: { ...settings, ...overrides } } as TenantContext;
}

describe('cache key', () => {
  const base = (): KeyParts => ({ tenant: tenant(), principal: principal(), typesGeneration: 0, operationId: 'listItems', typeId: 3, target: '', query: '', body: '' });

  it('sorts query parameters by name, keeps the order of repeated ones and drops _noCache', () => {
    expect(normalizedQuery('perPage=5&page=2&_noCache=1')).to.deep.equal({ text: normalizedQuery('page=2&perPage=5').text, noCache: ['1'] });
    expect(normalizedQuery('tags=2&tags=1').text).to.not.equal(normalizedQuery('tags=1&tags=2').text);
    expect(normalizedQuery('a=%7B%22x%22%3A1%7D').text).to.equal(normalizedQuery('a={"x":1}').text);
  });

  it('writes equal JSON bodies as one text, whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).to.equal(canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }));
    expect(canonicalJson(undefined)).to.equal('');
    // Too deep to key (the request is then computed uncached and validation answers it).
    expect(canonicalJson(JSON.parse(`${'['.repeat(5000)}1${']'.repeat(5000)}`))).to.equal(null);
    expect(canonicalJson({ a: JSON.parse(`${'['.repeat(20)}1${']'.repeat(20)}`) })).to.be.a('string');
  });

  it('gives the same key to the same view, and another to every change of user, scope, zone, settings, types, operation or request', () => {
    const key = cacheKey(base());
    expect(cacheKey(base())).to.equal(key);
    const variants: [string, Partial<KeyParts>][] = [
      ['another user', { principal: principal({ userId: 8 }) }],
      ['another display zone', { principal: principal({ timeZone: 'America/New_York' }) }],
      ['another type grant', { principal: principal({ typePermissions: new Map([[3, { show: true, create: true, edit: false, delete: false }]]) }) }],
      ['another permission', { principal: principal({ permissions: new Set(['useApi', 'manageTags'] as never) }) }],
      ['another role', { principal: principal({ roleNames: ['r', 's'] }) }],
      ['another multi-value shape', { tenant: tenant({ multiValueShape: 'string' }) }],
      ['another default zone', { tenant: tenant({ defaultTimeZone: 'Asia/Tokyo' }) }],
      ['changed type definitions', { typesGeneration: 1 }],
      ['another operation', { operationId: 'searchItems' }],
      ['another type', { typeId: 4 }],
      ['another item', { target: '5' }],
      ['another query', { query: 'page=2' }],
      ['another body', { body: '{"page":2}' }],
    ];
    const keys = new Set([key]);
    for (const [name, change] of variants) {
      const other = cacheKey({ ...base(), ...change });
      expect(other, name).to.not.equal(key);
      keys.add(other);
    }
    expect(keys.size).to.equal(variants.length + 1);
  });

  it('tags bytes with a strong ETag that depends on the bytes only', () => {
    expect(etagOf('{"a":1}')).to.equal(etagOf('{"a":1}')).and.match(/^"[0-9a-f]{32}"$/);
    expect(etagOf('{"a":1}')).to.not.equal(etagOf('{"a":2}'));
  });
});
