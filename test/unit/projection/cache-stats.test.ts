// cache.stats' shape from the cache's counts: per-type rows named from the tenant's types now,
// most requested first, capped at the contract's maxItems, with the hit ratio of each.
import { expect } from 'chai';
import { emptyCounts, type CacheCounts, type TenantCacheStats } from '../../../src/cache/cache-stats.ts';
import { MAX_TYPES_SHOWN, projectCacheStats } from '../../../src/projection/cache-stats.ts';

function counts(hits: number, misses: number, noCache = 0): CacheCounts {
  const c = emptyCounts();
  c.hits = hits;
  c.misses = misses;
  c.stores = misses;
  c.bypasses.noCache = noCache;
  return c;
}

function stats(perType: [number, CacheCounts][]): TenantCacheStats {
  return {
    store: 'memory', shared: false, totals: counts(0, 0), perType: new Map(perType),
    entries: 3, bytes: 100, evictions: 0, maxBytes: 1000, since: new Date('2026-12-01T10:00:00Z'),
  };
}

describe('projectCacheStats', () => {
  it('orders types by requests (hits, misses and bypasses), ties by id, and names each', () => {
    const body = projectCacheStats(
      stats([[1, counts(1, 1)], [2, counts(5, 0)], [3, counts(0, 1, 4)], [4, counts(1, 1)]]),
      new Map([[1, 'a'], [2, 'b'], [3, 'c'], [4, 'd']]),
      300,
      'UTC',
    );
    expect(body.types.map((t) => [t.typeId, t.systemName])).to.deep.equal([[2, 'b'], [3, 'c'], [1, 'a'], [4, 'd']]);
    expect(body.types[1]).to.deep.equal({
      typeId: 3, systemName: 'c', hits: 0, misses: 1, stores: 1, hitRatio: 0,
      bypasses: { noCache: 4, noStore: 0, readLogged: 0, storeUnavailable: 0 },
    });
    expect(body.types[0].hitRatio).to.equal(1);
    expect(body.listTtlSeconds).to.equal(300);
    expect(body.since).to.equal('2026-12-01T10:00:00+00:00');
  });

  it('leaves out counters of a type that no longer exists', () => {
    const body = projectCacheStats(stats([[1, counts(1, 0)], [9, counts(7, 7)]]), new Map([[1, 'a']]), 300, 'UTC');
    expect(body.types.map((t) => t.typeId)).to.deep.equal([1]);
  });

  it(`shows at most ${MAX_TYPES_SHOWN} types, the busiest`, () => {
    const many: [number, CacheCounts][] = Array.from({ length: MAX_TYPES_SHOWN + 5 }, (_, i) => [i + 1, counts(i, 0)]);
    const body = projectCacheStats(stats(many), new Map(many.map(([id]) => [id, `t${id}`])), 300, 'UTC');
    expect(body.types).to.have.length(MAX_TYPES_SHOWN);
    expect(body.types[0].typeId).to.equal(MAX_TYPES_SHOWN + 5);
    expect(body.types.map((t) => t.typeId)).to.not.include(1);
  });
});
