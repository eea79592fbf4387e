// Mail and SMS delivery across real server processes sharing PostgreSQL and Redis (the
// scale-out deployment; SQLite serves one process): send quotas hold across processes, two
// pollers never deliver one message twice, and no log line carries a message body or a
// transport secret.
// Needs DATABASE_URL=postgresql://… and REDIS_URL (scripts/ci/services.sh start && eval "$(… env)").
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createTestDatabase, usingPostgres, usingRedis, type TestDatabase } from '../helpers/database.ts';
import { sleep, startServerProcess, stopAllProcesses, type Env, type ServerProcess } from '../helpers/process.ts';
import { ADMIN, adminKeyFrom } from '../helpers/process-users.ts';
import { startMailSink, type MailSink } from '../helpers/mail-sink.ts';
import { startSmsSink, type SmsSink } from '../helpers/sms-sink.ts';
import { waitUntil } from '../helpers/expectations.ts';

const SMTP_PASSWORD = `smtp-${randomBytes(6).toString('hex')}`;

describe('delivery across two server processes', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let mail: MailSink;
  let sms: SmsSink;
  let a: ServerProcess;
  let b: ServerProcess;
  let key: string;

  before(async function () {
    if (!usingPostgres() || !usingRedis()) {
      console.log('      skipped: needs DATABASE_URL=postgresql://… and REDIS_URL — run `bash scripts/ci/services.sh start && eval "$(bash scripts/ci/services.sh env)"` first');
      this.skip();
    }
    db = await createTestDatabase();
    mail = await startMailSink({ username: 'mailer', password: SMTP_PASSWORD });
    sms = await startSmsSink();
    const env: Env = {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `jt-e2e-${randomBytes(4).toString('hex')}`,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      SMTP_URL: mail.url,
      SMS_WEBHOOK_URL: sms.url,
      SMS_WEBHOOK_SECRET: sms.secret,
      DELIVERY_RETRY_BASE_MS: '100',
      DELIVERY_RETRY_MAX_DELAY_MS: '200',
      DELIVERY_POLL_MS: '50',
    };
    a = await startServerProcess(env, { name: 'A', readyTimeoutMs: 90_000 }); // migrates and bootstraps first
    b = await startServerProcess(env, { name: 'B', readyTimeoutMs: 90_000 });
    key = await adminKeyFrom(a);
  });

  after(async () => {
    await stopAllProcesses();
    await mail?.close();
    await sms?.close();
    await db?.drop();
  });

  it('a per-address quota of 4 holds across the processes: 12 concurrent test mails, 4 sent, 8 answered 429', async () => {
    const patched = await a.request('PATCH', '/api/v1/admin/settings', { key, body: { deliverySettings: { mail: { perDestinationHourly: 4 } } } });
    expect(patched.status, patched.text).to.equal(200);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).request('POST', '/api/v1/app/mail.test', { key, body: { to: 'quota@example.test' } })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses, answers.map((r) => r.text).join('\n')).to.deep.equal([...Array(4).fill(201), ...Array(8).fill(429)]);
    for (const refused of answers.filter((r) => r.status === 429)) {
      expect(refused.body.code).to.equal('DESTINATION_QUOTA_EXCEEDED');
      expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
    }
    await waitUntil(async () => mail.messagesTo('quota@example.test').length, (n) => n >= 4, 15_000);
    await sleep(500);
    expect(mail.messagesTo('quota@example.test')).to.have.length(4);
    const list = await b.request('GET', '/api/v1/app/outbox.list?destination=quota@example.test', { key });
    expect(list.body.total).to.equal(4);
  });

  it('an SMTP server refusing the first 8 deliveries: both processes retry, each of 8 mails arrives exactly once', async () => {
    await a.request('PATCH', '/api/v1/admin/settings', { key, body: { deliverySettings: { mail: { perDestinationHourly: 10 } } } });
    mail.refuseNext(8);
    const addresses = Array.from({ length: 8 }, (_, i) => `once-${i}@example.test`);
    const answers = await Promise.all(addresses.map((to, i) => (i % 2 ? a : b).request('POST', '/api/v1/app/mail.test', { key, body: { to } })));
    expect(answers.map((r) => r.status)).to.deep.equal(Array(8).fill(201));
    await waitUntil(async () => addresses.every((to) => mail.messagesTo(to).length > 0), (done) => done, 30_000);
    await sleep(1_000); // time for a duplicate to show up, if the claim let one through
    for (const to of addresses) expect(mail.messagesTo(to), to).to.have.length(1);
    expect(mail.refused).to.be.at.least(8);
    const list = await a.request('GET', '/api/v1/app/outbox.list?purpose=test&status=sent&limit=200', { key });
    expect(list.body.total).to.equal(12);
  });

  it('an SMS through the webhook from one process, the budget counted across both', async () => {
    await a.request('PATCH', '/api/v1/admin/settings', { key, body: { deliverySettings: { sms: { allowedCountryPrefixes: ['+420'], perTenantDaily: 2 } } } });
    expect((await a.request('POST', '/api/v1/app/sms.test', { key, body: { to: '+420777100100' } })).status).to.equal(201);
    expect((await b.request('POST', '/api/v1/app/sms.test', { key, body: { to: '+420777100200' } })).status).to.equal(201);
    const third = await a.request('POST', '/api/v1/app/sms.test', { key, body: { to: '+420777100300' } });
    expect(third.status, third.text).to.equal(429);
    expect(third.body.code).to.equal('SMS_BUDGET_EXHAUSTED');
    await sms.waitFor('+420777100200');
    expect(sms.badSignatures).to.equal(0);
  });

  it('no log line of either process holds a message body, the SMTP password or the webhook secret', async () => {
    await a.stop();
    await b.stop();
    expect(a.child.exitCode, a.describe()).to.equal(0);
    expect(b.child.exitCode, b.describe()).to.equal(0);
    const output = a.stdout + a.stderr + b.stdout + b.stderr;
    expect(output).to.include('message delivered');
    expect(output).to.include('will retry');
    for (const secret of ['mail delivery works', 'SMS delivery works', SMTP_PASSWORD, sms.secret]) {
      expect(output.includes(secret), `"${secret}" in the logs`).to.equal(false);
    }
  });
});
