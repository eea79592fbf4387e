// The response cache across real server processes (issue 8 "What it must show"): two
// processes on one PostgreSQL database and one Redis — a write through one is seen by the next
// read through the other, both give the same ETag for the same bytes, a purge on one empties
// the other — and a private Redis stopped (and restarted, empty or with its data) mid-test:
// answers stay correct and uncached while it is gone, caching resumes once it is back, and a
// write made meanwhile is never undone by what Redis reloads.
// Needs DATABASE_URL=postgresql://… and REDIS_URL; skipped (with the reason printed) otherwise.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, usingPostgres, usingRedis, type TestDatabase } from '../helpers/database.ts';
import {
  redisCommand,
  sleep,
  startRedis,
  startServerProcess,
  stopAllProcesses,
  type Env,
  type PrivateRedis,
  type ServerProcess,
} from '../helpers/process.ts';
import type { ApiResponse } from '../helpers/server.ts';
import { expectCached, expectNotModified } from '../helpers/response-cache.ts';
import { ADMIN, adminKeyFrom, aUserWithKey } from '../helpers/process-users.ts';

const tag = () => randomBytes(4).toString('hex');
const col = (collection: string, rest = '') => `/api/v1/collection/${collection}${rest}`;

async function aCountedType(on: ServerProcess, adminKey: string) {
  const systemName = `cached_${tag()}`;
  const type = await on.request('POST', '/api/v1/admin/types', {
    key: adminKey,
    body: { systemName, properties: [{ systemName: 'title', kind: 'string', required: true }, { systemName: 'count', kind: 'integer' }] },
  });
  expect(type.status, type.text).to.equal(201);
  return { id: type.body.id as number, systemName };
}

async function anItemOn(on: ServerProcess, key: string, type: string, body: Record<string, unknown>) {
  const created = await on.request('POST', col(type), { key, body });
  expect(created.status, created.text).to.equal(201);
  return created.body as { id: number; uuid: string; count: number };
}

/** GET until X-Cache is HIT twice in a row (bounded); returns the last answer. */
async function warmOn(server: ServerProcess, path: string, key: string, timeoutMs = 10_000): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse;
  for (;;) {
    last = await server.request('GET', path, { key });
    expectCached(last);
    if (last.headers['x-cache'] === 'HIT') return last;
    if (Date.now() > deadline) throw new Error(`${server.name} ${path}: no HIT within ${timeoutMs} ms (last ${last.headers['x-cache']})`);
    await sleep(50);
  }
}

describe('the response cache across server processes (PostgreSQL + Redis)', function () {
  // Server start-ups (tsx, migrations) take several seconds each, longer on a loaded machine.
  this.timeout(180_000);
  let db: TestDatabase | undefined;
  let baseEnv: Env;

  before(async function () {
    if (!usingPostgres() || !usingRedis()) {
      console.log('      skipped: runs in the PostgreSQL + Redis pass (DATABASE_URL=postgresql://… and REDIS_URL): two processes share a cache only through Redis');
      this.skip();
    }
    db = await createTestDatabase();
    baseEnv = { DATABASE_URL: db.url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn', KEY_RATE_LIMIT_PER_MINUTE: '0' };
  });
  after(async () => {
    await stopAllProcesses();
    await db?.drop();
  });

  describe('two processes sharing one Redis', () => {
    let p: ServerProcess;
    let q: ServerProcess;
    let adminKey: string;

    before(async () => {
      const env = { ...baseEnv, REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `jt-cache-e2e-${tag()}` };
      p = await startServerProcess(env, { name: 'P' }); // migrates and bootstraps first
      q = await startServerProcess(env, { name: 'Q' });
      adminKey = await adminKeyFrom(p);
    });
    after(async () => {
      await Promise.all([p, q].map((s) => s?.stop('SIGTERM', 15_000).catch(() => s.kill())));
    });

    it('a write through one is seen by the next read through the other (get one, by UUID, get-by, list), and both give the same ETag for the same bytes', async () => {
      const type = await aCountedType(p, adminKey);
      const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
      const item = await anItemOn(p, user.key, type.systemName, { title: 'shared', count: 1 });
      const paths = [col(type.systemName, `/${item.id}`), col(type.systemName, `/${item.uuid}`), col(type.systemName, '/get-by/title/shared'), col(type.systemName, '?orderBy=id')];
      const countOf = (res: ApiResponse) => (res.body.data ? res.body.data[0].count : res.body.count);

      for (const [writer, reader, count] of [[p, q, 2], [q, p, 3], [p, q, 4]] as const) {
        const before = new Map<string, ApiResponse>();
        for (const target of paths) {
          const onReader = await warmOn(reader, target, user.key);
          const onWriter = await writer.request('GET', target, { key: user.key });
          expectCached(onWriter);
          expect(onWriter.text, `${target}: both processes answer the same bytes`).to.equal(onReader.text);
          expect(onWriter.headers.etag, `${target}: the same bytes, the same ETag on ${writer.name} and ${reader.name}`).to.equal(onReader.headers.etag);
          before.set(target, onReader);
        }
        const patched = await writer.request('PATCH', col(type.systemName, `/${item.id}`), { key: user.key, body: { count } });
        expect(patched.status, patched.text).to.equal(200);
        for (const target of paths) {
          const after = await reader.request('GET', target, { key: user.key });
          expectCached(after, ['MISS', 'BYPASS']);
          expect(countOf(after), `${reader.name} ${target} right after the PATCH on ${writer.name}`).to.equal(count);
          expect(after.headers.etag).to.not.equal(before.get(target)!.headers.etag);
          const onWriter = await writer.request('GET', target, { key: user.key });
          expect(onWriter.headers.etag, `${target}: the new ETag agrees across processes`).to.equal(after.headers.etag);
          // The tag one process gave revalidates on the other.
          expectNotModified(await writer.request('GET', target, { key: user.key, headers: { 'if-none-match': after.headers.etag } }), after);
          const old = await writer.request('GET', target, { key: user.key, headers: { 'if-none-match': before.get(target)!.headers.etag } });
          expect(old.status, `${target}: the outdated tag → 200`).to.equal(200);
        }
      }

      // A delete through one: 404 on the other at once.
      await warmOn(q, paths[0], user.key);
      expect((await p.request('DELETE', paths[0], { key: user.key })).status).to.equal(204);
      for (const target of paths.slice(0, 3)) {
        const gone = await q.request('GET', target, { key: user.key });
        expect(gone.status, `${target} on Q after the DELETE on P`).to.equal(404);
      }
      expect((await q.request('GET', paths[3], { key: user.key })).status, 'the emptied list').to.equal(204);
    });

    it('200 rounds of PATCH through one process and GET through the other (with readers on both) never read a value older than the last answered write', async () => {
      const type = await aCountedType(p, adminKey);
      const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
      const item = await anItemOn(p, user.key, type.systemName, { title: 'raced', count: 0 });
      const reads = [col(type.systemName, `/${item.id}`), col(type.systemName, `/${item.uuid}`), col(type.systemName, '?orderBy=id')];
      const countIn = (res: ApiResponse) => (res.body.data ? res.body.data[0].count : res.body.count);
      let committed = 0;
      let running = true;
      const stale: string[] = [];
      const outcomes = new Map<string, number>();
      const check = (res: ApiResponse, floor: number, what: string) => {
        outcomes.set(String(res.headers['x-cache']), (outcomes.get(String(res.headers['x-cache'])) ?? 0) + 1);
        if (res.status !== 200) stale.push(`${what}: ${res.status}`);
        else if (countIn(res) < floor) stale.push(`${what}: ${countIn(res)} after the write of ${floor} answered (X-Cache ${res.headers['x-cache']})`);
      };
      const reader = async (n: number) => {
        for (let i = 0; running; i++) {
          const server = (n + i) % 2 ? p : q;
          const target = reads[(n + i) % reads.length];
          const floor = committed;
          check(await server.request('GET', target, { key: user.key }), floor, `reader ${n} on ${server.name} ${target}`);
        }
      };
      const readers = [reader(0), reader(1)];
      try {
        for (let round = 1; round <= 200; round++) {
          const [writer, other] = round % 2 ? [p, q] : [q, p];
          const patched = await writer.request('PATCH', reads[0], { key: user.key, body: { count: round } });
          expect(patched.status, patched.text).to.equal(200);
          committed = round;
          check(await other.request('GET', reads[round % reads.length], { key: user.key }), round, `round ${round} on ${other.name}`);
        }
      } finally {
        running = false;
        await Promise.all(readers);
      }
      expect(stale.slice(0, 10), `${stale.length} stale reads; outcomes ${JSON.stringify([...outcomes])}`).to.deep.equal([]);
      expect(outcomes.get('HIT') ?? 0, `some reads were hits: ${JSON.stringify([...outcomes])}`).to.be.greaterThan(0);
    });

    it("a grant withdrawn and a type changed through one are seen on the other's next request", async () => {
      const type = await aCountedType(p, adminKey);
      const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
      const item = await anItemOn(p, user.key, type.systemName, { title: 'granted', count: 1 });
      const one = col(type.systemName, `/${item.id}`);
      const before = await warmOn(q, one, user.key);
      const added = await p.request('POST', `/api/v1/admin/types/${type.id}/properties`, { key: adminKey, body: { systemName: 'extra', kind: 'string' } });
      expect(added.status, added.text).to.equal(201);
      const changed = await q.request('GET', one, { key: user.key });
      expectCached(changed, ['MISS', 'BYPASS']);
      expect(changed.body).to.have.property('extra');
      expect(changed.headers.etag).to.not.equal(before.headers.etag);
      await warmOn(q, one, user.key);
      await warmOn(q, col(type.systemName), user.key);
      const withdrawn = await p.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { key: adminKey, body: { typePermissions: [{ typeId: type.id, create: true }] } });
      expect(withdrawn.status, withdrawn.text).to.equal(200);
      for (const target of [one, col(type.systemName)]) {
        const refused = await q.request('GET', target, { key: user.key });
        expect(refused.status, `${target} on Q once P withdrew the grant`).to.be.oneOf([403, 404]);
      }
    });

    it('POST /app/cache.purge {scope: tenant} on one makes the next request on the other a MISS', async () => {
      const type = await aCountedType(p, adminKey);
      const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
      const item = await anItemOn(p, user.key, type.systemName, { title: 'purged', count: 1 });
      const targets = [col(type.systemName, `/${item.id}`), col(type.systemName, '?orderBy=id'), col(type.systemName, '/get-by/title/purged')];
      for (const target of targets) await warmOn(q, target, user.key);
      const purged = await p.request('POST', '/api/v1/app/cache.purge', { key: adminKey, body: { scope: 'tenant' } });
      expect(purged.status, purged.text).to.equal(200);
      expect(purged.body.scope).to.equal('tenant');
      for (const target of targets) {
        const next = await q.request('GET', target, { key: user.key });
        expectCached(next, 'MISS');
        expectCached(await q.request('GET', target, { key: user.key }), 'HIT');
      }
    });

    it('POST /app/cache.purge {scope: type} and {scope: user} on one purge only that type or user on the other', async () => {
      const purgedType = await aCountedType(p, adminKey);
      const keptType = await aCountedType(p, adminKey);
      const user = await aUserWithKey(p, adminKey, ['useApi'], [purgedType.id, keptType.id]);
      const other = await aUserWithKey(p, adminKey, ['useApi'], [purgedType.id, keptType.id]);
      const a = await anItemOn(p, user.key, purgedType.systemName, { title: 'a', count: 1 });
      const b = await anItemOn(p, user.key, keptType.systemName, { title: 'b', count: 1 });
      const inPurged = col(purgedType.systemName, `/${a.id}`);
      const inKept = col(keptType.systemName, `/${b.id}`);
      for (const key of [user.key, other.key]) for (const target of [inPurged, inKept]) await warmOn(q, target, key);

      const byType = await p.request('POST', '/api/v1/app/cache.purge', { key: adminKey, body: { scope: 'type', type: purgedType.systemName } });
      expect(byType.status, byType.text).to.equal(200);
      expect(byType.body).to.include({ scope: 'type', typeId: purgedType.id });
      expectCached(await q.request('GET', inPurged, { key: user.key }), 'MISS');
      expectCached(await q.request('GET', inKept, { key: user.key }), 'HIT');

      for (const key of [user.key, other.key]) for (const target of [inPurged, inKept]) await warmOn(q, target, key);
      const byUser = await p.request('POST', '/api/v1/app/cache.purge', { key: adminKey, body: { scope: 'user', user: user.id } });
      expect(byUser.status, byUser.text).to.equal(200);
      expect(byUser.body).to.include({ scope: 'user', userId: user.id });
      expectCached(await q.request('GET', inKept, { key: user.key }), 'MISS');
      expectCached(await q.request('GET', inKept, { key: other.key }), 'HIT');
    });
  });

  describe('a private Redis stopped mid-test', () => {
    let redis: PrivateRedis | undefined;
    let redisDir: string | undefined;

    after(async () => {
      await stopAllProcesses();
      await redis?.process.kill();
      if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    });

    it('answers stay correct and uncached (BYPASS or MISS, never stale) while Redis is gone, writes are seen, and caching resumes once it is back', async () => {
      redis = await startRedis();
      const env = { ...baseEnv, REDIS_URL: redis.url, REDIS_PREFIX: `jt-cache-down-${tag()}` };
      const p = await startServerProcess(env, { name: 'P-down' });
      const q = await startServerProcess(env, { name: 'Q-down' });
      try {
        const adminKey = await adminKeyFrom(p);
        const type = await aCountedType(p, adminKey);
        const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
        const item = await anItemOn(p, user.key, type.systemName, { title: 'down', count: 1 });
        const one = col(type.systemName, `/${item.id}`);
        const list = col(type.systemName, '?orderBy=id');
        for (const s of [p, q]) {
          await warmOn(s, one, user.key);
          await warmOn(s, list, user.key);
        }

        await redis.process.kill();
        const outcomes: string[] = [];
        const readAll = async (count: number, when: string) => {
          for (const s of [p, q]) {
            for (const target of [one, list]) {
              const res = await s.request('GET', target, { key: user.key });
              expectCached(res, ['BYPASS', 'MISS']);
              outcomes.push(res.headers['x-cache']);
              const seen = res.body.data ? res.body.data[0].count : res.body.count;
              expect(seen, `${when}: ${s.name} ${target}`).to.equal(count);
            }
          }
        };
        for (let i = 0; i < 3; i++) await readAll(1, 'Redis down, before any write');
        const patched = await p.request('PATCH', one, { key: user.key, body: { count: 2 } });
        expect(patched.status, `a write while Redis is down: ${patched.text}`).to.equal(200);
        for (let i = 0; i < 3; i++) await readAll(2, 'Redis down, after a write through P');

        redis = await startRedis({ port: redis.port });
        for (const s of [p, q]) {
          const back = await warmOn(s, one, user.key, 20_000);
          expect(back.body.count, `${s.name}: the cached answer once Redis is back`).to.equal(2);
        }
        // Invalidation works again across the two processes.
        const again = await q.request('PATCH', one, { key: user.key, body: { count: 3 } });
        expect(again.status, again.text).to.equal(200);
        const seen = await p.request('GET', one, { key: user.key });
        expectCached(seen, ['MISS', 'BYPASS']);
        expect(seen.body.count).to.equal(3);
      } finally {
        await Promise.all([p, q].map((s) => s.stop('SIGTERM', 15_000).catch(() => s.kill())));
      }
    });

    it('a Redis that stops answering (SIGSTOP) is a miss within a bound: answers stay correct and uncached, and caching resumes after SIGCONT', async () => {
      redis = await startRedis();
      const stalled = redis;
      const env = { ...baseEnv, REDIS_URL: redis.url, REDIS_PREFIX: `jt-cache-stall-${tag()}` };
      const p = await startServerProcess(env, { name: 'P-stall' });
      const q = await startServerProcess(env, { name: 'Q-stall' });
      let stopped = false;
      try {
        const adminKey = await adminKeyFrom(p);
        const type = await aCountedType(p, adminKey);
        const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
        const item = await anItemOn(p, user.key, type.systemName, { title: 'stalled', count: 1 });
        const one = col(type.systemName, `/${item.id}`);
        for (const s of [p, q]) await warmOn(s, one, user.key);

        process.kill(stalled.process.pid!, 'SIGSTOP');
        stopped = true;
        const problems: string[] = [];
        for (let i = 0; i < 2; i++) {
          for (const s of [p, q]) {
            // The uncached authenticated command tells whether a stall is the cache's or the shared identity state's.
            for (const target of [one, '/api/v1/app/backend.version']) {
              const started = Date.now();
              try {
                const res = await s.request('GET', target, { key: user.key, timeoutMs: 6_000 });
                const took = Date.now() - started;
                // Generous for a loaded 2-core machine; the store's own bound is CACHE_STORE_TIMEOUT_MS (50 ms).
                if (took > 3_000) problems.push(`${s.name} ${target}: ${took} ms`);
                if (target === one) {
                  expectCached(res, ['BYPASS', 'MISS']);
                  expect(res.body.count, `${s.name} while Redis is stopped`).to.equal(1);
                }
              } catch (error) {
                problems.push(`${s.name} ${target}: ${(error as Error).message} (Redis stopped)`);
              }
            }
          }
        }
        expect(problems, 'a stalled Redis does not stall the answers').to.deep.equal([]);

        process.kill(stalled.process.pid!, 'SIGCONT');
        stopped = false;
        for (const s of [p, q]) {
          const back = await warmOn(s, one, user.key, 20_000);
          expect(back.body.count).to.equal(1);
        }
        const patched = await p.request('PATCH', one, { key: user.key, body: { count: 2 } });
        expect(patched.status, patched.text).to.equal(200);
        expect((await q.request('GET', one, { key: user.key })).body.count).to.equal(2);
      } finally {
        if (stopped) process.kill(stalled.process.pid!, 'SIGCONT');
        await Promise.all([p, q].map((s) => s.stop('SIGTERM', 15_000).catch(() => s.kill())));
        await stalled.process.kill();
      }
    });

    it('a write made while Redis was down is not undone by the entries Redis reloads from its dump when it comes back', async () => {
      redisDir = mkdtempSync(path.join(tmpdir(), 'jt-cache-redis-'));
      redis = await startRedis({ dir: redisDir });
      const env = { ...baseEnv, REDIS_URL: redis.url, REDIS_PREFIX: `jt-cache-reload-${tag()}` };
      const p = await startServerProcess(env, { name: 'P-reload' });
      const q = await startServerProcess(env, { name: 'Q-reload' });
      try {
        const adminKey = await adminKeyFrom(p);
        const type = await aCountedType(p, adminKey);
        const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
        const item = await anItemOn(p, user.key, type.systemName, { title: 'reloaded', count: 1 });
        const targets = [col(type.systemName, `/${item.id}`), col(type.systemName, `/${item.uuid}`), col(type.systemName, '/get-by/title/reloaded'), col(type.systemName, '?orderBy=id')];
        for (const s of [p, q]) for (const target of targets) await warmOn(s, target, user.key);

        // Redis writes its data (the entries of count 1 and the generations they were stamped with) and exits.
        await redisCommand(redis.port, ['SHUTDOWN', 'SAVE']).catch(() => '');
        expect(await redis.process.waitForExit(10_000), 'redis-server exited after SHUTDOWN SAVE').to.not.equal(null);
        const patched = await p.request('PATCH', targets[0], { key: user.key, body: { count: 2 } });
        expect(patched.status, `a write while Redis is down: ${patched.text}`).to.equal(200);

        redis = await startRedis({ port: redis.port, dir: redisDir });
        const keys = await redisCommand(redis.port, ['DBSIZE']);
        expect(keys, 'Redis reloaded its dump').to.match(/^:[1-9]/);
        // For a while after Redis is back (reconnects included), every read shows the write.
        const problems: string[] = [];
        const outcomes = new Map<string, number>();
        const until = Date.now() + 8_000;
        while (Date.now() < until) {
          for (const s of [p, q]) {
            for (const target of targets) {
              const res = await s.request('GET', target, { key: user.key });
              outcomes.set(String(res.headers['x-cache']), (outcomes.get(String(res.headers['x-cache'])) ?? 0) + 1);
              const seen = res.status === 200 ? (res.body.data ? res.body.data[0].count : res.body.count) : `status ${res.status}`;
              if (seen !== 2) problems.push(`${s.name} ${target}: ${seen} (X-Cache ${res.headers['x-cache']})`);
            }
          }
          await sleep(200);
        }
        expect(problems.slice(0, 10), `${problems.length} stale reads after Redis came back with its old data; outcomes ${JSON.stringify([...outcomes])}`).to.deep.equal([]);
        expect(outcomes.get('HIT') ?? 0, `caching resumed: ${JSON.stringify([...outcomes])}`).to.be.greaterThan(0);
      } finally {
        await Promise.all([p, q].map((s) => s.stop('SIGTERM', 15_000).catch(() => s.kill())));
      }
    });

    it('nor when the process that made the write died before Redis came back (its unsent invalidations die with it)', async () => {
      redisDir ??= mkdtempSync(path.join(tmpdir(), 'jt-cache-redis-'));
      const dir = mkdtempSync(path.join(redisDir, 'died-'));
      redis = await startRedis({ dir });
      const env = { ...baseEnv, REDIS_URL: redis.url, REDIS_PREFIX: `jt-cache-died-${tag()}` };
      const p = await startServerProcess(env, { name: 'P-died' });
      const q = await startServerProcess(env, { name: 'Q-died' });
      try {
        const adminKey = await adminKeyFrom(p);
        const type = await aCountedType(p, adminKey);
        const user = await aUserWithKey(p, adminKey, ['useApi'], [type.id]);
        const item = await anItemOn(p, user.key, type.systemName, { title: 'orphaned', count: 1 });
        const targets = [col(type.systemName, `/${item.id}`), col(type.systemName, '?orderBy=id')];
        for (const target of targets) await warmOn(q, target, user.key);

        await redisCommand(redis.port, ['SHUTDOWN', 'SAVE']).catch(() => '');
        expect(await redis.process.waitForExit(10_000), 'redis-server exited after SHUTDOWN SAVE').to.not.equal(null);
        const patched = await p.request('PATCH', targets[0], { key: user.key, body: { count: 2 } });
        expect(patched.status, `a write while Redis is down: ${patched.text}`).to.equal(200);
        await p.kill(); // dies with whatever it kept to resend

        redis = await startRedis({ port: redis.port, dir });
        const problems: string[] = [];
        const until = Date.now() + 6_000;
        while (Date.now() < until) {
          for (const target of targets) {
            const res = await q.request('GET', target, { key: user.key });
            const seen = res.status === 200 ? (res.body.data ? res.body.data[0].count : res.body.count) : `status ${res.status}`;
            if (seen !== 2) problems.push(`${q.name} ${target}: ${seen} (X-Cache ${res.headers['x-cache']})`);
          }
          await sleep(250);
        }
        expect(problems.slice(0, 6), `${problems.length} stale reads on Q after Redis came back with its dump`).to.deep.equal([]);
      } finally {
        await Promise.all([p, q].map((s) => s.stop('SIGTERM', 15_000).catch(() => s.kill())));
      }
    });
  });
});
