// Several real server processes on one PostgreSQL database and one Redis: what one process
// changes (revocation, deactivation, permissions, rate-limit budget) holds on the next request
// on the others, and what happens when Redis is missing or goes away.
// Needs DATABASE_URL=postgresql://… and REDIS_URL (scripts/ci/services.sh start && eval "$(… env)").
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, usingPostgres, usingRedis, type TestDatabase } from '../helpers/database.ts';
import {
  freePort,
  rawStatus,
  redisCommand,
  sleep,
  spawnServer,
  startRedis,
  startServerProcess,
  stopAllProcesses,
  type Env,
  type PrivateRedis,
  type ServerProcess,
} from '../helpers/process.ts';
import { ADMIN, adminKeyFrom, aUserWithKey } from '../helpers/process-users.ts';


/** Several authenticated requests, so the process has the key's principal memoized. */
async function warm(servers: ServerProcess[], key: string, times = 3) {
  for (const server of servers) {
    for (let i = 0; i < times; i++) {
      const res = await server.request('GET', '/api/v1/app/user.current', { key });
      expect(res.status, `${server.name}: ${res.text}`).to.equal(200);
    }
  }
}

/** Polls GET /readyz until it answers `status` (bounded). */
async function waitForReadiness(server: ServerProcess, status: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = await rawStatus(`${server.url}/readyz`, 2_000).catch(() => 0);
    if (last === status) return;
    await sleep(100);
  }
  throw new Error(`${server.name}: /readyz still ${last}, not ${status}, after ${timeoutMs} ms\n${server.describe()}`);
}

const newPrefix = () => `jt-e2e-${randomBytes(4).toString('hex')}`;

describe('several server processes sharing PostgreSQL and Redis', function () {
  this.timeout(90_000);
  let db: TestDatabase | undefined;
  let baseEnv: Env;

  before(async function () {
    if (!usingPostgres() || !usingRedis()) {
      console.log(
        '      skipped: needs DATABASE_URL=postgresql://… and REDIS_URL — run `bash scripts/ci/services.sh start && eval "$(bash scripts/ci/services.sh env)"` first',
      );
      this.skip();
    }
    db = await createTestDatabase();
    baseEnv = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'info' };
  });

  after(async () => {
    await stopAllProcesses();
    await db?.drop();
  });

  describe('identity changes made on A hold on B on the very next request', () => {
    let a: ServerProcess;
    let b: ServerProcess;
    let adminKey: string;

    before(async () => {
      const env = { ...baseEnv, REDIS_PREFIX: newPrefix() };
      a = await startServerProcess(env, { name: 'A' }); // migrates and bootstraps first
      b = await startServerProcess(env, { name: 'B' });
      adminKey = await adminKeyFrom(a);
    });
    after(async () => {
      await Promise.all([a, b].map((p) => p?.stop('SIGTERM', 15_000).catch(() => p.kill())));
    });

    it('a key created on A works on B', async () => {
      const user = await aUserWithKey(a, adminKey, ['useApi', 'profile']);
      const res = await b.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ id: user.id, login: user.login });
    });

    it('POST /deauth on A → the next request with that key on B answers 403 API_KEY_INVALID', async () => {
      const user = await aUserWithKey(a, adminKey, ['useApi', 'profile']);
      await warm([a, b], user.key);
      const revoked = await a.request('POST', '/api/v1/deauth', { body: { key: user.key } });
      expect(revoked.status, revoked.text).to.equal(200);
      const onB = await b.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onB.status, onB.text).to.equal(403);
      expect(onB.body.code).to.equal('API_KEY_INVALID');
      const onA = await a.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onA.body.code).to.equal('API_KEY_INVALID');
    });

    it('deactivating a user on A → the next request with their key on B answers 403 USER_INACTIVE', async () => {
      const user = await aUserWithKey(a, adminKey, ['useApi', 'profile']);
      await warm([a, b], user.key);
      const patched = await a.request('PATCH', `/api/v1/admin/users/${user.id}`, { key: adminKey, body: { active: false } });
      expect(patched.status, patched.text).to.equal(200);
      expect(patched.body.active).to.equal(false);
      const onB = await b.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onB.status, onB.text).to.equal(403);
      expect(onB.body.code).to.equal('USER_INACTIVE');
    });

    it('a role losing `profile` on A → the next GET /app/user.current on B answers 403; regaining it on B → 200 on A', async () => {
      const user = await aUserWithKey(a, adminKey, ['useApi', 'profile']);
      await warm([a, b], user.key);
      const lost = await a.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { key: adminKey, body: { permissions: ['useApi'] } });
      expect(lost.status, lost.text).to.equal(200);
      const onB = await b.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onB.status, onB.text).to.equal(403);
      expect(onB.body.code).to.equal('PERMISSION_DENIED');
      const stillUsesApi = await b.request('GET', '/api/v1/app/backend.version', { key: user.key });
      expect(stillUsesApi.status, 'useApi is kept').to.equal(200);

      const deniedOnA = await a.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(deniedOnA.status).to.equal(403);
      const regained = await b.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { key: adminKey, body: { permissions: ['useApi', 'profile'] } });
      expect(regained.status, regained.text).to.equal(200);
      const onA = await a.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onA.status, onA.text).to.equal(200);
    });
  });

  describe('files: processes sharing one FILES_DIR', () => {
    let a: ServerProcess;
    let b: ServerProcess;
    let adminKey: string;
    let filesDir: string;

    before(async () => {
      filesDir = mkdtempSync(path.join(tmpdir(), 'jt-e2e-files-'));
      const env = { ...baseEnv, REDIS_PREFIX: newPrefix(), FILES_DIR: filesDir };
      a = await startServerProcess(env, { name: 'A' });
      b = await startServerProcess(env, { name: 'B' });
      adminKey = await adminKeyFrom(a);
    });
    after(async () => {
      await Promise.all([a, b].map((p) => p?.stop('SIGTERM', 15_000).catch(() => p.kill())));
      rmSync(filesDir, { recursive: true, force: true });
    });

    it('a file uploaded on A binds on B, downloads from A, and leaves storage when B deletes the item', async () => {
      const type = await a.request('POST', '/api/v1/admin/types', { key: adminKey, body: { systemName: `docs_${randomBytes(3).toString('hex')}`, properties: [{ systemName: 'f', kind: 'file' }] } });
      expect(type.status, type.text).to.equal(201);
      const role = await a.request('POST', '/api/v1/admin/roles', {
        key: adminKey,
        body: { name: `files-${randomBytes(3).toString('hex')}`, permissions: ['useApi'], typePermissions: [{ typeId: type.body.id, show: true, create: true, edit: true, delete: true }] },
      });
      const login = `files-${randomBytes(3).toString('hex')}@example.com`;
      await a.request('POST', '/api/v1/admin/users', { key: adminKey, body: { login, name: 'Files', password: 'files-password-1', roles: [role.body.id] } });
      const key = (await a.request('POST', '/api/v1/auth', { body: { user: login, password: 'files-password-1' } })).body.authToken.keyString as string;

      const boundary = `----e2e${randomBytes(6).toString('hex')}`;
      const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="shared.txt"\r\nContent-Type: text/plain\r\n\r\nshared bytes\r\n--${boundary}--\r\n`;
      const upload = await a.request('POST', `/api/v1/upload/${type.body.systemName}/f`, { key, body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
      expect(upload.status, upload.text).to.equal(200);

      const item = await b.request('POST', `/api/v1/collection/${type.body.systemName}`, { key, body: { f: upload.body[0] } });
      expect(item.status, item.text).to.equal(201);
      const got = await a.request('GET', item.body.f.url, { key });
      expect(got.status, got.text).to.equal(200);
      expect(got.text).to.equal('shared bytes');

      expect((await b.request('DELETE', `/api/v1/collection/${type.body.systemName}/${item.body.id}`, { key })).status).to.equal(204);
      expect((await a.request('GET', item.body.f.url, { key })).status).to.equal(404);
      const left = readdirSync(filesDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(left.map((e) => e.name)).to.deep.equal([]);
    });
  });

  describe('the per-IP limit on POST /auth is one budget across processes', () => {
    let c: ServerProcess;
    let d: ServerProcess;

    before(async () => {
      const env = { ...baseEnv, REDIS_PREFIX: newPrefix(), AUTH_RATE_LIMIT_PER_IP: '4' };
      c = await startServerProcess(env, { name: 'C' });
      d = await startServerProcess(env, { name: 'D' });
    });
    after(async () => {
      await Promise.all([c, d].map((p) => p?.stop('SIGTERM', 15_000).catch(() => p.kill())));
    });

    it('with AUTH_RATE_LIMIT_PER_IP=4: 2 on C and 2 on D pass (200 or 401), the 5th on either → 429 with Retry-After', async () => {
      const good = { user: ADMIN.email, password: ADMIN.password };
      const bad = { user: ADMIN.email, password: 'wrong-password' };
      const firstFour = [
        await c.request('POST', '/api/v1/auth', { body: good }),
        await c.request('POST', '/api/v1/auth', { body: bad }),
        await d.request('POST', '/api/v1/auth', { body: good }),
        await d.request('POST', '/api/v1/auth', { body: bad }),
      ];
      expect(firstFour.map((r) => r.status)).to.deep.equal([200, 401, 200, 401]);
      for (const [server, name] of [[c, 'C'], [d, 'D']] as const) {
        const limited = await server.request('POST', '/api/v1/auth', { body: good });
        expect(limited.status, `${name}: ${limited.text}`).to.equal(429);
        expect(limited.body.code).to.equal('RATE_LIMITED');
        const retryAfter = Number(limited.headers['retry-after']);
        expect(retryAfter, `Retry-After on ${name}`).to.be.within(1, 60);
      }
    });
  });

  describe('without Redis', () => {
    it('at start-up with nothing listening at REDIS_URL: either serves (memos bypassed) or exits with a clear error, within 15 s', async () => {
      const deadPort = await freePort();
      const port = await freePort();
      const p = spawnServer({ ...baseEnv, REDIS_URL: `redis://127.0.0.1:${deadPort}`, REDIS_PREFIX: newPrefix(), HOST: '127.0.0.1', PORT: String(port) }, 'no-redis');
      try {
        const deadline = Date.now() + 15_000;
        let outcome: 'serving' | 'exited' | 'neither' = 'neither';
        while (Date.now() < deadline) {
          if (!p.running) {
            outcome = 'exited';
            break;
          }
          if ((await rawStatus(`http://127.0.0.1:${port}/healthz`, 1_000).catch(() => 0)) === 200) {
            outcome = 'serving';
            break;
          }
          await sleep(200);
        }
        if (outcome === 'exited') {
          const exit = await p.exited;
          expect(exit.code, p.describe()).to.not.equal(0);
          expect(`${p.stdout}\n${p.stderr}`, 'names Redis and where it was looked for').to.match(/redis/i).and.include(String(deadPort));
          return;
        }
        expect(outcome, `the process neither listens nor exits: it hangs at start-up\n${p.describe()}`).to.equal('serving');
        const ready = await rawStatus(`http://127.0.0.1:${port}/readyz`);
        expect(ready, '/readyz while Redis is down').to.equal(503);
      } finally {
        await p.kill();
      }
    });
  });

  describe('when Redis goes away mid-run (a private redis-server)', () => {
    let redis: PrivateRedis;
    let redisDir: string;
    let p: ServerProcess;
    let q: ServerProcess;
    let prefix: string;
    let adminKey: string;

    /** A private Redis (persisting into `redisDir` on SHUTDOWN SAVE) and two processes P and Q on it. */
    beforeEach(async () => {
      redisDir = mkdtempSync(path.join(tmpdir(), 'jetstack-e2e-redis-'));
      redis = await startRedis({ dir: redisDir });
      prefix = newPrefix();
      const env = { ...baseEnv, REDIS_URL: redis.url, REDIS_PREFIX: prefix };
      p = await startServerProcess(env, { name: 'P' });
      q = await startServerProcess(env, { name: 'Q' });
      adminKey = await adminKeyFrom(p);
    });
    afterEach(async () => {
      await Promise.all([p, q].map((s) => s?.kill()));
      await redis?.process.kill();
      rmSync(redisDir, { recursive: true, force: true });
    });

    /** The root tenant's identity generation (its users, roles, keys). */
    const identityGeneration = async () => {
      const reply = await redisCommand(redis.port, ['GET', `${prefix}:gen:identity:1`]);
      const match = /^\$\d+\r\n(\d+)\r\n$/.exec(reply);
      return match ? Number(match[1]) : 0;
    };

    it('keeps answering authenticated requests (200, not 500), POST /auth still works, and /readyz says 503', async () => {
      const user = await aUserWithKey(p, adminKey, ['useApi', 'profile']);
      await warm([p, q], user.key);
      await redis.process.kill();
      for (const server of [p, q]) {
        for (let i = 0; i < 3; i++) {
          const res = await server.request('GET', '/api/v1/app/user.current', { key: user.key });
          expect(res.status, `${server.name}: ${res.text}`).to.equal(200);
        }
      }
      const auth = await p.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password } });
      expect(auth.status, auth.text).to.equal(200);
      const readyz = await p.request('GET', '/readyz');
      expect(readyz.status).to.equal(503);
      expect(readyz.body.checks).to.include({ redis: false, database: true });
      expect(p.stdout).to.include('redis unavailable');
    });

    it('honours a revocation and a deactivation made while Redis is down, on both processes', async () => {
      const revokedUser = await aUserWithKey(p, adminKey, ['useApi', 'profile']);
      const deactivatedUser = await aUserWithKey(p, adminKey, ['useApi', 'profile']);
      await warm([p, q], revokedUser.key);
      await warm([p, q], deactivatedUser.key);
      await redis.process.kill();

      const revoked = await p.request('POST', '/api/v1/deauth', { body: { key: revokedUser.key } });
      expect(revoked.status, revoked.text).to.equal(200);
      const patched = await p.request('PATCH', `/api/v1/admin/users/${deactivatedUser.id}`, { key: adminKey, body: { active: false } });
      expect(patched.status, patched.text).to.equal(200);
      for (const server of [p, q]) {
        const r1 = await server.request('GET', '/api/v1/app/user.current', { key: revokedUser.key });
        expect(r1.status, `${server.name}: ${r1.text}`).to.equal(403);
        expect(r1.body.code).to.equal('API_KEY_INVALID');
        const r2 = await server.request('GET', '/api/v1/app/user.current', { key: deactivatedUser.key });
        expect(r2.status, `${server.name}: ${r2.text}`).to.equal(403);
        expect(r2.body.code).to.equal('USER_INACTIVE');
      }
    });

    it('after Redis comes back with its data, a revocation made during the outage holds on a process that was idle meanwhile', async () => {
      const user = await aUserWithKey(p, adminKey, ['useApi', 'profile']);
      await warm([p, q], user.key);
      // Redis saves its data and stops (a restart, a failover): the generation survives.
      await redisCommand(redis.port, ['SHUTDOWN', 'SAVE']);
      expect(await redis.process.waitForExit(10_000), 'redis stopped').to.not.equal(null);
      const revoked = await p.request('POST', '/api/v1/deauth', { body: { key: user.key } });
      expect(revoked.status, revoked.text).to.equal(200);

      redis = await startRedis({ port: redis.port, dir: redisDir });
      await waitForReadiness(p, 200);
      await waitForReadiness(q, 200);
      const onP = await p.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onP.status, `P: ${onP.text}`).to.equal(403);
      const onQ = await q.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onQ.status, `Q answered with a memo from before the outage: ${onQ.text}`).to.equal(403);
      expect(onQ.body.code).to.equal('API_KEY_INVALID');
    });

    it('after Redis restarts empty, a later revocation holds on a process whose memo predates the restart', async () => {
      const user = await aUserWithKey(p, adminKey, ['useApi', 'profile']);
      await warm([p, q], user.key);
      const before = await identityGeneration();
      expect(before, 'identity generation before the restart').to.be.greaterThan(1);
      // Redis restarts without persistence: every generation is back to 0.
      await redis.process.kill();
      redis = await startRedis({ port: redis.port });
      await waitForReadiness(p, 200);
      await waitForReadiness(q, 200);
      // Revoke on P (generation 0 → 1), then make ordinary identity changes until the
      // generation is back at the value Q's memo was built under.
      const revoked = await p.request('POST', '/api/v1/deauth', { body: { key: user.key } });
      expect(revoked.status, revoked.text).to.equal(200);
      while ((await identityGeneration()) < before) {
        const renamed = await p.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { key: adminKey, body: { name: `renamed-${randomBytes(3).toString('hex')}` } });
        expect(renamed.status, renamed.text).to.equal(200);
      }
      expect(await identityGeneration()).to.equal(before);
      const onQ = await q.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(onQ.status, `Q answered with a memo from before the restart: ${onQ.text}`).to.equal(403);
      expect(onQ.body.code).to.equal('API_KEY_INVALID');
    });
  });
});
