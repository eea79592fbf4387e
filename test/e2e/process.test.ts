// The server as a real process (SQLite in a temp dir): first start, configuration errors,
// graceful shutdown and structured logs. See test/helpers/process.ts.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'node:http';
import { expect } from 'chai';
import { rawStatus, runUntilExit, sendRequest, startServerProcess, stopAllProcesses, type ServerProcess } from '../helpers/process.ts';

const ADMIN = { email: 'ops@example.com', password: 'ops-password-123' };
const BANNER_LINE = /^(\s*$| {2}\S)/;

describe('the server process', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  /** A database URL for a new SQLite file in a temp dir of its own. */
  const freshDatabase = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jetstack-e2e-'));
    dirs.push(dir);
    return { url: `file:${path.join(dir, 'jetstack.db')}`, file: path.join(dir, 'jetstack.db') };
  };

  after(async () => {
    await stopAllProcesses();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('first start on an empty database without ADMIN_EMAIL / ADMIN_PASSWORD', () => {
    let databaseUrl: string;
    let first: ServerProcess;
    let apiKey: string;
    let password: string;

    before(async () => {
      databaseUrl = freshDatabase().url;
      first = await startServerProcess({ DATABASE_URL: databaseUrl });
      await first.waitForStdout((out) => /API key:.*\n/.test(out), 10_000, 'the first-start banner');
      apiKey = /^\s*API key:\s+(\S+)\s*$/m.exec(first.stdout)?.[1] ?? '';
      password = /^\s*password:\s+(\S+)\s*$/m.exec(first.stdout)?.[1] ?? '';
    });

    it('prints a generated password and an API key, once each', () => {
      expect(first.stdout.match(/^\s*password:/gm), first.describe()).to.have.length(1);
      expect(first.stdout.match(/^\s*API key:/gm), first.describe()).to.have.length(1);
      expect(password).to.have.length.of.at.least(16).and.not.equal('(from');
      expect(apiKey).to.match(/^[0-9a-f]+:\S{20,}$/);
    });

    it('the printed key works: GET /api/v1/app/user.current → 200 as the operator', async () => {
      const res = await first.request('GET', '/api/v1/app/user.current', { key: apiKey });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.login).to.equal('admin@example.com');
      expect(res.body.permissions).to.include.members(['useApi', 'profile', 'appManagement']);
    });

    it('the printed password works: POST /api/v1/auth → 200 with a new key', async () => {
      const res = await first.request('POST', '/api/v1/auth', { body: { user: 'admin@example.com', password } });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.authToken.keyString).to.be.a('string').and.not.equal(apiKey);
    });

    it('a second start on the same database prints neither, and the first key still works', async () => {
      const exit = await first.stop('SIGTERM', 10_000);
      expect(exit, first.describe()).to.deep.equal({ code: 0, signal: null });

      const second = await startServerProcess({ DATABASE_URL: databaseUrl });
      const res = await second.request('GET', '/api/v1/app/user.current', { key: apiKey });
      expect(res.status, res.text).to.equal(200);
      await second.waitForStdout((out) => out.includes('jetstack-api listening'), 10_000, 'the listening log line');
      expect(await second.stop('SIGTERM', 10_000)).to.deep.equal({ code: 0, signal: null });
      // After the exit every byte it wrote has been read.
      expect(second.stdout).to.not.match(/password:|API key:|First start/);
      expect(second.stdout).to.not.include(password);
      expect(second.stdout).to.not.include(apiKey);
    });
  });

  describe('first start with ADMIN_EMAIL and ADMIN_PASSWORD', () => {
    let server: ServerProcess;
    before(async () => {
      server = await startServerProcess({ DATABASE_URL: freshDatabase().url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
      await server.waitForStdout((out) => /API key:.*\n/.test(out), 10_000, 'the first-start banner');
    });
    after(() => server.stop('SIGTERM', 10_000));

    it('POST /api/v1/auth with them → 200 and a key that works', async () => {
      const auth = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
      expect(auth.status, auth.text).to.equal(200);
      const res = await server.request('GET', '/api/v1/app/user.current', { key: auth.body.authToken.keyString });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.login).to.equal(ADMIN.email);
    });

    it('POST /api/v1/auth with a wrong password → 401 INVALID_CREDENTIALS', async () => {
      const res = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: 'not-the-password' } });
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('INVALID_CREDENTIALS');
    });

    it('never prints the configured password', () => {
      expect(server.stdout).to.not.include(ADMIN.password);
      expect(server.stdout).to.match(/^\s*password:\s+\(from ADMIN_PASSWORD\)\s*$/m);
      expect(server.stdout).to.match(new RegExp(`^\\s*login:\\s+${ADMIN.email}\\s*$`, 'm'));
    });
  });

  describe('invalid configuration', () => {
    const cases: { env: Record<string, string>; names: string[] }[] = [
      { env: { PORT: 'abc' }, names: ['PORT'] },
      { env: { DATABASE_URL: 'mysql://x' }, names: ['DATABASE_URL'] },
      { env: { REDIS_URL: 'http://x' }, names: ['REDIS_URL'] },
      { env: { LOG_LEVEL: 'loud', ADMIN_PASSWORD: 'short', SHUTDOWN_TIMEOUT_MS: '-1' }, names: ['LOG_LEVEL', 'ADMIN_PASSWORD', 'SHUTDOWN_TIMEOUT_MS'] },
    ];
    for (const { env, names } of cases) {
      it(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} → exit code 1 naming ${names.join(', ')}, no stack trace`, async () => {
        const db = freshDatabase();
        const { exit, stdout, stderr } = await runUntilExit({ DATABASE_URL: db.url, PORT: '0', ...env }, 20_000);
        const output = `${stdout}\n${stderr}`;
        expect(exit, output).to.deep.equal({ code: 1, signal: null });
        for (const name of names) expect(stderr, output).to.include(name);
        expect(stderr).to.match(/^Invalid configuration/);
        expect(output, 'no stack frames').to.not.match(/^\s+at\s/m);
        expect(output).to.not.include('jetstack-api listening');
        if (!env.DATABASE_URL) expect(existsSync(db.file), 'the database is not touched').to.equal(false);
      });
    }
  });

  describe('graceful shutdown on SIGTERM', () => {
    let databaseUrl: string;
    let server: ServerProcess;
    const limits = { AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_LOGIN: '1000' };
    const credentials = { user: ADMIN.email, password: ADMIN.password };
    before(() => {
      databaseUrl = freshDatabase().url;
    });
    beforeEach(async () => {
      server = await startServerProcess({ DATABASE_URL: databaseUrl, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ...limits });
      const warm = await server.request('POST', '/api/v1/auth', { body: credentials });
      expect(warm.status, warm.text).to.equal(200);
    });
    afterEach(() => server.kill());

    const signalled = () => server.logRecords().some((r) => typeof r.msg === 'string' && r.msg.startsWith('shutting down'));
    const connectionOutcome = (url: string) =>
      rawStatus(url, 1_000).then(
        (status) => `status ${status}`,
        (error: NodeJS.ErrnoException) => `connection failed: ${error.code ?? error.message}`,
      );

    function expectAllOk(responses: PromiseSettledResult<{ status: number; body: any }>[]) {
      const outcomes = responses.map((r) => (r.status === 'fulfilled' ? r.value.status : `rejected: ${(r.reason as Error).message}`));
      expect(outcomes, server.describe()).to.deep.equal(responses.map(() => 200));
      for (const r of responses) expect((r as PromiseFulfilledResult<{ body: any }>).value.body.authToken.keyString).to.be.a('string');
    }

    /**
     * Requests whose head the server has but whose body's last bytes are held back: they are in
     * flight for as long as the test wants. SIGTERM, wait for the shutdown log line, then let
     * them finish.
     */
    async function heldRequestsAcrossSigterm(count: number, agent?: Agent) {
      const held = Array.from({ length: count }, () =>
        sendRequest(server.url, 'POST', '/api/v1/auth', { body: credentials, agent, holdLastBytes: 2 }),
      );
      await Promise.all(held.map((r) => r.started));
      // /healthz on a later connection answers only after the server has accepted the earlier ones.
      expect(await rawStatus(`${server.url}/healthz`)).to.equal(200);
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await server.waitForStdout(signalled, 5_000, 'the shutdown log line');
      const newConnection = await connectionOutcome(`${server.url}/readyz`);
      expect(server.running, 'still running while requests are in flight').to.equal(true);
      for (const r of held) r.release();
      const responses = await Promise.allSettled(held.map((r) => r.response));
      const exit = await server.waitForExit(10_000);
      return { responses, exit, exitMs: Date.now() - signalledAt, newConnection };
    }

    it('finishes requests in flight with their normal status, is not ready for new connections, exits 0 within a few seconds', async () => {
      const { responses, exit, exitMs, newConnection } = await heldRequestsAcrossSigterm(6);
      expect(newConnection, 'a new connection once signalled: port closed, or not ready').to.be.oneOf(['connection failed: ECONNREFUSED', 'status 503']);
      expectAllOk(responses);
      expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
      expect(exitMs, 'ms from SIGTERM to exit').to.be.below(5_000);
    });

    it('does the same for requests on keep-alive connections (which must not hold the exit afterwards)', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 6 });
      try {
        const { responses, exit, exitMs } = await heldRequestsAcrossSigterm(6, agent);
        expectAllOk(responses);
        expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
        expect(exitMs, 'ms from SIGTERM to exit').to.be.below(5_000);
      } finally {
        agent.destroy();
      }
    });

    it('finishes a burst of slow POST /auth (scrypt) that was already taken when SIGTERM arrived', async () => {
      const burst = Array.from({ length: 8 }, () => sendRequest(server.url, 'POST', '/api/v1/auth', { body: credentials }));
      await Promise.all(burst.map((r) => r.sent));
      // Barrier: the server has accepted every connection of the burst (see the report on the
      // accept queue: connections not yet accepted when the listener closes are reset).
      expect(await rawStatus(`${server.url}/healthz`)).to.equal(200);
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      const responses = await Promise.allSettled(burst.map((r) => r.response));
      const exit = await server.waitForExit(10_000);
      expectAllOk(responses);
      expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
      expect(Date.now() - signalledAt).to.be.below(5_000);
      const records = server.logRecords();
      const shutdown = records.find((r) => r.msg?.startsWith('shutting down'))!;
      const later = records.filter((r) => r.msg === 'request' && r.path === '/api/v1/auth' && r.time >= shutdown.time);
      expect(later.length, 'some of the burst was still in flight when the signal was handled').to.be.greaterThan(0);
    });

    it('answers requests sent just before SIGTERM that were still queued for accept, given SHUTDOWN_DRAIN_MS', async () => {
      // Closing the listener resets connections still in its accept queue; SHUTDOWN_DRAIN_MS keeps
      // accepting for a while after SIGTERM (readiness already 503) so they are served.
      await server.kill();
      server = await startServerProcess({ DATABASE_URL: databaseUrl, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SHUTDOWN_DRAIN_MS: '500', ...limits });
      // Without help this is a race (on a busy server it is lost about 2 runs in 3): SIGSTOP
      // freezes the server so the requests surely wait in the listener's accept queue when the
      // signal arrives, as they do whenever its event loop is busy.
      server.child.kill('SIGSTOP');
      let queued: ReturnType<typeof sendRequest>[] = [];
      try {
        queued = Array.from({ length: 6 }, () => sendRequest(server.url, 'POST', '/api/v1/auth', { body: credentials }));
        await Promise.all(queued.map((r) => r.sent));
        server.child.kill('SIGTERM');
      } finally {
        server.child.kill('SIGCONT');
      }
      const responses = await Promise.allSettled(queued.map((r) => r.response));
      const exit = await server.waitForExit(10_000);
      expect(exit, server.describe()).to.deep.equal({ code: 0, signal: null });
      expectAllOk(responses);
    });

    it('an idle keep-alive connection does not delay the exit', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const res = await sendRequest(server.url, 'GET', '/healthz', { agent }).response;
        expect(res.status).to.equal(200);
        const signalledAt = Date.now();
        const exit = await server.stop('SIGTERM', 10_000);
        expect(exit).to.deep.equal({ code: 0, signal: null });
        expect(Date.now() - signalledAt).to.be.below(3_000);
        expect(await connectionOutcome(`${server.url}/healthz`)).to.equal('connection failed: ECONNREFUSED');
      } finally {
        agent.destroy();
      }
    });
  });

  describe('structured logs', () => {
    let server: ServerProcess;
    let key: string;
    before(async () => {
      server = await startServerProcess({ DATABASE_URL: freshDatabase().url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'info' });
      const auth = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
      expect(auth.status, auth.text).to.equal(200);
      key = auth.body.authToken.keyString;
    });
    after(() => server.stop('SIGTERM', 10_000));

    async function logFor(requestId: string) {
      await server.waitForStdout(
        () => server.logRecords().some((r) => r.requestId === requestId),
        5_000,
        `a log record with requestId ${requestId}`,
      );
      return server.logRecords().filter((r) => r.requestId === requestId);
    }

    it('logs each request as one JSON record whose requestId is the x-request-id response header', async () => {
      const res = await server.request('GET', '/api/v1/app/backend.version', { key });
      expect(res.status).to.equal(200);
      const requestId = res.headers['x-request-id'];
      expect(requestId).to.match(/^[0-9a-f-]{36}$/);
      const records = await logFor(requestId);
      expect(records).to.have.length(1);
      expect(records[0]).to.include({ level: 30, msg: 'request', method: 'GET', path: '/api/v1/app/backend.version', status: 200, tenant: 'default' });
      expect(records[0].time).to.be.a('number');
      expect(records[0].ms).to.be.a('number');
      expect(records[0].pid).to.equal(server.pid);
    });

    it('keeps a safe inbound x-request-id, in the header, the error body and the log', async () => {
      const res = await server.request('GET', '/api/v1/app/user.current', { headers: { 'x-request-id': 'e2e-trace-42' } });
      expect(res.status).to.equal(403);
      expect(res.headers['x-request-id']).to.equal('e2e-trace-42');
      expect(res.body).to.include({ code: 'API_KEY_MISSING', requestId: 'e2e-trace-42' });
      const [record] = await logFor('e2e-trace-42');
      expect(record).to.include({ status: 403, path: '/api/v1/app/user.current' });
    });

    it('writes nothing but JSON records to stdout, apart from the first-start banner', () => {
      const lines = server.stdout.split('\n').filter((line) => line !== '');
      const other = lines.filter((line) => !line.startsWith('{') && !BANNER_LINE.test(line));
      expect(other).to.deep.equal([]);
      for (const line of lines.filter((l) => l.startsWith('{'))) {
        const record = JSON.parse(line);
        expect(record).to.include.keys('level', 'time', 'msg');
      }
      expect(server.stdout, 'no secret in the request log').to.not.include(key);
    });
  });
});
