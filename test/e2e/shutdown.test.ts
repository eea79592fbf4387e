// Shutdown of a real server process always ends: within SHUTDOWN_TIMEOUT_MS plus a grace
// whatever a step does (a stdout nobody reads, a Redis that stopped answering), and at once on
// a second signal. Processes are started in their own process group and signalled through it,
// as a supervisor does; their stdout is a pipe this test can stall or close.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, jsonLines, rawStatus, REPO_ROOT, serverEnv, sleep, startRedis, type Env, type Exit, type PrivateRedis } from '../helpers/process.ts';

const ADMIN = { email: 'ops@example.com', password: 'ops-password-123' };
const SHUTDOWN_TIMEOUT_MS = 2_000;
/** The grace src/server.ts allows past SHUTDOWN_TIMEOUT_MS (its bounded steps: 6 s), plus slack for a loaded 2-core machine. */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 6_000 + 3_000;

/** A server in a process group of its own whose stdout the test reads, stalls or closes. */
class GroupedServer {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  url = '';
  out = '';
  err = '';

  constructor(env: Env) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: serverEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  /** Sends `signal` to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    process.kill(-this.child.pid!, signal);
  }

  async waitForExit(timeoutMs: number): Promise<Exit | null> {
    return Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
  }

  async waitForLog(predicate: (record: Record<string, any>) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!jsonLines(this.out).some(predicate)) {
      if (Date.now() > deadline) throw new Error(`${what}: not logged within ${timeoutMs} ms\n${this.describe()}`);
      await sleep(25);
    }
  }

  records(): Record<string, any>[] {
    return jsonLines(this.out);
  }

  describe(): string {
    const tail = (text: string) => (text.length > 3000 ? `…${text.slice(-3000)}` : text);
    return `pid ${this.child.pid}\n--- stdout ---\n${tail(this.out)}\n--- stderr ---\n${tail(this.err)}`;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.signal('SIGKILL');
    } catch {
      // already gone
    }
    await this.waitForExit(5_000);
  }
}

const live = new Set<GroupedServer>();

async function startGrouped(env: Env): Promise<GroupedServer> {
  const port = await freePort();
  const server = new GroupedServer({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env });
  server.url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) break;
    if ((await rawStatus(`${server.url}/healthz`, 1_000).catch(() => 0)) === 200) return server;
    await sleep(100);
  }
  await server.kill();
  throw new Error(`server did not become healthy\n${server.describe()}`);
}

/** GET of a path the server logs in full (~30 KB a line): a few hundred fill any pipe. */
function loggedRequest(url: string, i: number): Promise<number> {
  const longPath = `/api/v1/no-such-route-${i}-${'x'.repeat(30_000)}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${longPath}`, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function logHeavyTraffic(url: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 10) {
    statuses.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, j) => loggedRequest(url, i + j)))));
  }
  return statuses;
}

const requestLines = (text: string) => jsonLines(text).filter((r) => r.msg === 'request' && String(r.path).startsWith('/api/v1/no-such-route-')).length;

describe('shutdown of a server process', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let filesDir: string;
  let baseEnv: Env;

  before(async () => {
    db = await createTestDatabase();
    filesDir = mkdtempSync(path.join(tmpdir(), 'jetstack-shutdown-files-'));
    baseEnv = {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `shutdown-${process.pid}-${Date.now()}`,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      FILES_DIR: filesDir,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    };
  });
  afterEach(async () => {
    await Promise.all([...live].map((s) => s.kill()));
  });
  after(async () => {
    await db?.drop();
    rmSync(filesDir, { recursive: true, force: true });
  });

  describe('when the stdout reader stops reading with log lines pending', () => {
    it('SIGTERM to the process group → exits within SHUTDOWN_TIMEOUT_MS + grace, code 1 (log lines were lost)', async () => {
      const server = await startGrouped(baseEnv);
      await server.waitForLog((r) => r.msg === 'jetstack-api listening', 10_000, 'the listening line');
      server.child.stdout!.pause();
      const sent = 300;
      const statuses = await logHeavyTraffic(server.url, sent);
      expect(new Set(statuses), 'every request answered while stdout is stalled').to.deep.equal(new Set([404]));
      const signalledAt = Date.now();
      server.signal('SIGTERM');
      const exit = await server.waitForExit(EXIT_BOUND_MS);
      const exitMs = Date.now() - signalledAt;
      expect(exit, `still running ${EXIT_BOUND_MS} ms after SIGTERM\n${server.describe()}`).to.deep.equal({ code: 1, signal: null });
      expect(exitMs).to.be.below(EXIT_BOUND_MS);
      // What the pipe held is still readable: it is less than was logged, so writes were pending.
      server.child.stdout!.resume();
      await new Promise((resolve) => server.child.stdout!.once('close', resolve));
      expect(requestLines(server.out), 'request lines that reached the pipe').to.be.below(sent);
    });

    it('… and when that reader then goes away (EPIPE) during the shutdown, exits within the bound too', async () => {
      const server = await startGrouped(baseEnv);
      await server.waitForLog((r) => r.msg === 'jetstack-api listening', 10_000, 'the listening line');
      server.child.stdout!.pause();
      await logHeavyTraffic(server.url, 300);
      const signalledAt = Date.now();
      server.signal('SIGTERM');
      await sleep(300);
      server.child.stdout!.destroy();
      const exit = await server.waitForExit(EXIT_BOUND_MS);
      expect(exit, `still running ${EXIT_BOUND_MS} ms after SIGTERM\n${server.describe()}`).to.deep.equal({ code: 1, signal: null });
      expect(Date.now() - signalledAt).to.be.below(EXIT_BOUND_MS);
    });
  });

  describe('when the stdout reader has gone away before the traffic', () => {
    it('keeps answering (write errors never crash it), and SIGTERM → exits within the bound, code 1 (log lines were lost)', async () => {
      const server = await startGrouped(baseEnv);
      await server.waitForLog((r) => r.msg === 'jetstack-api listening', 10_000, 'the listening line');
      server.child.stdout!.destroy();
      const statuses = await logHeavyTraffic(server.url, 60);
      expect(new Set(statuses)).to.deep.equal(new Set([404]));
      expect(await rawStatus(`${server.url}/healthz`)).to.equal(200);
      const signalledAt = Date.now();
      server.signal('SIGTERM');
      const exit = await server.waitForExit(EXIT_BOUND_MS);
      expect(exit, server.describe()).to.deep.equal({ code: 1, signal: null });
      expect(Date.now() - signalledAt).to.be.below(EXIT_BOUND_MS);
      expect(server.err, 'nothing on stderr').to.equal('');
    });
  });

  describe('a second signal while the first shutdown is still draining', () => {
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      it(`${signal} twice → exits at once with code ${code} and logs why`, async () => {
        const server = await startGrouped({ ...baseEnv, SHUTDOWN_DRAIN_MS: '60000' });
        server.signal(signal);
        await server.waitForLog((r) => typeof r.msg === 'string' && r.msg.startsWith('shutting down'), 5_000, 'the shutdown line');
        expect(await server.waitForExit(500), 'the drain holds the first shutdown').to.equal(null);
        const secondAt = Date.now();
        server.signal(signal);
        const exit = await server.waitForExit(5_000);
        expect(exit, server.describe()).to.deep.equal({ code, signal: null });
        expect(Date.now() - secondAt, 'ms from the second signal to the exit').to.be.below(3_000);
        const forced = server.records().find((r) => r.signal === signal && /second signal/.test(r.msg));
        expect(forced, server.describe()).to.include({ level: 40 });
      });
    }
  });

  describe('when a step never ends (Redis stops answering)', () => {
    let redis: PrivateRedis;
    afterEach(async () => {
      if (!redis) return;
      redis.process.child.kill('SIGCONT');
      await redis.process.kill();
    });

    it('exits within SHUTDOWN_TIMEOUT_MS + grace, code 1, naming the step that did not finish', async () => {
      redis = await startRedis();
      const server = await startGrouped({ ...baseEnv, REDIS_URL: redis.url });
      expect(await rawStatus(`${server.url}/readyz`)).to.equal(200);
      redis.process.child.kill('SIGSTOP');
      const signalledAt = Date.now();
      server.signal('SIGTERM');
      const exit = await server.waitForExit(EXIT_BOUND_MS);
      expect(exit, `still running ${EXIT_BOUND_MS} ms after SIGTERM\n${server.describe()}`).to.deep.equal({ code: 1, signal: null });
      expect(Date.now() - signalledAt).to.be.below(EXIT_BOUND_MS);
      const failed = server.records().find((r) => r.msg === 'shutdown incomplete');
      expect(failed, server.describe()).to.include({ level: 50 });
      expect(failed!.steps).to.deep.include({ step: 'redis', outcome: 'timed out' });
    });
  });

});
