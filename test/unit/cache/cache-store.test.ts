// The stores behind the response cache, memory and (when REDIS_URL is set) Redis: an answer is
// reachable only while every generation it was stamped with is unchanged, a missing generation
// is created before anything is stamped with it, and a failing store is a miss, never an answer.
import { expect } from 'chai';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { MemoryCacheStore, RedisCacheStore, type CacheStore } from '../../../src/cache/cache-store.ts';
import { ResponseCache, StoreUnavailable } from '../../../src/cache/response-cache.ts';
import { connectRedis, type RedisClient } from '../../../src/cache/shared-state.ts';

const logger = pino({ level: 'silent' });
const options = (prefix: string) => ({ prefix, maxEntryBytes: 1024 * 1024, itemTtlMs: 60_000, timeoutMs: 1000 });

async function readyRedis(): Promise<RedisClient> {
  const client = connectRedis(process.env.REDIS_URL!, () => {});
  for (let i = 0; i < 100 && !client.isReady; i++) await new Promise((r) => setTimeout(r, 20));
  return client;
}

const stores: [string, () => Promise<{ store: CacheStore; prefix: string; close: () => Promise<void> }>][] = [
  ['memory', async () => ({ store: new MemoryCacheStore(10 * 1024 * 1024), prefix: '', close: async () => {} })],
];
if (process.env.REDIS_URL) {
  stores.push(['redis', async () => {
    const client = await readyRedis();
    const store = new RedisCacheStore(client);
    // The store reads the server's run_id on connecting before it answers lookups.
    for (let i = 0; i < 100 && !store.ready(); i++) await new Promise((r) => setTimeout(r, 10));
    return { store, prefix: `jt-unit-${randomBytes(4).toString('hex')}:`, close: async () => void client.destroy() };
  }]);
}

for (const [name, open] of stores) {
  describe(`response cache over the ${name} store`, () => {
    let cache: ResponseCache;
    let close: () => Promise<void>;
    before(async () => {
      const opened = await open();
      cache = new ResponseCache(opened.store, options(opened.prefix), logger, null);
      close = opened.close;
    });
    after(async () => {
      await cache.close();
      await close();
    });

    const dependency = { kind: 'item' as const, typeId: 3, item: '5' };
    const store = async (key: string, body: string) => {
      const generations = cache.generationsFor(1, 7, dependency);
      const { tokens } = await cache.lookup(key, generations);
      const answer = cache.answerOf(body, 'application/json; charset=utf-8', '"e"', 1, 3, tokens);
      expect(await cache.put(key, answer, dependency, 300)).to.equal(true);
      return generations;
    };

    it('answers a stored entry while its generations stand, with the exact bytes', async () => {
      const key = cache.entryKey(1, `k-${randomBytes(4).toString('hex')}`);
      const generations = await store(key, '{"id":5,"t":"é"}');
      const { hit } = await cache.lookup(key, generations);
      expect(hit?.body).to.equal('{"id":5,"t":"é"}');
      expect(hit?.bytes).to.equal(Buffer.byteLength('{"id":5,"t":"é"}'));
    });

    it('makes it unreachable once the item is written (by id or by UUID), and for lists once its type is', async () => {
      for (const item of [{ id: 5, uuid: 'AAAA' }, { id: 6, uuid: '5' }]) {
        const key = cache.entryKey(1, `k-${randomBytes(4).toString('hex')}`);
        const generations = await store(key, '{}');
        await cache.bump(cache.itemGenerations(1, 3, item));
        expect((await cache.lookup(key, generations)).hit, `after writing ${JSON.stringify(item)}`).to.equal(null);
      }
      const key = cache.entryKey(1, `k-${randomBytes(4).toString('hex')}`);
      const generations = await store(key, '{}');
      await cache.bump(cache.itemGenerations(1, 4, { id: 5, uuid: 'x' }));
      expect((await cache.lookup(key, generations)).hit, 'a write to another type').to.not.equal(null);
      await cache.bump(cache.typeGenerations(1, 3));
      expect((await cache.lookup(key, generations)).hit, 'after a rewrite of the type').to.equal(null);
    });

    it('purges a tenant, a type or a user without touching the others', async () => {
      for (const [target, survives] of [[{ scope: 'tenant' }, false], [{ scope: 'user', userId: 8 }, true], [{ scope: 'user', userId: 7 }, false], [{ scope: 'type', typeId: 9 }, true], [{ scope: 'type', typeId: 3 }, false]] as const) {
        const key = cache.entryKey(1, `k-${randomBytes(4).toString('hex')}`);
        const generations = await store(key, '{}');
        await cache.purge(1, target);
        expect((await cache.lookup(key, generations)).hit !== null, JSON.stringify(target)).to.equal(survives);
      }
      const key = cache.entryKey(1, `k-${randomBytes(4).toString('hex')}`);
      const generations = await store(key, '{}');
      await cache.purge(2, { scope: 'tenant' });
      expect((await cache.lookup(key, generations)).hit, "another tenant's purge").to.not.equal(null);
    });

    it('stamps a fresh entry with the tokens read at lookup: a write landing meanwhile leaves it unreachable', async () => {
      const key = cache.entryKey(1, `k-${randomBytes(4).toString('hex')}`);
      const generations = cache.generationsFor(1, 7, dependency);
      const { tokens } = await cache.lookup(key, generations);
      await cache.bump(cache.itemGenerations(1, 3, { id: 5, uuid: 'u' })); // the write commits while the miss computes
      await cache.put(key, cache.answerOf('{"old":true}', 'application/json', '"e"', 1, 3, tokens), dependency, 300);
      expect((await cache.lookup(key, generations)).hit).to.equal(null);
    });

    it('does not store an answer above the per-entry cap, nor a list with a TTL of 0', async () => {
      const small = new ResponseCache(cache.store, { ...options(''), maxEntryBytes: 10 }, logger, null);
      const key = cache.entryKey(1, 'big');
      expect(await small.put(key, cache.answerOf('x'.repeat(11), 'application/json', '"e"', 1, 3, []), dependency, 300)).to.equal(false);
      expect(await cache.put(key, cache.answerOf('{}', 'application/json', '"e"', 1, 3, []), { kind: 'list', typeId: 3 }, 0)).to.equal(false);
    });
  });
}

describe('response cache over a store that fails or is slow', () => {
  const failing = (lookup: () => Promise<never>): CacheStore => ({
    kind: 'redis', shared: true, ready: () => true, lookup, put: async () => {}, bump: async () => {}, held: () => ({ entries: null, bytes: 0, evictions: 0, maxBytes: null }),
  });
  it('turns a failure into StoreUnavailable (the request is answered uncached)', async () => {
    const cache = new ResponseCache(failing(() => Promise.reject(new Error('connection lost'))), options(''), logger, null);
    await cache.lookup('k', ['g']).then(() => expect.fail('answered'), (error) => expect(error).to.be.instanceOf(StoreUnavailable));
  });
  it('turns an answer slower than the bound into StoreUnavailable', async () => {
    const cache = new ResponseCache(failing(() => new Promise<never>(() => {})), { ...options(''), timeoutMs: 30 }, logger, null);
    const started = Date.now();
    await cache.lookup('k', ['g']).then(() => expect.fail('answered'), (error) => expect(error).to.be.instanceOf(StoreUnavailable));
    expect(Date.now() - started).to.be.below(1000);
  });
  it('keeps an undelivered invalidation and sends it when asked again', async () => {
    const sent: string[][] = [];
    let up = false;
    const store: CacheStore = {
      ...failing(() => Promise.reject(new Error('x'))),
      ready: () => up,
      bump: async (names) => {
        if (!up) throw new Error('connection lost');
        sent.push(names);
      },
    };
    const cache = new ResponseCache(store, options(''), logger, null);
    await cache.bump(['a', 'b']);
    expect(sent).to.deep.equal([]);
    up = true;
    await cache.resendUnsent();
    expect(sent).to.deep.equal([['a', 'b']]);
  });
});
