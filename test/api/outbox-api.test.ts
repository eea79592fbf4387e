// The operators' outbox API through HTTP: test mail and SMS through the same outbox, the list
// and the audit (appManagement, the caller's tenant only), and the tenant's delivery guards
// (quotas 429 + Retry-After, SMS country allow-list and budget), on SQLite and PostgreSQL.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startMailSink, type MailSink } from '../helpers/mail-sink.ts';
import { startSmsSink, type SmsSink } from '../helpers/sms-sink.ts';
import { aTenant, type TestTenant } from '../helpers/tenants.ts';
import { aUser } from '../helpers/principals.ts';
import { expectError, waitUntil } from '../helpers/expectations.ts';

describe('outbox API: with nothing configured the outbox is the delivery', function () {
  this.timeout(120_000);
  let server: TestServer;
  let a: TestTenant;
  let b: TestTenant;
  before(async () => {
    server = await startTestServer();
    a = await aTenant(server);
    b = await aTenant(server);
  });
  after(async () => server?.stop());

  const as = (t: TestTenant) => ({ key: t.admin.key, host: t.host });

  describe('POST /app/mail.test', () => {
    it('answers 201 with the message stored in the outbox, its text readable by operators', async () => {
      const res = await server.request('POST', '/api/v1/app/mail.test', { ...as(a), body: { to: 'Operator@Example.test' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ channel: 'mail', destination: 'operator@example.test', status: 'stored', purpose: 'test', attempts: 0, userId: a.admin.id });
      expect(res.body.text).to.include('mail delivery works');
    });

    it('answers 400 VALIDATION_FAILED for a malformed address and writes nothing', async () => {
      const before = await server.request('GET', '/api/v1/app/outbox.list', as(a));
      const res = await server.request('POST', '/api/v1/app/mail.test', { ...as(a), body: { to: 'not an address' } });
      expect(res.status).to.equal(400);
      const after = await server.request('GET', '/api/v1/app/outbox.list', as(a));
      expect(after.body.total).to.equal(before.body.total);
    });
  });

  describe('GET /app/outbox.list', () => {
    before(async () => {
      for (const to of ['one@example.test', 'two@example.test', 'two@example.test']) {
        const res = await server.request('POST', '/api/v1/app/mail.test', { ...as(a), body: { to } });
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
      }
    });

    it('says where each channel goes and lists newest first', async () => {
      const res = await server.request('GET', '/api/v1/app/outbox.list', as(a));
      expect(res.status).to.equal(200);
      expect(res.body.delivery).to.deep.equal({ mail: 'outbox', sms: 'outbox' });
      expect(res.body.total).to.equal(4);
      expect(res.body.data.map((m: { destination: string }) => m.destination)).to.deep.equal(['two@example.test', 'two@example.test', 'one@example.test', 'operator@example.test']);
    });

    it('filters by destination (any case), purpose, status and channel, and pages', async () => {
      const byDestination = await server.request('GET', '/api/v1/app/outbox.list?destination=TWO@example.test', as(a));
      expect(byDestination.body.total).to.equal(2);
      const none = await server.request('GET', '/api/v1/app/outbox.list?purpose=verification', as(a));
      expect(none.body).to.deep.include({ total: 0, data: [] });
      const stored = await server.request('GET', '/api/v1/app/outbox.list?status=stored&channel=mail&purpose=test', as(a));
      expect(stored.body.total).to.equal(4);
      const page = await server.request('GET', '/api/v1/app/outbox.list?limit=2&offset=1', as(a));
      expect(page.body.total).to.equal(4);
      expect(page.body.data.map((m: { destination: string }) => m.destination)).to.deep.equal(['two@example.test', 'one@example.test']);
    });

    it('answers 400 for an unknown status', async () => {
      const res = await server.request('GET', '/api/v1/app/outbox.list?status=lost', as(a));
      expect(res.status).to.equal(400);
    });

    it("shows tenant A none of B's messages, and B none of A's", async () => {
      await server.request('POST', '/api/v1/app/mail.test', { ...as(b), body: { to: 'b-only@example.test' } });
      const seenByA = await server.request('GET', '/api/v1/app/outbox.list?destination=b-only@example.test', as(a));
      expect(seenByA.body.total).to.equal(0);
      const seenByB = await server.request('GET', '/api/v1/app/outbox.list', as(b));
      expect(seenByB.body.data.map((m: { destination: string }) => m.destination)).to.deep.equal(['b-only@example.test']);
      const auditOfB = await server.request('GET', '/api/v1/app/account.audit', as(b));
      expect(auditOfB.body.data.every((e: { userId: number }) => e.userId === b.admin.id)).to.equal(true);
    });
  });

  describe('GET /app/account.audit', () => {
    it('records every send with user, method and IP, and never the text', async () => {
      const res = await server.request('GET', '/api/v1/app/account.audit?event=send', as(a));
      expect(res.status).to.equal(200);
      expect(res.body.total).to.equal(4);
      const [entry] = res.body.data;
      expect(entry).to.include({ event: 'send', method: 'mail', userId: a.admin.id });
      expect(entry.ip).to.be.a('string').and.not.equal('');
      expect(entry.detail).to.include({ purpose: 'test', delivery: 'outbox' });
      expect(JSON.stringify(res.body)).not.to.include('mail delivery works');
    });

    it('filters by user', async () => {
      const res = await server.request('GET', `/api/v1/app/account.audit?userId=${b.admin.id}`, as(a));
      expect(res.body.total).to.equal(0);
    });
  });

  describe('without appManagement', () => {
    it('answers 403 PERMISSION_DENIED on every outbox command and sends nothing', async () => {
      const user = await aUser(server, ['useApi'], { key: a.admin.key, host: a.host });
      const auth = { key: user.key, host: a.host };
      expectError(await server.request('GET', '/api/v1/app/outbox.list', auth), 403, 'PERMISSION_DENIED');
      expectError(await server.request('GET', '/api/v1/app/account.audit', auth), 403, 'PERMISSION_DENIED');
      expectError(await server.request('POST', '/api/v1/app/mail.test', { ...auth, body: { to: 'x@example.test' } }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('POST', '/api/v1/app/sms.test', { ...auth, body: { to: '+420777000111' } }), 403, 'PERMISSION_DENIED');
      const list = await server.request('GET', '/api/v1/app/outbox.list?destination=x@example.test', as(a));
      expect(list.body.total).to.equal(0);
    });
  });

  describe('delivery settings and guards', () => {
    let t: TestTenant;
    before(async () => {
      t = await aTenant(server);
    });

    it('GET /admin/settings shows the defaults: no SMS country allowed', async () => {
      const res = await server.request('GET', '/api/v1/admin/settings', as(t));
      expect(res.body.settings.deliverySettings.sms.allowedCountryPrefixes).to.deep.equal([]);
      expect(res.body.settings.deliverySettings.mail.perDestinationHourly).to.equal(10);
    });

    it('an SMS before any country is allowed answers 422 SMS_COUNTRY_NOT_ALLOWED and writes nothing', async () => {
      expectError(await server.request('POST', '/api/v1/app/sms.test', { ...as(t), body: { to: '+420777000111' } }), 422, 'SMS_COUNTRY_NOT_ALLOWED');
      const list = await server.request('GET', '/api/v1/app/outbox.list?channel=sms', as(t));
      expect(list.body.total).to.equal(0);
      const throttles = await waitUntil(() => server.request('GET', '/api/v1/app/account.audit?event=throttle', as(t)), (r) => r.body.total > 0);
      expect(throttles.body.data[0]).to.include({ event: 'throttle', method: 'sms' });
      expect(throttles.body.data[0].detail).to.include({ rule: 'sms.allowedCountryPrefixes', refusal: 'SMS_COUNTRY_NOT_ALLOWED' });
    });

    it('a number that is not E.164 answers 400 INVALID_PHONE_NUMBER', async () => {
      expectError(await server.request('POST', '/api/v1/app/sms.test', { ...as(t), body: { to: '777000111' } }), 400, 'INVALID_PHONE_NUMBER');
    });

    it('PATCH writes one field at a time and refuses a malformed prefix', async () => {
      expect((await server.request('PATCH', '/api/v1/admin/settings', { ...as(t), body: { deliverySettings: { sms: { allowedCountryPrefixes: ['420'] } } } })).status).to.equal(400);
      const res = await server.request('PATCH', '/api/v1/admin/settings', { ...as(t), body: { deliverySettings: { sms: { allowedCountryPrefixes: ['+420'], perDestinationHourly: 2 } } } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const again = await server.request('PATCH', '/api/v1/admin/settings', { ...as(t), body: { deliverySettings: { mail: { perDestinationHourly: 2 } } } });
      expect(again.body.settings.deliverySettings.sms).to.include({ perDestinationHourly: 2, perDestinationDaily: 10 });
      expect(again.body.settings.deliverySettings.sms.allowedCountryPrefixes).to.deep.equal(['+420']);
      expect(again.body.settings.deliverySettings.mail).to.include({ perDestinationHourly: 2, perTenantDaily: 5000 });
    });

    it('per number: the third SMS in an hour answers 429 DESTINATION_QUOTA_EXCEEDED with Retry-After, and other countries stay refused', async () => {
      for (let i = 0; i < 2; i++) expect((await server.request('POST', '/api/v1/app/sms.test', { ...as(t), body: { to: '+420777000111' } })).status).to.equal(201);
      const third = await server.request('POST', '/api/v1/app/sms.test', { ...as(t), body: { to: '+420777000111' } });
      expectError(third, 429, 'DESTINATION_QUOTA_EXCEEDED');
      const retryAfter = Number(third.headers['retry-after']);
      expect(retryAfter).to.be.within(3500, 3600);
      expect((await server.request('POST', '/api/v1/app/sms.test', { ...as(t), body: { to: '+420777000222' } })).status).to.equal(201);
      expectError(await server.request('POST', '/api/v1/app/sms.test', { ...as(t), body: { to: '+12025550100' } }), 422, 'SMS_COUNTRY_NOT_ALLOWED');
      const list = await server.request('GET', '/api/v1/app/outbox.list?channel=sms', as(t));
      expect(list.body.total).to.equal(3);
      // An unencoded "+" arrives as a space; the filter still finds the number.
      const unencoded = await server.request('GET', '/api/v1/app/outbox.list?destination=+420777000111', as(t));
      expect(unencoded.body.total).to.equal(2);
    });

    it('per address: the third mail in an hour answers 429 DESTINATION_QUOTA_EXCEEDED; another address still goes', async () => {
      for (let i = 0; i < 2; i++) expect((await server.request('POST', '/api/v1/app/mail.test', { ...as(t), body: { to: 'quota@example.test' } })).status).to.equal(201);
      const third = await server.request('POST', '/api/v1/app/mail.test', { ...as(t), body: { to: 'QUOTA@example.test' } });
      expectError(third, 429, 'DESTINATION_QUOTA_EXCEEDED');
      expect(Number(third.headers['retry-after'])).to.be.greaterThan(0);
      expect((await server.request('POST', '/api/v1/app/mail.test', { ...as(t), body: { to: 'other@example.test' } })).status).to.equal(201);
    });

    it('per tenant: past the hourly quota 429 TENANT_SEND_QUOTA_EXCEEDED; the SMS daily budget 429 SMS_BUDGET_EXHAUSTED', async () => {
      await server.request('PATCH', '/api/v1/admin/settings', { ...as(t), body: { deliverySettings: { mail: { perTenantHourly: 3 }, sms: { perTenantDaily: 3 } } } });
      expectError(await server.request('POST', '/api/v1/app/mail.test', { ...as(t), body: { to: 'fresh@example.test' } }), 429, 'TENANT_SEND_QUOTA_EXCEEDED');
      const budget = await server.request('POST', '/api/v1/app/sms.test', { ...as(t), body: { to: '+420777000333' } });
      expectError(budget, 429, 'SMS_BUDGET_EXHAUSTED');
      expect(budget.body.message).to.include('daily SMS budget');
      expect(Number(budget.headers['retry-after'])).to.be.within(86_000, 86_400);
      // The other tenant's quotas are its own.
      expect((await server.request('POST', '/api/v1/app/mail.test', { ...as(b), body: { to: 'fresh@example.test' } })).status).to.equal(201);
    });
  });
});

describe('outbox API: with SMTP and the SMS webhook configured', function () {
  this.timeout(120_000);
  let mail: MailSink;
  let sms: SmsSink;
  let server: TestServer;
  let t: TestTenant;
  before(async () => {
    mail = await startMailSink({ username: 'mailer', password: 'smtp-pass-word' });
    sms = await startSmsSink();
    server = await startTestServer({
      SMTP_URL: mail.url,
      SMS_WEBHOOK_URL: sms.url,
      SMS_WEBHOOK_SECRET: sms.secret,
      DELIVERY_RETRY_BASE_MS: '100',
      DELIVERY_POLL_MS: '100',
    });
    t = await aTenant(server);
    await server.request('PATCH', '/api/v1/admin/settings', { key: t.admin.key, host: t.host, body: { deliverySettings: { sms: { allowedCountryPrefixes: ['+420'] } } } });
  });
  after(async () => {
    await server?.stop();
    await mail?.close();
    await sms?.close();
  });
  const as = () => ({ key: t.admin.key, host: t.host });

  it('a test mail arrives over SMTP (with auth); the list says smtp and the sent row holds no text', async () => {
    const res = await server.request('POST', '/api/v1/app/mail.test', { ...as(), body: { to: 'ops@example.test' } });
    expect(res.status).to.equal(201);
    const received = await mail.waitFor('ops@example.test');
    expect(received.text).to.include('mail delivery works');
    expect(received.messageId).to.equal(`<outbox-${res.body.id}@localhost>`);
    const list = await waitUntil(() => server.request('GET', '/api/v1/app/outbox.list?purpose=test', as()), (r) => r.body.data[0]?.status === 'sent');
    expect(list.body.delivery).to.deep.equal({ mail: 'smtp', sms: 'webhook' });
    expect(list.body.data[0]).to.include({ status: 'sent', text: null, html: null, attempts: 1, lastError: null });
    expect(list.body.data[0].sentAt).to.be.a('string');
    const delivered = await server.request('GET', '/api/v1/app/account.audit?event=delivered', as());
    expect(delivered.body.data[0]).to.include({ method: 'mail', userId: t.admin.id });
  });

  it('a test SMS reaches the webhook with a valid signature and an idempotency key', async () => {
    const res = await server.request('POST', '/api/v1/app/sms.test', { ...as(), body: { to: '+420777123456' } });
    expect(res.status).to.equal(201);
    const received = await sms.waitFor('+420777123456');
    expect(received).to.include({ id: res.body.id, purpose: 'test', idempotencyKey: `outbox-${res.body.id}` });
    expect(received.text).to.include('SMS delivery works');
    expect(sms.badSignatures).to.equal(0);
  });

  it('a webhook that fails twice, then accepts: retried, delivered once, the failures audited', async () => {
    sms.failNext(2);
    const res = await server.request('POST', '/api/v1/app/sms.test', { ...as(), body: { to: '+420777654321' } });
    await sms.waitFor('+420777654321');
    const list = await waitUntil(() => server.request('GET', '/api/v1/app/outbox.list?destination=%2B420777654321', as()), (r) => r.body.data[0]?.status === 'sent');
    expect(list.body.data[0]).to.include({ id: res.body.id, status: 'sent', attempts: 3 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sms.messagesTo('+420777654321')).to.have.length(1);
    const failures = await server.request('GET', '/api/v1/app/account.audit?event=send_failed', as());
    const mine = failures.body.data.filter((e: { detail: { outboxId: number } }) => e.detail.outboxId === res.body.id);
    expect(mine).to.have.length(2);
    expect(mine[0].detail.reason).to.equal('SMS webhook answered HTTP 503');
  });

  it('an SMTP server refusing with 451: the row stays pending with the reply as lastError, then goes', async () => {
    mail.refuseNext(1);
    const res = await server.request('POST', '/api/v1/app/mail.test', { ...as(), body: { to: 'later@example.test' } });
    await mail.waitFor('later@example.test');
    const list = await waitUntil(() => server.request('GET', '/api/v1/app/outbox.list?destination=later@example.test', as()), (r) => r.body.data[0]?.status === 'sent');
    expect(list.body.data[0]).to.include({ id: res.body.id, attempts: 2 });
    expect(mail.messagesTo('later@example.test')).to.have.length(1);
  });
});
