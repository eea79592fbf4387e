// The cache's own work on a get-one miss, without HTTP or the database: key, generations,
// lookup (a miss), stamp, ETag and put through the memory store, per call, in one process.
// What it cannot show (a noisy 2-core machine hides it in the server runs): how much of the miss
// path's extra CPU is the cache's code, and how much the heap it retains (GC).
// Usage: npx tsx scripts/bench/cache-miss-micro.ts [--n 200000 --store-bytes 268435456]
import { parseArgs } from 'node:util';
import pino from 'pino';
import { MemoryCacheStore } from '../../src/cache/cache-store.ts';
import { ResponseCache } from '../../src/cache/response-cache.ts';
import { cacheKey, etagOf } from '../../src/cache/cache-key.ts';
import type { Principal } from '../../src/domain/identity/principal.ts';
import type { TenantContext } from '../../src/domain/identity/tenant.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '200000' }, 'store-bytes': { type: 'string', default: String(256 * 1024 * 1024) } } });
const n = Number(values.n);
const cache = new ResponseCache(new MemoryCacheStore(Number(values['store-bytes'])), { prefix: '', maxEntryBytes: 1024 * 1024, itemTtlMs: 300_000, timeoutMs: 50 }, pino({ level: 'silent' }));
const tenant = { id: 1, settings: { apiMaxPageLength: 100, defaultTimeZone: 'UTC', multiValueShape: 'array', listCacheTtlSeconds: 300 } } as unknown as TenantContext;
const principal = { userId: 7, timeZone: 'UTC', permissions: new Set(['a', 'b']), typePermissions: new Map([[3, { show: true, create: true, edit: true, delete: false }]]), roleNames: ['admin'], groupNames: [] } as unknown as Principal;
const body = JSON.stringify({ id: 1, uuid: '0c8f0f5e-7f2a-4d0b-9d8f-3f1b2c4d5e6f', name: 'Project 1', status: 'open', created_on: '2026-01-01T00:00:00Z', x: 'y'.repeat(120) });

async function miss(i: number): Promise<void> {
  const item = String(i + 1);
  const dependency = { kind: 'item' as const, typeId: 3, item };
  const key = cache.entryKey(1, cacheKey({ tenant, principal, typesGeneration: 1, operationId: 'getItem', typeId: 3, target: item, query: '', body: '' }));
  const looked = await cache.lookup(key, cache.generationsFor(1, 7, dependency));
  if (looked.hit) throw new Error('a hit');
  const flight = cache.coalesce(`${key}\u0000${looked.tokens.join(',')}`, async () => {
    const text = body.replace('Project 1', `Project ${item}`);
    const fresh = cache.answerOf(text, 'application/json; charset=utf-8', etagOf(text), 1, 3, looked.tokens);
    await cache.put(key, fresh, dependency, 300);
    return fresh;
  });
  await flight.answer;
}

async function baseline(i: number): Promise<void> {
  const text = body.replace('Project 1', `Project ${i + 1}`);
  etagOf(text);
}

for (const [name, fn] of [['the rest (body, ETag)', baseline], ['cache miss (key, lookup, stamp, ETag, put)', miss]] as const) {
  for (let i = 0; i < 20_000; i++) await fn(n + i); // warm-up
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn(i);
  const wall = Number(process.hrtime.bigint() - start) / 1000 / n;
  const used = process.cpuUsage(cpu);
  console.log(`${name}: ${wall.toFixed(2)} µs wall, ${((used.user + used.system) / n).toFixed(2)} µs CPU per call`);
}
