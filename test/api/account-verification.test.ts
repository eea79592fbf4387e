// user.register, user.challenge, user.challengeRetry and the link page through HTTP, with mail
// delivered for real to a local SMTP server and SMS to a local webhook; every response is
// checked against openapi.yaml by the request helper.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { aUser } from '../helpers/principals.ts';
import { aTenant } from '../helpers/tenants.ts';
import { startMailSink, type MailSink } from '../helpers/mail-sink.ts';
import { startSmsSink, type SmsSink } from '../helpers/sms-sink.ts';
import { aLogin, aVerificationTenant, codeIn, linkIn, rewind, type VerificationTenant } from '../helpers/verification.ts';

const PUBLIC_BASE_URL = 'https://accounts.example.test';
let phones = 0;
const aPhone = () => `+420777${String(100000 + ++phones + Math.floor(Math.random() * 800000)).padStart(6, '0')}`;

describe('account registration and verification', function () {
  this.timeout(60_000);
  let server: TestServer;
  let mail: MailSink;
  let sms: SmsSink;
  let v: VerificationTenant;

  before(async () => {
    mail = await startMailSink();
    sms = await startSmsSink();
    server = await startTestServer({
      PUBLIC_BASE_URL,
      SMTP_URL: mail.url,
      SMS_WEBHOOK_URL: sms.url,
      SMS_WEBHOOK_SECRET: sms.secret,
      DELIVERY_POLL_MS: '200',
    });
    // SMS pumping guard (delivery settings): no country is allowed until the tenant names one.
    v = await aVerificationTenant(server, { deliverySettings: { sms: { allowedCountryPrefixes: ['+420'] } } });
  });
  after(async () => {
    await server.stop();
    await mail.close();
    await sms.close();
  });

  const on = (key?: string) => ({ key: key ?? v.registrar.key, host: v.tenant.host });
  const register = (body: Record<string, unknown>, key?: string) => server.request('POST', '/api/v1/app/user.register', { ...on(key), body });
  const answer = (body: Record<string, unknown>, host = v.tenant.host) => server.request('POST', '/api/v1/app/user.challenge', { host, body });
  const retry = (body: Record<string, unknown>, key?: string) => server.request('POST', '/api/v1/app/user.challengeRetry', { ...on(key), body });
  const signIn = (login: string, password: string) => server.request('POST', '/api/v1/auth', { host: v.tenant.host, body: { user: login, password } });
  const userByLogin = async (login: string) => {
    const list = await server.request('GET', '/api/v1/admin/users', { key: v.tenant.admin.key, host: v.tenant.host });
    return (list.body.data as { id: number; login: string; verified: boolean }[]).find((u) => u.login === login);
  };

  /** Registers with `methods`, and reads what was sent: the mail's code and link, the SMS code. */
  async function registered(methods: string[], extra: Record<string, unknown> = {}) {
    const login = aLogin(v.domain);
    const password = 'a-good-password-1';
    const phone = methods.includes('sms_code') ? aPhone() : undefined;
    const res = await register({ user_id: login, user_name: 'Pat Example', password, roles: [v.apiRole], verify_account: { methods, ...(phone ? { phone } : {}), ...extra } });
    expect(res.status, res.text).to.equal(200);
    const sent: { code?: string; link?: URL; sms?: string } = {};
    if (methods.includes('mail_code') || methods.includes('mail_link')) {
      const message = await mail.waitFor(login, { after: mail.received.length - 1 >= 0 ? 0 : 0 });
      if (methods.includes('mail_code')) sent.code = codeIn(message.text);
      if (methods.includes('mail_link')) sent.link = linkIn(message.text);
    }
    if (phone) sent.sms = codeIn((await sms.waitFor(phone)).text);
    return { login, password, phone, userId: res.body.object.id as number, challengeId: res.body.challenge as string, sent, body: res.body };
  }

  describe('GET /app/user.register', () => {
    it('answers the tenant envelope to a holder of apiUserRegistration', async () => {
      const res = await server.request('GET', '/api/v1/app/user.register', on());
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ allowedDomains: [v.domain], allowedRoles: [v.apiRole, v.plainRole], allowedGroups: [v.group] });
    });

    it('answers 403 PERMISSION_DENIED without apiUserRegistration, and 403 API_KEY_MISSING without a key', async () => {
      const plain = await aUser(server, ['useApi'], { key: v.tenant.admin.key, host: v.tenant.host });
      const denied = await server.request('GET', '/api/v1/app/user.register', on(plain.key));
      expect(denied.status).to.equal(403);
      expect(denied.body.code).to.equal('PERMISSION_DENIED');
      const missing = await server.request('GET', '/api/v1/app/user.register', { host: v.tenant.host });
      expect(missing.status).to.equal(403);
      expect(missing.body.code).to.equal('API_KEY_MISSING');
    });
  });

  describe('POST /app/user.register', () => {
    it('creates a verified user with a key when a password is given and its roles carry useApi, and challenge false', async () => {
      const login = aLogin(v.domain);
      const res = await register({ user_id: login, user_name: 'Kim', password: 'a-good-password-1', roles: [v.apiRole], user_group: v.group });
      expect(res.status, res.text).to.equal(200);
      expect(Object.keys(res.body).sort()).to.deep.equal(['apiKey', 'challenge', 'object']);
      expect(res.body.challenge).to.equal(false);
      expect(res.body.object).to.include({ login, name: 'Kim', verified: true, active: true });
      expect(res.body.object.roles).to.deep.equal([v.apiRole]);
      expect(res.body.object.groups).to.deep.equal([v.group]);
      const status = await server.request('GET', '/api/v1/auth', { key: res.body.apiKey.keyString, host: v.tenant.host });
      expect(status.body.status).to.equal('valid');
    });

    it('answers apiKey null without a password, and without useApi', async () => {
      const none = await register({ user_id: aLogin(v.domain), user_name: 'No password', roles: [v.apiRole] });
      expect(none.status).to.equal(200);
      expect(none.body.apiKey).to.equal(null);
      const plain = await register({ user_id: aLogin(v.domain), user_name: 'No API', password: 'a-good-password-1', roles: [v.plainRole] });
      expect(plain.status).to.equal(200);
      expect(plain.body.apiKey).to.equal(null);
    });

    it('reads normal POST fields, verify_account included', async () => {
      const login = aLogin(v.domain);
      const res = await server.request('POST', '/api/v1/app/user.register', {
        ...on(),
        form: { user_id: login, user_name: 'Form Person', 'roles[]': String(v.plainRole), 'verify_account[methods][]': 'mail_code' },
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.challenge).to.be.a('string');
      expect(res.body.object).to.include({ login, verified: false });
      expect(res.body.object.roles).to.deep.equal([v.plainRole]);
    });

    describe('when a value lies outside the envelope', () => {
      for (const [what, body, code, named] of [
        ['the e-mail domain', { user_id: 'someone@elsewhere.example' }, 'REGISTRATION_DOMAIN_NOT_ALLOWED', 'elsewhere.example'],
        ['a role', { roles: [999999] }, 'REGISTRATION_ROLE_NOT_ALLOWED', '999999'],
        ['a group', { user_group: [999998] }, 'REGISTRATION_GROUP_NOT_ALLOWED', '999998'],
      ] as const) {
        it(`answers 403 ${code} naming ${what}, and creates nothing`, async () => {
          const login = aLogin(v.domain);
          const res = await register({ user_id: login, user_name: 'Out', password: 'a-good-password-1', verify_account: { methods: ['mail_code'] }, ...(body as Record<string, unknown>) });
          expect(res.status).to.equal(403);
          expect(res.body.code).to.equal(code);
          expect(res.body.message).to.include(named);
          expect(await userByLogin((body as { user_id?: string }).user_id ?? login)).to.equal(undefined);
        });
      }

      it('answers 403 for a role of the tenant that the envelope leaves out', async () => {
        const res = await register({ user_id: aLogin(v.domain), user_name: 'Op', roles: [v.registrar.roleId] });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('REGISTRATION_ROLE_NOT_ALLOWED');
      });
    });

    it('answers 403 PERMISSION_DENIED without apiUserRegistration, and creates nothing', async () => {
      const plain = await aUser(server, ['useApi'], { key: v.tenant.admin.key, host: v.tenant.host });
      const login = aLogin(v.domain);
      const res = await register({ user_id: login, user_name: 'Nope' }, plain.key);
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('PERMISSION_DENIED');
      expect(await userByLogin(login)).to.equal(undefined);
    });

    it('answers 409 for a login already taken', async () => {
      const login = aLogin(v.domain);
      expect((await register({ user_id: login, user_name: 'First' })).status).to.equal(200);
      const again = await register({ user_id: login.toUpperCase(), user_name: 'Second' });
      expect(again.status).to.equal(409);
    });

    it('answers the outbox\'s refusal (an SMS country the tenant does not allow) and creates nothing', async () => {
      const login = aLogin(v.domain);
      const res = await register({ user_id: login, user_name: 'Abroad', verify_account: { methods: ['mail_code', 'sms_code'], phone: '+15555550123' } });
      expect(res.status).to.equal(422);
      expect(res.body.code).to.equal('SMS_COUNTRY_NOT_ALLOWED');
      expect(await userByLogin(login)).to.equal(undefined);
      const rows = await server.running.services.database.prisma.verificationChallenge.count({ where: { email: login } });
      expect(rows).to.equal(0);
    });

    describe('when verify_account is unusable', () => {
      for (const [what, verify, path] of [
        ['sms_code without a phone', { methods: ['sms_code'] }, 'body.verify_account.phone'],
        ['a phone not in E.164', { methods: ['sms_code'], phone: '777 123 456' }, 'body.verify_account.phone'],
        ['an unknown method', { methods: ['carrier_pigeon'] }, 'body.verify_account.methods/0'],
        ['no method', { methods: [] }, 'body.verify_account.methods'],
        ['a relative redirect_url', { methods: ['mail_link'], redirect_url: '/after' }, 'body.verify_account.redirect_url'],
        ['a javascript: redirect_url', { methods: ['mail_link'], redirect_url: 'javascript:alert(1)' }, 'body.verify_account.redirect_url'],
        ['an ftp redirect_url', { methods: ['mail_link'], redirect_url: 'ftp://files.example.com/' }, 'body.verify_account.redirect_url'],
      ] as const) {
        it(`answers 400 VALIDATION_FAILED for ${what}, and creates nothing`, async () => {
          const login = aLogin(v.domain);
          const res = await register({ user_id: login, user_name: 'Bad', verify_account: verify });
          expect(res.status, res.text).to.equal(400);
          expect(res.body.code).to.equal('VALIDATION_FAILED');
          expect(JSON.stringify(res.body.details)).to.include(path.split('/')[0]);
          expect(await userByLogin(login)).to.equal(undefined);
        });
      }
    });
  });

  describe('an unverified account', () => {
    it('cannot POST /auth, cannot be given a key by generateOthersApiKeys, and can once the challenge is done', async () => {
      const r = await registered(['mail_code']);
      expect(r.body.apiKey).to.equal(null);
      expect(r.body.object.verified).to.equal(false);
      const own = await signIn(r.login, r.password);
      expect(own.status).to.equal(403);
      expect(own.body.code).to.equal('USER_INACTIVE');
      const minted = await server.request('POST', '/api/v1/auth', { key: v.tenant.admin.key, host: v.tenant.host, body: { user: r.login } });
      expect(minted.status).to.equal(403);
      expect(minted.body.code).to.equal('USER_INACTIVE');

      const done = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      expect(done.status).to.equal(200);
      expect(done.body).to.deep.equal({ methodDone: true, challengeCompleted: true });
      expect((await userByLogin(r.login))!.verified).to.equal(true);
      expect((await signIn(r.login, r.password)).status).to.equal(200);
    });

    it('has its existing keys refused (USER_INACTIVE) while unverified', async () => {
      const user = await aUser(server, ['useApi', 'profile'], { key: v.tenant.admin.key, host: v.tenant.host });
      expect((await server.request('GET', '/api/v1/app/user.current', { key: user.key, host: v.tenant.host })).status).to.equal(200);
      const patched = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { key: v.tenant.admin.key, host: v.tenant.host, body: { verified: false } });
      expect(patched.status).to.equal(200);
      const refused = await server.request('GET', '/api/v1/app/user.current', { key: user.key, host: v.tenant.host });
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal('USER_INACTIVE');
    });
  });

  describe('POST /app/user.challenge', () => {
    it('answers methodDone true, challengeCompleted false until the last method, then true (mail code, SMS code, link)', async () => {
      const r = await registered(['mail_link', 'mail_code', 'sms_code']);
      expect(r.sent.code).to.match(/^\d{6}$/);
      expect(r.sent.sms).to.match(/^\d{6}$/);
      expect(r.sent.link!.origin).to.equal(PUBLIC_BASE_URL);
      expect(r.sent.link!.searchParams.get('secret')).to.not.include(r.sent.code!);
      const first = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      expect(first.body).to.deep.equal({ methodDone: true, challengeCompleted: false });
      const second = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'sms_code', secret: r.sent.sms });
      expect(second.body).to.deep.equal({ methodDone: true, challengeCompleted: false });
      expect((await signIn(r.login, r.password)).status).to.equal(403);
      const last = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_link', secret: r.sent.link!.searchParams.get('secret') });
      expect(last.body).to.deep.equal({ methodDone: true, challengeCompleted: true });
      expect((await signIn(r.login, r.password)).status).to.equal(200);
    });

    it('reads normal POST fields', async () => {
      const r = await registered(['mail_code']);
      const res = await server.request('POST', '/api/v1/app/user.challenge', { host: v.tenant.host, form: { userId: String(r.userId), challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code! } });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ methodDone: true, challengeCompleted: true });
    });

    it('answers 409 METHOD_ALREADY_DONE "Method already done." for the right secret of a done method', async () => {
      const r = await registered(['mail_code', 'sms_code']);
      await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      const again = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      expect(again.status).to.equal(409);
      expect(again.body).to.include({ message: 'Method already done.', code: 'METHOD_ALREADY_DONE' });
    });

    it('gives one methodDone true and "Method already done." to every other correct answer racing it', async () => {
      // Several rounds: a racer may read the challenge before the winner commits and reserve its
      // attempt after (the challenge no longer open), and it must still hear "Method already done."
      for (let round = 0; round < 4; round++) {
        const r = await registered(['mail_code']);
        const body = { userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code };
        const results = await Promise.all([answer(body), answer(body), answer(body), answer(body)]);
        const statuses = results.map((x) => x.status).sort();
        expect(statuses, JSON.stringify(results.map((x) => x.body))).to.deep.equal([200, 409, 409, 409]);
        expect(results.find((x) => x.status === 200)!.body).to.deep.equal({ methodDone: true, challengeCompleted: true });
      }
    });

    it('answers the same methodDone false for a wrong secret, an unknown challenge, another user id and an unknown user', async () => {
      const r = await registered(['mail_code']);
      const wrong = r.sent.code === '000000' ? '000001' : '000000';
      const answers = await Promise.all([
        answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: wrong }),
        answer({ userId: r.userId, challengeId: 'no-such-challenge', method: 'mail_code', secret: r.sent.code }),
        answer({ userId: v.registrar.id, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code }),
        answer({ userId: 2_000_000_000, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code }),
        answer({ userId: r.userId, challengeId: r.challengeId, method: 'sms_code', secret: r.sent.code }),
      ]);
      for (const res of answers) {
        expect(res.status).to.equal(200);
        expect(res.text).to.equal('{"methodDone":false,"challengeCompleted":false}');
      }
      // None of these spent the right code.
      expect((await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code })).body.methodDone).to.equal(true);
    });

    it('locks the challenge at the fifth wrong secret across methods: the right one then answers methodDone false', async () => {
      const r = await registered(['mail_code', 'mail_link']);
      for (let i = 0; i < 5; i += 1) {
        const res = await answer({ userId: r.userId, challengeId: r.challengeId, method: i % 2 ? 'mail_link' : 'mail_code', secret: `wrong-${i}` });
        expect(res.body).to.deep.equal({ methodDone: false, challengeCompleted: false });
      }
      const right = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      expect(right.body).to.deep.equal({ methodDone: false, challengeCompleted: false });
      const audit = await server.running.services.database.prisma.accountAuditEntry.findMany({ where: { tenantId: v.tenant.id, userId: r.userId } });
      expect(audit.filter((a) => a.event === 'check_failed').length).to.be.at.least(6);
      expect(audit.filter((a) => a.event === 'lock').length).to.equal(1);
      expect(JSON.stringify(audit)).to.not.include(r.sent.code!);
    });

    it('counts concurrent wrong guesses atomically: ten at once leave the challenge locked at 5', async () => {
      const r = await registered(['mail_code']);
      await Promise.all(Array.from({ length: 10 }, (_, i) => answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: `nope-${i}` })));
      const row = await server.running.services.database.prisma.verificationChallenge.findUniqueOrThrow({ where: { publicId: r.challengeId } });
      expect(row.failures).to.equal(5);
      expect(row.state).to.equal('locked');
    });

    it('answers methodDone false for a right secret past its expiry', async () => {
      const r = await registered(['mail_code']);
      await rewind(server, r.challengeId, 15 * 60 + 1);
      const res = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      expect(res.body).to.deep.equal({ methodDone: false, challengeCompleted: false });
    });

    it('no longer accepts the code once the user\'s login was changed (the challenge was bound to it)', async () => {
      const r = await registered(['mail_code']);
      const patched = await server.request('PATCH', `/api/v1/admin/users/${r.userId}`, { key: v.tenant.admin.key, host: v.tenant.host, body: { login: aLogin(v.domain) } });
      expect(patched.status).to.equal(200);
      const res = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      expect(res.body).to.deep.equal({ methodDone: false, challengeCompleted: false });
      const row = await server.running.services.database.prisma.verificationChallenge.findUniqueOrThrow({ where: { publicId: r.challengeId } });
      expect(row.state).to.equal('revoked');
      // Changing it back does not revive the challenge.
      await server.request('PATCH', `/api/v1/admin/users/${r.userId}`, { key: v.tenant.admin.key, host: v.tenant.host, body: { login: r.login } });
      expect((await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code })).body.methodDone).to.equal(false);
      await rewind(server, r.challengeId, 61);
      expect((await retry({ challengeId: r.challengeId })).status).to.equal(404);
    });

    it('keeps no code or link secret in the challenge, secret or audit rows (only keyed hashes)', async () => {
      const r = await registered(['mail_link', 'mail_code', 'sms_code']);
      await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      const db = server.running.services.database.prisma;
      const challenge = await db.verificationChallenge.findUniqueOrThrow({ where: { publicId: r.challengeId }, include: { secrets: true } });
      const audit = await db.accountAuditEntry.findMany({ where: { tenantId: v.tenant.id } });
      const stored = JSON.stringify({ challenge, audit });
      for (const secret of [r.sent.code!, r.sent.sms!, r.sent.link!.searchParams.get('secret')!]) expect(stored).to.not.include(secret);
      for (const row of challenge.secrets) expect(row.secretHash).to.match(/^[0-9a-f]{64}$/);
    });

    it('uses the tenant\'s code length', async () => {
      const t = await aVerificationTenant(server, { verification: { codeLength: 8 } });
      const login = aLogin(t.domain);
      const res = await server.request('POST', '/api/v1/app/user.register', { key: t.registrar.key, host: t.tenant.host, body: { user_id: login, user_name: 'Eight', verify_account: { methods: ['mail_code'] } } });
      expect(res.status).to.equal(200);
      expect(codeIn((await mail.waitFor(login)).text)).to.match(/^\d{8}$/);
    });
  });

  describe('POST /app/user.challengeRetry', () => {
    it('answers 429 CHALLENGE_RETRY_COOLDOWN with Retry-After within the first 60 s', async () => {
      const r = await registered(['mail_code']);
      const res = await retry({ challengeId: r.challengeId });
      expect(res.status).to.equal(429);
      expect(res.body.code).to.equal('CHALLENGE_RETRY_COOLDOWN');
      expect(Number(res.headers['retry-after'])).to.be.within(55, 60);
    });

    it('rotates: after a retry without the challenge id the old link and codes fail, the new ones work; the cooldown grows', async () => {
      const r = await registered(['mail_link', 'mail_code', 'sms_code']);
      await rewind(server, r.challengeId, 61);
      const before = mail.messagesTo(r.login).length;
      const res = await retry({ userId: r.userId });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ challengeId: r.challengeId, methods: ['mail_link', 'mail_code', 'sms_code'] });
      const fresh = await mail.waitFor(r.login, { after: mail.received.indexOf(mail.messagesTo(r.login)[before - 1]) + 1 });
      const newCode = codeIn(fresh.text);
      const newLink = linkIn(fresh.text);
      const smsAll = sms.messagesTo(r.phone!);
      const newSms = codeIn((smsAll.length > 1 ? smsAll[smsAll.length - 1] : await new Promise<{ text: string }>((resolve) => {
        const poll = setInterval(() => { const all = sms.messagesTo(r.phone!); if (all.length > 1) { clearInterval(poll); resolve(all[all.length - 1]); } }, 50);
      })).text);

      const old = await Promise.all([
        answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code }),
        answer({ userId: r.userId, challengeId: r.challengeId, method: 'sms_code', secret: r.sent.sms }),
        answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_link', secret: r.sent.link!.searchParams.get('secret') }),
      ]);
      for (const o of old) expect(o.body).to.deep.equal({ methodDone: false, challengeCompleted: false });
      expect((await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: newCode })).body.methodDone).to.equal(true);
      expect((await answer({ userId: r.userId, challengeId: r.challengeId, method: 'sms_code', secret: newSms })).body.methodDone).to.equal(true);

      const soon = await retry({ user_id: r.login });
      expect(soon.status).to.equal(429);
      expect(Number(soon.headers['retry-after'])).to.be.within(115, 120);
      const done = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_link', secret: newLink.searchParams.get('secret') });
      expect(done.body).to.deep.equal({ methodDone: true, challengeCompleted: true });
    });

    it('re-sends one method when asked, and only outstanding ones', async () => {
      const r = await registered(['mail_code', 'mail_link']);
      await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: r.sent.code });
      await rewind(server, r.challengeId, 61);
      const done = await retry({ challengeId: r.challengeId, method: 'mail_code' });
      expect(done.status).to.equal(400);
      expect(done.body.details[0].path).to.equal('body.method');
      const res = await retry({ challengeId: r.challengeId });
      expect(res.body).to.deep.equal({ challengeId: r.challengeId, methods: ['mail_link'] });
    });

    it('a retry of one method revokes every earlier secret of the challenge, the other methods\' too', async () => {
      const r = await registered(['mail_code', 'mail_link']);
      await rewind(server, r.challengeId, 61);
      const before = mail.messagesTo(r.login).length;
      const res = await retry({ challengeId: r.challengeId, method: 'mail_code' });
      expect(res.body).to.deep.equal({ challengeId: r.challengeId, methods: ['mail_code'] });
      const fresh = await mail.waitFor(r.login, { after: mail.received.indexOf(mail.messagesTo(r.login)[before - 1]) + 1 });
      const oldLink = await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_link', secret: r.sent.link!.searchParams.get('secret') });
      expect(oldLink.body).to.deep.equal({ methodDone: false, challengeCompleted: false });
      expect((await answer({ userId: r.userId, challengeId: r.challengeId, method: 'mail_code', secret: codeIn(fresh.text) })).body).to.deep.equal({ methodDone: true, challengeCompleted: false });
      await rewind(server, r.challengeId, 121);
      expect((await retry({ challengeId: r.challengeId })).body).to.deep.equal({ challengeId: r.challengeId, methods: ['mail_link'] });
    });

    it('stops at the lifetime cap with 429 CHALLENGE_RETRY_LIMIT and Retry-After, and keeps the wrong-answer count', async () => {
      const t = await aVerificationTenant(server, { verification: { retryLimit: 2 } });
      const login = aLogin(t.domain);
      const reg = await server.request('POST', '/api/v1/app/user.register', { key: t.registrar.key, host: t.tenant.host, body: { user_id: login, user_name: 'Cap', verify_account: { methods: ['mail_code'] } } });
      const challengeId = reg.body.challenge as string;
      const again = () => server.request('POST', '/api/v1/app/user.challengeRetry', { key: t.registrar.key, host: t.tenant.host, body: { challengeId } });
      for (let i = 0; i < 3; i += 1) await answer({ userId: reg.body.object.id, challengeId, method: 'mail_code', secret: `bad-${i}` }, t.tenant.host);
      for (const wait of [61, 121]) {
        await rewind(server, challengeId, wait);
        expect((await again()).status).to.equal(200);
      }
      await rewind(server, challengeId, 301);
      const capped = await again();
      expect(capped.status).to.equal(429);
      expect(capped.body.code).to.equal('CHALLENGE_RETRY_LIMIT');
      expect(Number(capped.headers['retry-after'])).to.be.greaterThan(0);
      const row = await server.running.services.database.prisma.verificationChallenge.findUniqueOrThrow({ where: { publicId: challengeId } });
      expect(row.failures).to.equal(3);
      expect(row.retries).to.equal(2);
      const audit = await server.running.services.database.prisma.accountAuditEntry.findMany({ where: { tenantId: t.tenant.id, event: 'throttle' } });
      expect(audit.length).to.equal(1);
    });

    it('answers 404 CHALLENGE_NOT_FOUND alike for an unknown user and a user without an open challenge', async () => {
      const plainUser = await register({ user_id: aLogin(v.domain), user_name: 'No challenge' });
      const unknown = await retry({ user_id: aLogin(v.domain) });
      const none = await retry({ userId: plainUser.body.object.id });
      expect(unknown.status).to.equal(404);
      expect(none.status).to.equal(404);
      expect(unknown.body.code).to.equal('CHALLENGE_NOT_FOUND');
      expect(unknown.body.message).to.equal(none.body.message);
    });

    it('answers 400 without a challenge id, user id or e-mail', async () => {
      const res = await retry({ method: 'mail_code' });
      expect(res.status).to.equal(400);
    });

    it('answers 403 PERMISSION_DENIED without apiUserRegistration', async () => {
      const r = await registered(['mail_code']);
      const plain = await aUser(server, ['useApi'], { key: v.tenant.admin.key, host: v.tenant.host });
      const res = await retry({ challengeId: r.challengeId }, plain.key);
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('PERMISSION_DENIED');
    });
  });

  describe('tenant isolation', () => {
    it('keeps each tenant\'s challenges to itself, both ways', async () => {
      const other = await aVerificationTenant(server);
      const a = await registered(['mail_code']);
      const loginB = aLogin(other.domain);
      const regB = await server.request('POST', '/api/v1/app/user.register', { key: other.registrar.key, host: other.tenant.host, body: { user_id: loginB, user_name: 'B', verify_account: { methods: ['mail_code'] } } });
      const codeB = codeIn((await mail.waitFor(loginB)).text);
      const b = { userId: regB.body.object.id, challengeId: regB.body.challenge };
      await rewind(server, a.challengeId, 61);
      await rewind(server, b.challengeId, 61);

      // A's challenge through B's host and B's registrar key, and the reverse.
      expect((await answer({ ...{ userId: a.userId, challengeId: a.challengeId }, method: 'mail_code', secret: a.sent.code }, other.tenant.host)).body.methodDone).to.equal(false);
      expect((await server.request('POST', '/api/v1/app/user.challengeRetry', { key: other.registrar.key, host: other.tenant.host, body: { challengeId: a.challengeId } })).status).to.equal(404);
      expect((await answer({ ...b, method: 'mail_code', secret: codeB })).body.methodDone).to.equal(false);
      expect((await retry({ challengeId: b.challengeId })).status).to.equal(404);
      expect((await retry({ user_id: loginB })).status).to.equal(404);
      // A registrar key of one tenant does not register in the other.
      expect((await server.request('POST', '/api/v1/app/user.register', { key: v.registrar.key, host: other.tenant.host, body: { user_id: aLogin(other.domain), user_name: 'X' } })).status).to.equal(403);

      // Each still works at home: nothing was spent.
      expect((await answer({ userId: a.userId, challengeId: a.challengeId, method: 'mail_code', secret: a.sent.code })).body.methodDone).to.equal(true);
      expect((await answer({ ...b, method: 'mail_code', secret: codeB }, other.tenant.host)).body.methodDone).to.equal(true);
    });
  });

  describe('the link page /verify-account', () => {
    it('shows a button on GET and HEAD, changes nothing, and sends no-store, no-referrer and a strict CSP', async () => {
      const r = await registered(['mail_link']);
      const path = `${r.sent.link!.pathname}${r.sent.link!.search}`;
      for (const method of ['GET', 'HEAD', 'GET']) {
        const res = await server.request(method, path, { host: v.tenant.host });
        expect(res.status).to.equal(200);
        expect(res.headers['cache-control']).to.equal('no-store');
        expect(res.headers['referrer-policy']).to.equal('no-referrer');
        expect(res.headers['content-security-policy']).to.include("default-src 'none'").and.include("form-action 'self'");
        expect(res.headers['content-security-policy']).to.not.include('script-src');
        if (method === 'GET') {
          expect(res.text).to.include('<form method="post" action="/api/v1/verify-account">').and.not.include('<script');
        }
      }
      expect((await userByLogin(r.login))!.verified).to.equal(false);
      const secret = r.sent.link!.searchParams.get('secret')!;
      const pressed = await server.request('POST', '/api/v1/verify-account', { host: v.tenant.host, form: { user: String(r.userId), challenge: r.challengeId, secret } });
      expect(pressed.status).to.equal(200);
      expect(pressed.headers['cache-control']).to.equal('no-store');
      expect(pressed.text).to.include('Account confirmed');
      expect((await userByLogin(r.login))!.verified).to.equal(true);
      const twice = await server.request('POST', '/api/v1/verify-account', { host: v.tenant.host, form: { user: String(r.userId), challenge: r.challengeId, secret } });
      expect(twice.text).to.include('Already confirmed');
    });

    it('forwards with 303 to the registration\'s redirect_url once the challenge is completed', async () => {
      const r = await registered(['mail_link'], { redirect_url: 'https://app.example.com/welcome?x=1' });
      const pressed = await server.request('POST', '/api/v1/verify-account', { host: v.tenant.host, form: { user: String(r.userId), challenge: r.challengeId, secret: r.sent.link!.searchParams.get('secret')! } });
      expect(pressed.status).to.equal(303);
      expect(pressed.headers.location).to.equal('https://app.example.com/welcome?x=1');
    });

    it('shows a failure page for a wrong secret, and an incomplete-link page without the fields', async () => {
      const r = await registered(['mail_link']);
      const wrong = await server.request('POST', '/api/v1/verify-account', { host: v.tenant.host, form: { user: String(r.userId), challenge: r.challengeId, secret: 'forged' } });
      expect(wrong.status).to.equal(200);
      expect(wrong.text).to.include('This link does not work');
      const incomplete = await server.request('GET', '/api/v1/verify-account?user=1', { host: v.tenant.host });
      expect(incomplete.text).to.include('This link is incomplete');
    });
  });

  describe('PATCH /admin/settings verification', () => {
    it('stores the verification settings and refuses values out of range', async () => {
      const t = await aTenant(server);
      const ok = await server.request('PATCH', '/api/v1/admin/settings', { key: t.admin.key, host: t.host, body: { verification: { codeLength: 7, retryCooldownSeconds: [90, 600] } } });
      expect(ok.status, ok.text).to.equal(200);
      expect(ok.body.settings.verification).to.deep.equal({ codeLength: 7, smsCodeTtlSeconds: 600, mailCodeTtlSeconds: 900, mailLinkTtlSeconds: 3600, retryCooldownSeconds: [90, 600], retryLimit: 5 });
      for (const bad of [{ codeLength: 5 }, { codeLength: 11 }, { mailLinkTtlSeconds: 86_401 }, { retryCooldownSeconds: [30] }]) {
        const res = await server.request('PATCH', '/api/v1/admin/settings', { key: t.admin.key, host: t.host, body: { verification: bad } });
        expect(res.status, JSON.stringify(bad)).to.equal(400);
      }
    });
  });
});
