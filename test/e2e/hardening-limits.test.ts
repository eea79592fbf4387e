// The limits of issue 7 (findings 8 and 9) across real server processes sharing PostgreSQL and
// Redis: parallel uploads spread over two processes never store more than the user's quota,
// and the per-login-and-address budget on POST /auth is one budget for both processes.
// Needs DATABASE_URL=postgresql://… and REDIS_URL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, usingPostgres, usingRedis, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, stopAllProcesses, type ServerProcess } from '../helpers/process.ts';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const QUOTA = 10_000;
const FILE = 3_000;

/** Bytes of every stored file (the incoming directory excluded). */
function storedBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.parentPath.includes('.incoming'))
    .reduce((sum, e) => sum + statSync(path.join(e.parentPath, e.name)).size, 0);
}

function multipart(content: string) {
  const boundary = `----e2e${randomBytes(6).toString('hex')}`;
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="q.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`;
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('the limits of issue 7 across processes sharing PostgreSQL and Redis', function () {
  this.timeout(120_000);
  let db: TestDatabase | undefined;
  let a: ServerProcess;
  let b: ServerProcess;
  let filesDir: string;
  let adminKey: string;

  before(async function () {
    if (!usingPostgres() || !usingRedis()) {
      console.log('      skipped: needs DATABASE_URL=postgresql://… and REDIS_URL');
      this.skip();
    }
    db = await createTestDatabase();
    filesDir = mkdtempSync(path.join(tmpdir(), 'jt-e2e-limits-'));
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `jt-e2e-${randomBytes(4).toString('hex')}`,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      FILES_DIR: filesDir,
      TRUST_PROXY: 'true',
      AUTH_RATE_LIMIT_PER_IP: '1000',
      AUTH_RATE_LIMIT_PER_LOGIN: '2',
      UPLOAD_PENDING_MAX_BYTES: String(QUOTA),
      UPLOAD_CONCURRENT_PER_USER: '10',
    };
    a = await startServerProcess(env, { name: 'A' }); // migrates and bootstraps first
    b = await startServerProcess(env, { name: 'B' });
    const auth = await a.request('POST', '/api/v1/auth', { headers: { 'x-forwarded-for': '192.0.2.1' }, body: { user: ADMIN.email, password: ADMIN.password } });
    expect(auth.status, auth.text).to.equal(200);
    adminKey = auth.body.authToken.keyString;
  });

  after(async () => {
    await Promise.all([a, b].map((p) => p?.stop('SIGTERM', 15_000).catch(() => p.kill())));
    await stopAllProcesses();
    await db?.drop();
    if (filesDir) rmSync(filesDir, { recursive: true, force: true });
  });

  it('ten parallel uploads, five on each process, store at most the quota', async () => {
    const type = await a.request('POST', '/api/v1/admin/types', { key: adminKey, body: { systemName: `q_${randomBytes(3).toString('hex')}`, properties: [{ systemName: 'f', kind: 'file', multiple: true }] } });
    expect(type.status, type.text).to.equal(201);
    const role = await a.request('POST', '/api/v1/admin/roles', {
      key: adminKey,
      body: { name: `q-${randomBytes(3).toString('hex')}`, permissions: ['useApi'], typePermissions: [{ typeId: type.body.id, show: true, create: true, edit: true, delete: true }] },
    });
    expect(role.status, role.text).to.equal(201);
    const login = `q-${randomBytes(3).toString('hex')}@example.com`;
    expect((await a.request('POST', '/api/v1/admin/users', { key: adminKey, body: { login, name: 'Quota', password: 'quota-password-1', roles: [role.body.id] } })).status).to.equal(201);
    const key = (await a.request('POST', '/api/v1/auth', { body: { user: login, password: 'quota-password-1' } })).body.authToken.keyString as string;

    const url = `/api/v1/upload/${type.body.systemName}/f`;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).request('POST', url, { key, ...multipart(String(i).repeat(FILE)) })));
    const accepted = answers.filter((r) => r.status === 200).length;
    for (const r of answers) {
      if (r.status !== 200) {
        expect(r.status, r.text).to.equal(413);
        expect(r.body.code).to.equal('UPLOAD_QUOTA_EXCEEDED');
      }
    }
    expect(accepted).to.be.within(1, Math.floor(QUOTA / FILE));
    expect(storedBytes(filesDir)).to.equal(accepted * FILE);
  });

  it('an address past its per-login budget on A is refused on B too, while the real user logs in elsewhere', async () => {
    const attempt = (on: ServerProcess, ip: string, password: string) =>
      on.request('POST', '/api/v1/auth', { headers: { 'x-forwarded-for': ip }, body: { user: ADMIN.email, password } });
    expect((await attempt(a, '198.51.100.66', 'wrong-1')).status).to.equal(401);
    expect((await attempt(b, '198.51.100.66', 'wrong-2')).status).to.equal(401);
    for (const on of [a, b]) {
      const limited = await attempt(on, '198.51.100.66', 'wrong-3');
      expect(limited.status, `${on.name}: ${limited.text}`).to.equal(429);
      expect(limited.body.code).to.equal('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).to.be.at.least(1);
    }
    expect((await attempt(b, '203.0.113.7', ADMIN.password)).status).to.equal(200);
  });
});
