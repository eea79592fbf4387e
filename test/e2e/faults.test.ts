// Faults with real processes: a server SIGKILLed in the middle of item writes leaves no partial
// item (db:verify checks the whole database); Redis stopped and restarted under load changes no
// answer; PostgreSQL restarted under load gives 503 DATABASE_UNAVAILABLE while it is down and
// the same server answers again once it is back. The services that are stopped here are private
// to this file (their own ports and temp dirs), never the shared ones other tests use.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import pg from 'pg';
import { createTestDatabase, usingPostgres, usingRedis, type TestDatabase } from '../helpers/database.ts';
import {
  sleep,
  startRedis,
  startServerProcess,
  stopAllProcesses,
  TrackedProcess,
  type Env,
  type PrivateRedis,
  type ServerProcess,
} from '../helpers/process.ts';
import { pgBin, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { ADMIN, adminKeyFrom, aUserWithKey, type KeyedUser } from '../helpers/process-users.ts';

const tag = () => randomBytes(4).toString('hex');

/** A type with a unique, a multi-value, a counted enum, a number and a file property. */
async function aThingType(on: ServerProcess, adminKey: string) {
  const systemName = `thing_${tag()}`;
  const type = await on.request('POST', '/api/v1/admin/types', {
    key: adminKey,
    body: {
      systemName,
      properties: [
        { systemName: 'code', kind: 'string', unique: true, required: true },
        { systemName: 'labels', kind: 'string', multiple: true },
        { systemName: 'status', kind: 'enum', enumValues: ['open', 'done', 'held'] },
        { systemName: 'score', kind: 'integer' },
        { systemName: 'doc', kind: 'file' },
      ],
    },
  });
  expect(type.status, type.text).to.equal(201);
  return { id: type.body.id as number, systemName };
}

function multipart(name: string, content: string) {
  const boundary = `----faults${tag()}`;
  return {
    body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** `npm run db:verify` as its own process: its exit code and what it printed. */
async function verifyDatabase(databaseUrl: string, filesDir: string): Promise<{ code: number | null; output: string }> {
  const p = new TrackedProcess('db:verify', process.execPath, ['--import', 'tsx', 'scripts/db/verify.ts'], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, FILES_DIR: filesDir, LOG_LEVEL: 'silent' },
  });
  const exit = await p.waitForExit(30_000);
  if (!exit) {
    await p.kill();
    throw new Error(`db:verify did not finish within 30 s\n${p.describe()}`);
  }
  return { code: exit.code, output: `${p.stdout}${p.stderr}` };
}

/** Kills of the writer test: each costs a restart (about 4 s on an idle 2-core machine). */
const KILLS = 3;

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)];

describe('faults with real processes', function () {
  // Each test takes tens of seconds on an idle machine; server start-ups (tsx, migrations) take
  // several times longer on a loaded one, hence the generous bound.
  this.timeout(300_000);

  after(async () => {
    await stopAllProcesses();
  });

  describe('a server SIGKILLed in the middle of item writes, then restarted', () => {
    let db: TestDatabase;
    let filesDir: string;
    let env: Env;

    before(async () => {
      db = await createTestDatabase();
      filesDir = mkdtempSync(path.join(tmpdir(), 'jetstack-faults-files-'));
      env = { DATABASE_URL: db.url, FILES_DIR: filesDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, KEY_RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' };
    });
    after(async () => {
      await stopAllProcesses();
      await db?.drop();
      if (filesDir) rmSync(filesDir, { recursive: true, force: true });
    });

    it(`leaves no partial item after 3 kills at random moments (db:verify finds 0 inconsistencies each time, ${usingPostgres() ? 'PostgreSQL' : 'SQLite'})`, async () => {
      let server = await startServerProcess(env, { name: 'writer-target' });
      const adminKey = await adminKeyFrom(server);
      const type = await aThingType(server, adminKey);
      const writer = await aUserWithKey(server, adminKey, ['useApi'], [type.id]);
      const collection = `/api/v1/collection/${type.systemName}`;
      const codes = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
      const answered = new Map<string, number>();
      let inFlight = 0;
      let writesAnswered = 0;
      let running = true;
      let seq = 0;

      /** One random write through HTTP; connection errors (the kill) are expected and ignored. */
      const oneWrite = async () => {
        const s = server;
        const send = (method: string, url: string, options: Parameters<ServerProcess['request']>[2] = {}) =>
          s.request(method, url, { key: writer.key, timeoutMs: 15_000, ...options });
        const n = ++seq;
        const action = pick(['create', 'create', 'patch', 'patch', 'replace', 'delete']);
        inFlight++;
        try {
          let res;
          if (action === 'create') {
            let doc: string | undefined;
            if (n % 3 === 0) {
              const form = multipart(`f${n}.txt`, `bytes of ${n}`);
              const up = await send('POST', `/api/v1/upload/${type.systemName}/doc`, form);
              if (up.status === 200) doc = up.body[0];
            }
            res = await send('POST', collection, {
              body: { code: `${pick(codes)}${n % 5}`, labels: [`l${n % 7}`, `m${n % 3}`, 'x'], status: pick(['open', 'done', 'held']), score: n % 11, ...(doc ? { doc } : {}) },
            });
          } else {
            const page = await send('GET', `${collection}?perPage=20&orderBy=id&orderDir=desc`);
            if (page.status !== 200 || !page.body.data.length) return;
            const target = pick(page.body.data as { id: number }[]);
            if (action === 'patch') {
              res = await send('PATCH', `${collection}/${target.id}`, { body: { 'labels+=': [`p${n % 4}`], status: pick(['open', 'done', 'held']), code: `${pick(codes)}${n % 5}` } });
            } else if (action === 'replace') {
              res = await send('PUT', `${collection}/${target.id}`, { body: { code: `${pick(codes)}${n % 5}`, labels: [`r${n % 6}`], score: n % 13 } });
            } else {
              res = await send('DELETE', `${collection}/${target.id}`);
            }
          }
          writesAnswered++;
          const key = `${action} ${res.status}`;
          answered.set(key, (answered.get(key) ?? 0) + 1);
          // A unique clash (409) and a racing delete (404) are ordinary answers; a 5xx is not.
          expect(res.status, `${action}: ${res.text}`).to.be.oneOf([200, 201, 204, 404, 409]);
        } catch (error) {
          if (!/ECONNRESET|ECONNREFUSED|socket hang up|no response within/.test((error as Error).message)) throw error;
        } finally {
          inFlight--;
        }
      };
      let failure: unknown = null;
      const writers = Array.from({ length: 4 }, async () => {
        while (running) {
          await oneWrite().catch((error) => {
            failure ??= error;
            running = false;
          });
          if (!server.running) await sleep(20);
        }
      });

      const writesInFlightAtKill: number[] = [];
      try {
        for (let round = 0; round < KILLS && running; round++) {
          // Some writes done on this process (bounded wait), then a kill at a random moment.
          const enough = writesAnswered + 6;
          for (const deadline = Date.now() + 60_000; writesAnswered < enough && running && Date.now() < deadline; ) await sleep(20);
          await sleep(Math.random() * 600);
          writesInFlightAtKill.push(inFlight);
          await server.kill();
          const verified = await verifyDatabase(db.url, filesDir);
          expect(verified.code, `after kill ${round + 1}:\n${verified.output}`).to.equal(0);
          expect(verified.output).to.match(/consistent/);
          server = await startServerProcess(env, { name: `writer-target-${round + 1}` });
        }
      } finally {
        running = false;
        await Promise.all(writers);
      }
      if (failure) throw failure;
      expect(answered.get('create 201') ?? 0, `answers: ${JSON.stringify([...answered])}`).to.be.greaterThan(KILLS * 2);
      expect(writesAnswered, `answers: ${JSON.stringify([...answered])}`).to.be.at.least(KILLS * 6);
      expect(Math.max(...writesInFlightAtKill), 'some kill landed while writes were in flight').to.be.greaterThan(0);

      // The restarted server agrees with what the database holds.
      const page = await server.request('GET', `${collection}?perPage=1`, { key: writer.key });
      expect(page.status, page.text).to.equal(200);
      await server.kill();
      const final = await verifyDatabase(db.url, filesDir);
      expect(final.code, final.output).to.equal(0);
      expect(final.output).to.include(`${page.body.stats.total} items, consistent`);
    });

    it('db:verify reports a missing index row, a wrong counter and missing bytes, and exits 1', async () => {
      const sql = async (statement: string) => {
        if (db.dialect === 'sqlite') {
          const file = new BetterSqlite3(db.file!);
          try {
            file.prepare(statement).run();
          } finally {
            file.close();
          }
          return;
        }
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          await client.query(statement);
        } finally {
          await client.end();
        }
      };
      const server = await startServerProcess(env, { name: 'tamper' });
      const adminKey = await adminKeyFrom(server);
      const type = await aThingType(server, adminKey);
      const user = await aUserWithKey(server, adminKey, ['useApi'], [type.id]);
      const form = multipart('kept.txt', 'kept bytes');
      const up = await server.request('POST', `/api/v1/upload/${type.systemName}/doc`, { key: user.key, ...form });
      expect(up.status, up.text).to.equal(200);
      const item = await server.request('POST', `/api/v1/collection/${type.systemName}`, { key: user.key, body: { code: `tamper-${tag()}`, labels: ['a', 'b'], status: 'open', doc: up.body[0] } });
      expect(item.status, item.text).to.equal(201);
      await server.stop();
      expect((await verifyDatabase(db.url, filesDir)).code, 'consistent before tampering').to.equal(0);

      await sql(`DELETE FROM "ItemValue" WHERE "itemId" = ${item.body.id} AND "position" = 1`);
      await sql(`UPDATE "TypeCount" SET "count" = "count" + 1 WHERE "typeId" = ${type.id}`);
      const tenantDir = readdirSync(filesDir).find((name) => /^\d+$/.test(name))!;
      for (const name of readdirSync(path.join(filesDir, tenantDir))) rmSync(path.join(filesDir, tenantDir, name));

      const verified = await verifyDatabase(db.url, filesDir);
      expect(verified.code, verified.output).to.equal(1);
      expect(verified.output).to.match(new RegExp(`Item ${item.body.id} ItemValue: missing`));
      expect(verified.output).to.match(new RegExp(`TypeCount of type ${type.id} .*but it has`));
      expect(verified.output).to.match(new RegExp(`Item ${item.body.id} ItemFile "kept.txt": stored bytes .* are missing`));
    });
  });

  describe('Redis stopped and restarted under load (a private redis-server)', () => {
    let db: TestDatabase | undefined;
    let redis: PrivateRedis | undefined;

    before(async function () {
      if (!usingPostgres() || !usingRedis()) {
        console.log('      skipped: runs in the PostgreSQL + Redis pass (DATABASE_URL=postgresql://… and REDIS_URL); it starts its own redis-server');
        this.skip();
      }
      db = await createTestDatabase();
    });
    after(async () => {
      await stopAllProcesses();
      await redis?.process.kill();
      await db?.drop();
    });

    it('every answer stays the right one for its key (200 with its own user, never 5xx), and keys revoked during and right after the outage are refused on the next request on both processes', async () => {
      redis = await startRedis();
      const env = { DATABASE_URL: db!.url, REDIS_URL: redis.url, REDIS_PREFIX: `jt-faults-${tag()}`, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn' };
      const p = await startServerProcess(env, { name: 'P' });
      const q = await startServerProcess(env, { name: 'Q' });
      const adminKey = await adminKeyFrom(p);
      const type = await aThingType(p, adminKey);
      const users = await Promise.all(Array.from({ length: 4 }, () => aUserWithKey(p, adminKey, ['useApi', 'profile'], [type.id])));
      const [revokedDuring, revokedAfter] = users;
      for (const code of ['one', 'two', 'three']) {
        const created = await p.request('POST', `/api/v1/collection/${type.systemName}`, { key: users[3].key, body: { code, labels: ['x'], status: 'open' } });
        expect(created.status, created.text).to.equal(201);
      }
      /** When each revocation was answered: any request sent later must be refused. */
      const revokedAt = new Map<string, number>();
      const problems: string[] = [];
      const counts = new Map<string, number>();
      let running = true;

      const worker = async (w: number) => {
        for (let i = 0; running; i++) {
          const server = (w + i) % 2 ? p : q;
          const user = users[(w + i) % users.length];
          const sentAt = Date.now();
          const read = i % 3 === 2;
          const res = read
            ? await server.request('GET', `/api/v1/collection/${type.systemName}?perPage=5`, { key: user.key })
            : await server.request('GET', '/api/v1/app/user.current', { key: user.key });
          const revoked = revokedAt.get(user.key);
          const label = `${server.name} ${read ? 'list' : 'user.current'} ${res.status}`;
          counts.set(label, (counts.get(label) ?? 0) + 1);
          if (revoked !== undefined && sentAt > revoked) {
            if (res.status !== 403 || res.body.code !== 'API_KEY_INVALID') problems.push(`${label}: revoked key answered ${res.text.slice(0, 200)}`);
          } else if (revoked === undefined) {
            if (res.status !== 200) problems.push(`${label}: ${res.text.slice(0, 200)}`);
            else if (!read && res.body.id !== user.id) problems.push(`${label}: answered user ${res.body.id} for the key of user ${user.id}`);
            else if (read && res.body.stats.total !== 3) problems.push(`${label}: a page of ${res.body.stats.total} items, not 3`);
          }
        }
      };
      const workers = Array.from({ length: 4 }, (_, w) => worker(w));
      const expectRefusedEverywhere = async (user: KeyedUser, when: string) => {
        for (const server of [p, q]) {
          const res = await server.request('GET', '/api/v1/app/user.current', { key: user.key });
          expect(res.status, `${when}, on ${server.name}: ${res.text}`).to.equal(403);
          expect(res.body.code).to.equal('API_KEY_INVALID');
        }
      };
      try {
        await sleep(1500);
        await redis.process.kill();
        await sleep(1500);
        const during = await p.request('POST', '/api/v1/deauth', { body: { key: revokedDuring.key } });
        expect(during.status, during.text).to.equal(200);
        revokedAt.set(revokedDuring.key, Date.now());
        await expectRefusedEverywhere(revokedDuring, 'revoked while Redis is down');
        await sleep(1000);
        redis = await startRedis({ port: redis.port });
        const after = await q.request('POST', '/api/v1/deauth', { body: { key: revokedAfter.key } });
        expect(after.status, after.text).to.equal(200);
        revokedAt.set(revokedAfter.key, Date.now());
        await expectRefusedEverywhere(revokedAfter, 'revoked right after Redis came back');
        await sleep(2000);
        await expectRefusedEverywhere(revokedDuring, 'revoked while Redis was down, seen after it came back');
      } finally {
        running = false;
        await Promise.all(workers);
      }
      const answered = [...counts.values()].reduce((a, b) => a + b, 0);
      expect(problems, `${problems.length} wrong answers of ${answered}; counts ${JSON.stringify([...counts])}`).to.deep.equal([]);
      expect(answered, 'the load ran').to.be.greaterThan(100);
    });
  });

  describe('PostgreSQL restarted under load (a private cluster)', () => {
    let cluster: PrivatePostgres | undefined;

    before(async function () {
      if (!usingPostgres()) {
        console.log('      skipped: runs in the PostgreSQL pass (DATABASE_URL=postgresql://…); it starts its own cluster');
        this.skip();
      }
      if (!pgBin()) {
        console.log('      skipped: PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BIN');
        this.skip();
      }
      cluster = await startPrivatePostgres();
    });
    after(async () => {
      await stopAllProcesses();
      await cluster?.destroy();
    });

    it('answers 503 DATABASE_UNAVAILABLE with Retry-After (never 500) while it is down, and 200 again once it is back, without a server restart', async () => {
      const url = await cluster!.createDatabase(`faults_${tag()}`);
      const unlimited = { KEY_RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_IP: '1000000', AUTH_RATE_LIMIT_PER_LOGIN: '1000000' };
      const server = await startServerProcess({ DATABASE_URL: url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn', ...unlimited }, { name: 'pg-restart' });
      const adminKey = await adminKeyFrom(server);
      const type = await aThingType(server, adminKey);
      const user = await aUserWithKey(server, adminKey, ['useApi', 'profile'], [type.id]);
      const collection = `/api/v1/collection/${type.systemName}`;
      let phase: 'up' | 'down' | 'back' = 'up';
      const seen = new Map<string, number>();
      const problems: string[] = [];
      let running = true;
      let n = 0;
      const worker = async () => {
        while (running) {
          const i = ++n;
          const at = phase;
          const [method, target, body] =
            i % 3 === 0
              ? ['POST', collection, { code: `c${i}`, labels: ['a', 'b'], status: 'open' }]
              : i % 3 === 1
                ? ['GET', `${collection}?perPage=5`, undefined]
                : ['POST', '/api/v1/auth', { user: ADMIN.email, password: ADMIN.password }];
          const res = await server.request(method, target, { key: target === collection || method === 'GET' ? user.key : undefined, body });
          const label = `${at} ${method} ${target.replace(/\?.*/, '')} ${res.status} ${res.status >= 500 ? res.body.code : ''}`.trim();
          seen.set(label, (seen.get(label) ?? 0) + 1);
          if (res.status === 503) {
            if (res.body.code !== 'DATABASE_UNAVAILABLE') problems.push(`503 with code ${res.body.code}`);
            if (!(Number(res.headers['retry-after']) >= 1)) problems.push(`503 without Retry-After: ${JSON.stringify(res.headers)}`);
          } else if (![200, 201, 204].includes(res.status)) {
            // 204: an empty page (before the first create lands).
            problems.push(`${label}: ${res.text.slice(0, 200)}`);
          }
        }
      };
      const workers = Array.from({ length: 4 }, worker);
      try {
        await sleep(1000);
        phase = 'down';
        await cluster!.stop();
        await sleep(2000);
        const down = await server.request('GET', `${collection}?perPage=5`, { key: user.key });
        expect(down.status, down.text).to.equal(503);
        expect(down.body.code).to.equal('DATABASE_UNAVAILABLE');
        expect(Number(down.headers['retry-after'])).to.be.within(1, 60);
        const readyz = await server.request('GET', '/readyz');
        expect(readyz.status).to.equal(503);
        await cluster!.start();
        phase = 'back';
        // The pool drops the connections the restart cut and opens new ones: a request or two
        // may still meet a dead one (503), then every request succeeds.
        const deadline = Date.now() + 10_000;
        let back = await server.request('GET', `${collection}?perPage=5`, { key: user.key });
        while (back.status !== 200 && Date.now() < deadline) {
          await sleep(100);
          back = await server.request('GET', `${collection}?perPage=5`, { key: user.key });
        }
        expect(back.status, back.text).to.equal(200);
        await sleep(1500);
      } finally {
        running = false;
        await Promise.all(workers);
      }
      const failures = server.logRecords().filter((r) => r.msg === 'request failed');
      expect(problems, `${JSON.stringify([...seen])}\n${JSON.stringify(failures)}`).to.deep.equal([]);
      const refused = [...seen].filter(([label]) => /^down .* 503 DATABASE_UNAVAILABLE$/.test(label));
      expect(refused.length, `reads and writes both refused while down: ${JSON.stringify([...seen])}`).to.equal(3);
      const lastAnswers = await Promise.all([
        server.request('GET', `${collection}?perPage=5`, { key: user.key }),
        server.request('POST', collection, { key: user.key, body: { code: `after-${tag()}`, status: 'done' } }),
        server.request('GET', '/api/v1/app/user.current', { key: user.key }),
      ]);
      expect(lastAnswers.map((r) => r.status), lastAnswers.map((r) => r.text).join('\n')).to.deep.equal([200, 201, 200]);
      expect(server.running, 'the same process served throughout').to.equal(true);
      const logged = server.logRecords();
      expect(logged.some((r) => r.msg === 'database unavailable'), 'the outage is logged as a warning').to.equal(true);
      expect(logged.filter((r) => r.msg === 'request failed'), 'no request failed with a 500').to.deep.equal([]);
    });
  });
});
