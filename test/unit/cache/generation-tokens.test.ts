// Generation tokens are a per-process random prefix and a counter (no random bytes per bump):
// what keeps that safe is that a token never repeats one made before, in this process or another,
// and that an evicted generation comes back as a new token, never as an old one.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { MemoryCacheStore, newToken } from '../../../src/cache/cache-store.ts';
import { ResponseCache } from '../../../src/cache/response-cache.ts';

describe('generation tokens', () => {
  it('never repeats a token within a process', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(newToken());
    expect(seen.size).to.equal(100_000);
  });

  it('gives another process tokens that share none of this one\'s', () => {
    const script = "import('./src/cache/cache-store.ts').then((m) => console.log(JSON.stringify(Array.from({ length: 1000 }, () => m.newToken()))))";
    const other = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' })) as string[];
    const mine = new Set(Array.from({ length: 1000 }, () => newToken()));
    expect(other).to.have.length(1000);
    expect(other.filter((t) => mine.has(t))).to.deep.equal([]);
  });

  it('stamps an answer with tokens that a bump replaces, and the entry stops answering', async () => {
    const cache = new ResponseCache(new MemoryCacheStore(1024 * 1024), { prefix: '', maxEntryBytes: 1024, itemTtlMs: 60_000, timeoutMs: 1000 }, pino({ level: 'silent' }));
    const dependency = { kind: 'item' as const, typeId: 3, item: '5' };
    const generations = cache.generationsFor(1, 7, dependency);
    const key = cache.entryKey(1, 'k');
    const { tokens } = await cache.lookup(key, generations);
    expect(new Set(tokens).size).to.equal(tokens.length);
    expect(await cache.put(key, cache.answerOf('{"a":1}', 'application/json', '"e"', 1, 3, tokens), dependency, 300)).to.equal(true);
    expect((await cache.lookup(key, generations)).hit?.body).to.equal('{"a":1}');
    await cache.bump(cache.itemGenerations(1, 3, { id: 5, uuid: '00000000-0000-4000-8000-000000000005' }));
    const after = await cache.lookup(key, generations);
    expect(after.hit).to.equal(null);
    expect(after.tokens[3]).to.not.equal(tokens[3]);
    expect(after.tokens.slice(0, 3)).to.deep.equal(tokens.slice(0, 3));
  });
});
