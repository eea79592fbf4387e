// Verification limits across two real server processes on one database (a SQLite file, or
// PostgreSQL with Redis when DATABASE_URL and REDIS_URL name them): the retry cooldown and
// lifetime cap, and the wrong-answer cap, bind both processes, because they are counters in
// the database changed only by conditional updates.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { startServerProcess, stopAllProcesses, type ServerProcess } from '../helpers/process.ts';
import { ADMIN, adminKeyFrom, aUserWithKey } from '../helpers/process-users.ts';

describe('verification limits across two server processes', function () {
  this.timeout(120_000);
  let db: TestDatabase | undefined;
  let sql: Database;
  let a: ServerProcess;
  let b: ServerProcess;
  let registrar: string;
  const domain = 'processes.example.com';

  before(async function () {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `jt-e2e-${randomBytes(4).toString('hex')}`, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PUBLIC_BASE_URL: 'https://accounts.example.test' };
    a = await startServerProcess(env, { name: 'A', readyTimeoutMs: 90_000 });
    b = await startServerProcess(env, { name: 'B', readyTimeoutMs: 90_000 });
    const adminKey = await adminKeyFrom(a);
    registrar = (await aUserWithKey(a, adminKey, ['useApi', 'apiUserRegistration'])).key;
    const settings = await a.request('PATCH', '/api/v1/admin/settings', {
      key: adminKey,
      body: { registrationEnvelope: { allowedDomains: [domain], allowedRoles: [], allowedGroups: [] }, verification: { retryLimit: 2 } },
    });
    expect(settings.status, settings.text).to.equal(200);
    // The test's own client on the same database: it reads the counters and moves the clock.
    sql = await openDatabase({ databaseUrl: db.url });
  });

  after(async () => {
    await sql?.close();
    await stopAllProcesses();
    await db?.drop();
  });

  async function aChallenge() {
    const res = await a.request('POST', '/api/v1/app/user.register', {
      key: registrar,
      body: { user_id: `p-${randomBytes(4).toString('hex')}@${domain}`, user_name: 'Two Processes', verify_account: { methods: ['mail_code'] } },
    });
    expect(res.status, res.text).to.equal(200);
    return { userId: res.body.object.id as number, challengeId: res.body.challenge as string };
  }

  /** The cooldown over, as if its time had passed (the same clock for both processes). */
  const cooldownOver = (publicId: string) =>
    sql.prisma.verificationChallenge.updateMany({ where: { publicId }, data: { nextSendAt: new Date(Date.now() - 1000) } });
  const counters = (publicId: string) =>
    sql.prisma.verificationChallenge.findUniqueOrThrow({ where: { publicId }, select: { failures: true, retries: true, state: true } });

  const retryOn = (server: ServerProcess, challengeId: string) => server.request('POST', '/api/v1/app/user.challengeRetry', { key: registrar, body: { challengeId } });

  it('a send on A puts B in the cooldown; of two retries at once on A and B one sends; the cap holds on both', async () => {
    const c = await aChallenge();
    const onB = await retryOn(b, c.challengeId);
    expect(onB.status, onB.text).to.equal(429);
    expect(onB.body.code).to.equal('CHALLENGE_RETRY_COOLDOWN');
    expect(Number(onB.headers['retry-after'])).to.be.within(50, 60);

    await cooldownOver(c.challengeId);
    const both = await Promise.all([retryOn(a, c.challengeId), retryOn(b, c.challengeId)]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([200, 429]);
    // The second send's cooldown (120 s) holds on both.
    for (const server of [a, b]) {
      const res = await retryOn(server, c.challengeId);
      expect(res.status).to.equal(429);
      expect(Number(res.headers['retry-after'])).to.be.within(110, 120);
    }

    await cooldownOver(c.challengeId);
    expect((await retryOn(b, c.challengeId)).status).to.equal(200);
    await cooldownOver(c.challengeId);
    for (const server of [a, b]) {
      const capped = await retryOn(server, c.challengeId);
      expect(capped.status, capped.text).to.equal(429);
      expect(capped.body.code).to.equal('CHALLENGE_RETRY_LIMIT');
      expect(capped.headers['retry-after']).to.match(/^\d+$/);
    }
    expect((await counters(c.challengeId)).retries).to.equal(2);
  });

  it('wrong answers sent to A and B at once stop at five, and the challenge is locked', async () => {
    const c = await aChallenge();
    const guesses = Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? a : b).request('POST', '/api/v1/app/user.challenge', { body: { ...c, method: 'mail_code', secret: `guess-${i}` } }));
    for (const res of await Promise.all(guesses)) expect(res.body).to.deep.equal({ methodDone: false, challengeCompleted: false });
    expect(await counters(c.challengeId)).to.include({ failures: 5, state: 'locked' });
  });
});
