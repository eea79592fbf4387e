// Hardening of the limits (issue 7, findings 8 and 9): the unused-upload quota and the per-user
// bound on uploads in flight hold under concurrency (reservations in the database, so across
// processes too); the client address behind a trusted proxy is the one the proxy appended, and
// the per-login limit on POST /auth is a budget per login and address, with a per-login ceiling
// that slows attempts instead of refusing them.
import { expect } from 'chai';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ADMIN, startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aType, aUserWithGrants, allGrants, type ItemTypeBody } from '../helpers/collections.ts';
import type { TestUser } from '../helpers/principals.ts';
import { expectError } from '../helpers/expectations.ts';

function expect429(res: ApiResponse, code = 'RATE_LIMITED') {
  expectError(res, 429, code);
  expect(Number(res.headers['retry-after']), 'Retry-After').to.be.at.least(1);
}

function form(contents: string[]): FormData {
  const data = new FormData();
  contents.forEach((content, i) => data.append('file', new Blob([content], { type: 'text/plain' }), `f${i}.txt`));
  return data;
}

/** Bytes of every stored file (the incoming directory excluded). */
async function storedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.parentPath.includes('.incoming')) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * An upload whose body is sent only in part: the request stays in flight until `finish` (sends
 * the rest) or `abort` (drops the connection).
 */
function uploadInFlight(server: TestServer, url: string, key: string, content: string) {
  const boundary = 'held-upload-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="held.txt"\r\nContent-Type: text/plain\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const body = Buffer.from(head + content + tail);
  const split = head.length + 1;
  let req!: ClientRequest;
  const answered = new Promise<number>((resolve) => {
    req = httpRequest(new URL(url, server.url), {
      method: 'POST',
      headers: { key, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.write(body.subarray(0, split));
  });
  return {
    answered,
    finish: () => req.end(body.subarray(split)),
    abort: () => req.destroy(),
  };
}

describe('hardening 8: the upload quota and uploads in flight', function () {
  this.timeout(90_000);
  const QUOTA = 10_000;
  const FILE = 3_000;
  let server: TestServer;
  let filesDir: string;
  let type: ItemTypeBody;

  const prisma = () => server.running.services.database.prisma;
  const uploadUrl = () => `/api/v1/upload/${type.systemName}/f`;
  const send = (user: TestUser, contents: string[]) => server.request('POST', uploadUrl(), { key: user.key, multipart: form(contents) });
  const heldBytes = async (user: TestUser) => (await prisma().filePromise.aggregate({ where: { userId: user.id }, _sum: { size: true } }))._sum.size ?? 0;
  const reservations = (user: TestUser) => prisma().uploadReservation.count({ where: { userId: user.id } });

  before(async () => {
    filesDir = await mkdtemp(path.join(os.tmpdir(), 'jt-limits-'));
    server = await startTestServer({
      ...RELAXED_AUTH_LIMITS,
      FILES_DIR: filesDir,
      UPLOAD_PENDING_MAX_BYTES: String(QUOTA),
      UPLOAD_CONCURRENT_PER_USER: '2',
    });
    type = await aType(server, [{ systemName: 'f', kind: 'file', multiple: true }]);
  });

  after(async () => {
    await server?.stop();
    await rm(filesDir, { recursive: true, force: true });
  });

  it('never stores more than the quota, whatever number of uploads run in parallel', async () => {
    const user = await aUserWithGrants(server, allGrants(type.id));
    const before = await storedBytes(filesDir);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send(user, [String(i % 10).repeat(FILE)])));
    const ok = answers.filter((res) => res.status === 200);
    for (const res of answers) {
      if (res.status === 200) continue;
      if (res.status === 429) expect429(res, 'TOO_MANY_UPLOADS');
      else expectError(res, 413, 'UPLOAD_QUOTA_EXCEEDED');
    }
    expect(ok.length, 'at least one upload is accepted').to.be.at.least(1);
    const held = await heldBytes(user);
    expect(held, 'bytes held in promises').to.equal(ok.length * FILE).and.to.be.at.most(QUOTA);
    expect(await storedBytes(filesDir) - before, 'bytes on disk').to.equal(held);
    expect(await reservations(user), 'reservations left').to.equal(0);
  });

  it('fills the quota one upload at a time, then answers 413 UPLOAD_QUOTA_EXCEEDED', async () => {
    const user = await aUserWithGrants(server, allGrants(type.id));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(user, ['x'.repeat(FILE)])).status);
    expect(statuses).to.deep.equal([200, 200, 200, 413]);
    expect(await heldBytes(user)).to.equal(3 * FILE);
    expectError(await send(user, ['y'.repeat(QUOTA - 3 * FILE + 1)]), 413, 'UPLOAD_QUOTA_EXCEEDED');
    expect((await send(user, ['z'.repeat(QUOTA - 3 * FILE)])).status, 'what still fits').to.equal(200);
    expect(await heldBytes(user)).to.equal(QUOTA);
  });

  it('answers 429 TOO_MANY_UPLOADS with Retry-After past the uploads one user may have in flight, for that user only', async () => {
    const user = await aUserWithGrants(server, allGrants(type.id));
    const first = uploadInFlight(server, uploadUrl(), user.key, 'a'.repeat(100));
    const second = uploadInFlight(server, uploadUrl(), user.key, 'b'.repeat(100));
    await until('two reservations', async () => (await reservations(user)) === 2);
    expect429(await send(user, ['c']), 'TOO_MANY_UPLOADS');

    const other = await aUserWithGrants(server, allGrants(type.id));
    expect((await send(other, ['d'])).status, 'another user uploads meanwhile').to.equal(200);

    // A finished upload and a dropped one both give their slot back.
    first.finish();
    expect(await first.answered).to.equal(200);
    second.abort();
    await until('the dropped upload to release its reservation', async () => (await reservations(user)) === 0);
    expect((await send(user, ['e'])).status).to.equal(200);
    expect(await heldBytes(user)).to.equal(100 + 1);
  });

  it('counts only unexpired reservations, so a crashed process holds a slot only until it expires', async () => {
    const user = await aUserWithGrants(server, allGrants(type.id));
    const tenantId = (await prisma().user.findUniqueOrThrow({ where: { id: user.id } })).tenantId;
    const crashed = (id: string, expiresAt: Date) => prisma().uploadReservation.create({ data: { id, tenantId, userId: user.id, bytes: QUOTA, expiresAt } });
    await crashed('crash-1', new Date(Date.now() + 600_000));
    expectError(await send(user, ['x']), 413, 'UPLOAD_QUOTA_EXCEEDED');
    await prisma().uploadReservation.update({ where: { id: 'crash-1' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await crashed('crash-2', new Date(Date.now() - 1000));
    expect((await send(user, ['x'])).status).to.equal(200);
  });
});

describe('hardening 9: client addresses behind a proxy and the per-login limit on POST /auth', function () {
  this.timeout(60_000);
  const wrong = (user: string, ip: string) => ({ headers: { 'x-forwarded-for': ip }, body: { user, password: 'wrong-password' } });

  describe('with TRUST_PROXY=true (one hop)', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ TRUST_PROXY: 'true', AUTH_RATE_LIMIT_PER_IP: '3', AUTH_RATE_LIMIT_PER_LOGIN: '100' });
    });
    after(() => server?.stop());

    it('limits by the address the proxy appended: prepending X-Forwarded-For values escapes nothing', async () => {
      const statuses: number[] = [];
      let last!: ApiResponse;
      for (let i = 0; i < 4; i++) {
        last = await server.request('POST', '/api/v1/auth', wrong(ADMIN.email, `198.51.100.${i}, 203.0.113.9`));
        statuses.push(last.status);
      }
      expect(statuses).to.deep.equal([401, 401, 401, 429]);
      expect429(last);
      const another = await server.request('POST', '/api/v1/auth', wrong(ADMIN.email, '203.0.113.10'));
      expect(another.status, 'another client behind the proxy').to.equal(401);
    });

    it('counts an IPv6 client by its /64, so rotating the low bits escapes nothing', async () => {
      const statuses: number[] = [];
      for (let i = 1; i <= 4; i++) statuses.push((await server.request('POST', '/api/v1/auth', wrong(ADMIN.email, `2001:db8:1:2::${i.toString(16)}`))).status);
      expect(statuses).to.deep.equal([401, 401, 401, 429]);
    });
  });

  describe('without TRUST_PROXY', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ AUTH_RATE_LIMIT_PER_IP: '2', AUTH_RATE_LIMIT_PER_LOGIN: '100' });
    });
    after(() => server?.stop());

    it('ignores X-Forwarded-For altogether and counts the connection\'s address', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await server.request('POST', '/api/v1/auth', wrong(ADMIN.email, `203.0.113.${i}`))).status);
      expect(statuses).to.deep.equal([401, 401, 429]);
    });
  });

  describe('with TRUST_PROXY_HOPS=2', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '2', AUTH_RATE_LIMIT_PER_IP: '2', AUTH_RATE_LIMIT_PER_LOGIN: '100' });
    });
    after(() => server?.stop());

    it('takes the second address from the right', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await server.request('POST', '/api/v1/auth', wrong(ADMIN.email, `192.0.2.${i}, 203.0.113.20, 10.0.0.${i}`))).status);
      expect(statuses).to.deep.equal([401, 401, 429]);
    });
  });

  describe('per login', () => {
    const SLOWDOWN_MS = 600;
    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        TRUST_PROXY: 'true',
        AUTH_RATE_LIMIT_PER_IP: '1000',
        AUTH_RATE_LIMIT_PER_LOGIN: '2',
        AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL: '4',
        AUTH_LOGIN_SLOWDOWN_MS: String(SLOWDOWN_MS),
      });
    });
    after(() => server?.stop());

    it('an attacker exhausting the budget from one address does not stop the real user at another', async () => {
      const statuses: number[] = [];
      let last!: ApiResponse;
      for (let i = 0; i < 3; i++) {
        last = await server.request('POST', '/api/v1/auth', wrong(ADMIN.email, '198.51.100.66'));
        statuses.push(last.status);
      }
      expect(statuses).to.deep.equal([401, 401, 429]);
      expect429(last);
      const real = await server.request('POST', '/api/v1/auth', { headers: { 'x-forwarded-for': '203.0.113.7' }, body: { user: ADMIN.email, password: ADMIN.password } });
      expect(real.status, JSON.stringify(real.body)).to.equal(200);
    });

    it('past the per-login ceiling, attempts from every address are slowed, not refused', async () => {
      const login = 'victim@example.com';
      // Four addresses, within their own budgets, reach the ceiling of 4 attempts for the login.
      for (let i = 1; i <= 4; i++) expect((await server.request('POST', '/api/v1/auth', wrong(login, `198.51.100.${i}`))).status).to.equal(401);
      const started = Date.now();
      const slowed = await server.request('POST', '/api/v1/auth', wrong(login, '198.51.100.5'));
      expect(slowed.status, 'still answered, not refused').to.equal(401);
      expect(Date.now() - started, 'delayed by the slow-down').to.be.at.least(SLOWDOWN_MS - 50);
      // The per-address budget still applies on top.
      expect((await server.request('POST', '/api/v1/auth', wrong(login, '198.51.100.5'))).status).to.equal(401);
      expect429(await server.request('POST', '/api/v1/auth', wrong(login, '198.51.100.5')));
    });
  });
});
