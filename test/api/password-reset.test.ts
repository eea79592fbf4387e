// user.resetpassword and the reset page, through HTTP: every answer, the permission and the
// tenant's switch, redirect rules, identical answers for known and unknown e-mails (their timing
// is measured against a server process: test/e2e/password-reset-timing.test.ts), the mail read
// from a real SMTP server, expiry, single use, revocation of the other tokens, tampered tokens
// and redirects, the wrong-secret lock, and both directions of tenant isolation.
import { expect } from 'chai';
import { ADMIN, startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aUser, type TestUser } from '../helpers/principals.ts';
import { aKey, aTenant, type TestTenant } from '../helpers/tenants.ts';
import { ResetMailbox } from '../helpers/reset-mailbox.ts';

const MESSAGE = 'Password reset initiated. E-mail sent to the user.';
const PUBLIC_BASE_URL = 'https://reset.jetstack.test';
const REDIRECT = 'https://app.example.com/after-reset?from=mail';
const NEW_PASSWORD = 'a-new-password-42';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('password reset (user.resetpassword and the reset page)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let mailbox: ResetMailbox;
  let caller: TestUser;

  /** POST /app/user.resetpassword as `key` (the caller by default). */
  const ask = (body: Record<string, unknown>, options: { key?: string; host?: string; form?: boolean } = {}) =>
    server.request('POST', '/api/v1/app/user.resetpassword', {
      key: options.key ?? caller.key,
      host: options.host,
      ...(options.form ? { form: body as Record<string, string> } : { body }),
    });

  /** The page's path and query of a mailed link (the link's own host is PUBLIC_BASE_URL). */
  const pathOf = (link: string) => {
    const url = new URL(link);
    return `${url.pathname}${url.search}`;
  };
  const paramsOf = (link: string) => new URL(link).searchParams;
  const openPage = (link: string, host?: string) => server.request('GET', pathOf(link), { host });
  const submit = (link: string, fields: Record<string, string>, host?: string) => {
    const params = paramsOf(link);
    const form: Record<string, string> = { token: params.get('token') ?? '', ...fields };
    if (params.get('redirect')) form.redirect = params.get('redirect')!;
    return server.request('POST', '/api/v1/reset-password', { form, host });
  };
  const setPassword = (link: string, password = NEW_PASSWORD, host?: string) => submit(link, { password, confirm: password }, host);

  /** Asks for a reset of `login` and returns the link of the mail that arrives. */
  async function linkFor(login: string, body: Record<string, unknown> = {}, options: { key?: string; host?: string } = {}) {
    const res = await ask({ user_id: login, ...body }, options);
    expect(res.status, res.text).to.equal(200);
    return mailbox.nextLink(login);
  }

  function expectForwarded(res: ApiResponse, status: 'success' | 'error', reason?: string) {
    expect(res.status, res.text).to.equal(303);
    const location = new URL(res.headers.location);
    expect(location.origin + location.pathname).to.equal('https://app.example.com/after-reset');
    expect(location.searchParams.get('from')).to.equal('mail');
    expect(location.searchParams.get('status')).to.equal(status);
    expect(location.searchParams.get('reason')).to.equal(reason ?? null);
  }

  async function canSignIn(login: string, password: string, host?: string) {
    const res = await server.request('POST', '/api/v1/auth', { host, body: { user: login, password } });
    expect([200, 401]).to.include(res.status);
    return res.status === 200;
  }

  const patchSettings = async (settings: Record<string, unknown>, key = server.adminKey, host?: string) => {
    const res = await server.request('PATCH', '/api/v1/admin/settings', { key, host, body: settings });
    expect(res.status, res.text).to.equal(200);
    return res.body;
  };

  before(async () => {
    mailbox = await ResetMailbox.start();
    server = await startTestServer({ PUBLIC_BASE_URL, ...mailbox.serverEnv() });
    mailbox.attach(server);
    await patchSettings({ allowApiPasswordReset: true });
    caller = await aUser(server, ['useApi', 'apiUserPasswordReset']);
  });
  after(async () => {
    await server?.stop();
    await mailbox?.stop();
  });

  describe('POST /app/user.resetpassword', () => {
    it('answers the documented message for a known e-mail, and mails a link to the server\'s reset page', async () => {
      const target = await aUser(server, ['useApi']);
      const res = await ask({ user_id: target.login, redirect_url: REDIRECT });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ message: MESSAGE });
      const link = await mailbox.nextLink(target.login);
      expect(link.startsWith(`${PUBLIC_BASE_URL}/api/v1/reset-password?token=`)).to.equal(true);
      // The redirect travels sealed: neither its host nor its path can be read from the link.
      expect(link).to.not.include('app.example.com');
      expect(link).to.not.include('after-reset');
    });

    it('reads normal POST fields (form-encoded) as well as JSON', async () => {
      const target = await aUser(server, ['useApi']);
      const res = await ask({ user_id: target.login }, { form: true });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ message: MESSAGE });
      expect(await mailbox.nextLink(target.login)).to.include('/api/v1/reset-password?token=');
    });

    it('answers exactly the same for an unknown e-mail, and sends nothing', async () => {
      const target = await aUser(server, ['useApi']);
      const nobody = `nobody-${Date.now()}@example.com`;
      const known = await ask({ user_id: target.login });
      const unknown = await ask({ user_id: nobody });
      expect(unknown.status).to.equal(known.status);
      expect(unknown.text).to.equal(known.text);
      const strip = (h: Record<string, string>) => Object.keys(h).filter((k) => !['date', 'x-request-id'].includes(k)).sort().map((k) => `${k}: ${h[k]}`);
      expect(strip(unknown.headers)).to.deep.equal(strip(known.headers));
      await mailbox.nextLink(target.login);
      await server.running.services.passwordReset.drain();
      expect(await mailbox.countTo(nobody)).to.equal(0);
      expect(await mailbox.countTo(target.login)).to.equal(1);
    });

    it('writes one token row per request of a known user (after the answer, by the deferred job)', async () => {
      const target = await aUser(server, ['useApi']);
      const db = server.running.services.database.prisma;
      const res = await ask({ user_id: target.login });
      expect(res.status).to.equal(200);
      await server.running.services.passwordReset.drain();
      expect(await db.passwordResetToken.count({ where: { userId: target.id } })).to.equal(1);
      await mailbox.nextLink(target.login);
    });

    it('a send quota refusal is audited, never answered: the same 200, no token, no mail', async () => {
      const tenant = await aTenant(server, { settings: { allowApiPasswordReset: true } });
      const user = await aUser(server, ['useApi'], { key: tenant.admin.key, host: tenant.host });
      const db = server.running.services.database.prisma;
      // One mail per address and hour in this tenant (its delivery settings, set in the row).
      await db.tenant.update({ where: { id: tenant.id }, data: { deliverySettings: JSON.stringify({ mail: { perDestinationHourly: 1 } }) } });
      const first = await ask({ user_id: user.login }, { key: tenant.admin.key, host: tenant.host });
      await mailbox.nextLink(user.login);
      const second = await ask({ user_id: user.login }, { key: tenant.admin.key, host: tenant.host });
      expect(second.status).to.equal(first.status);
      expect(second.text).to.equal(first.text);
      await server.running.services.passwordReset.drain();
      expect(await db.passwordResetToken.count({ where: { userId: user.id } })).to.equal(1);
      expect(await mailbox.countTo(user.login)).to.equal(1);
      const failed = (await mailbox.auditOf(user.id)).filter((e) => e.event === 'reset_failed');
      expect(failed).to.have.length(1);
      expect(JSON.parse(failed[0].detail)).to.include({ stage: 'request', reason: 'DESTINATION_QUOTA_EXCEEDED' });
    });

    it('answers 403 API_KEY_MISSING without a key', async () => {
      const res = await server.request('POST', '/api/v1/app/user.resetpassword', { body: { user_id: caller.login } });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('API_KEY_MISSING');
    });

    it('answers 403 PERMISSION_DENIED without apiUserPasswordReset, and sends nothing', async () => {
      const target = await aUser(server, ['useApi']);
      const plain = await aUser(server, ['useApi']);
      const res = await ask({ user_id: target.login }, { key: plain.key });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ code: 'PERMISSION_DENIED' });
      await server.running.services.passwordReset.drain();
      expect(await mailbox.countTo(target.login)).to.equal(0);
    });

    it('answers 403 PASSWORD_RESET_DISABLED when the tenant has allowApiPasswordReset off', async () => {
      const tenant = await aTenant(server);
      const res = await ask({ user_id: tenant.admin.login }, { key: tenant.admin.key, host: tenant.host });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('PASSWORD_RESET_DISABLED');
      await server.running.services.passwordReset.drain();
      expect(await mailbox.countTo(tenant.admin.login)).to.equal(0);
    });

    for (const [what, url] of [
      ['a relative URL', '/after-reset'],
      ['a scheme-relative URL', '//evil.example/after'],
      ['javascript:', 'javascript:alert(document.domain)'],
      ['data:', 'data:text/html,hi'],
      ['ftp:', 'ftp://files.example.com/'],
      ['a URL with credentials', 'https://user:secret@app.example.com/after'],
      ['not a URL', 'not a url'],
      ['a host with characters no host has (they would reach the page\'s CSP)', "https://app.example.com;script-src'x/after"],
    ]) {
      it(`answers 400 REDIRECT_URL_INVALID for ${what}, and sends nothing`, async () => {
        const target = await aUser(server, ['useApi']);
        const res = await ask({ user_id: target.login, redirect_url: url });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('REDIRECT_URL_INVALID');
        await server.running.services.passwordReset.drain();
        expect(await mailbox.countTo(target.login)).to.equal(0);
      });
    }

    it('answers 400 VALIDATION_FAILED when user_id is missing or not an e-mail', async () => {
      for (const body of [{}, { user_id: 'not-an-email' }]) {
        const res = await ask(body);
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
      }
    });

    describe('when the tenant names allowed redirect origins', () => {
      let tenant: TestTenant;
      let tenantCaller: TestUser;
      before(async () => {
        tenant = await aTenant(server, { settings: { allowApiPasswordReset: true } });
        await patchSettings({ passwordReset: { allowedRedirectOrigins: ['https://APP.example.com:443', 'http://localhost:8080'] } }, tenant.admin.key, tenant.host);
        tenantCaller = await aUser(server, ['useApi', 'apiUserPasswordReset'], { key: tenant.admin.key, host: tenant.host });
      });

      it('accepts a URL on one of them (origins compared normalized)', async () => {
        const res = await ask({ user_id: tenant.admin.login, redirect_url: 'https://app.example.com/done' }, { key: tenantCaller.key, host: tenant.host });
        expect(res.status).to.equal(200);
        await mailbox.nextLink(tenant.admin.login);
      });

      it('answers 400 REDIRECT_URL_NOT_ALLOWED for another origin (another host, scheme or port)', async () => {
        for (const url of ['https://evil.example/done', 'http://app.example.com/done', 'https://app.example.com:8443/done', 'http://localhost:8081/']) {
          const res = await ask({ user_id: tenant.admin.login, redirect_url: url }, { key: tenantCaller.key, host: tenant.host });
          expect(res.status, url).to.equal(400);
          expect(res.body.code).to.equal('REDIRECT_URL_NOT_ALLOWED');
        }
      });
    });
  });

  describe('the reset page', () => {
    it('GET shows the form with no-store, no-referrer and a strict CSP, and changes nothing (opened twice, still usable)', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      for (let i = 0; i < 2; i++) {
        const page = await openPage(link);
        expect(page.status).to.equal(200);
        expect(page.headers['content-type']).to.match(/^text\/html/);
        expect(page.headers['cache-control']).to.equal('no-store');
        expect(page.headers['referrer-policy']).to.equal('no-referrer');
        const csp = page.headers['content-security-policy'];
        expect(csp).to.include("default-src 'none'").and.include("frame-ancestors 'none'").and.include("form-action 'self' https://app.example.com");
        expect(csp).to.not.include('unsafe-inline');
        expect(page.text).to.include('name="password"').and.include('name="confirm"');
        expect(page.text).to.not.include('<script');
      }
      const head = await server.request('HEAD', pathOf(link));
      expect(head.status).to.equal(200);
      const db = server.running.services.database.prisma;
      const row = await db.passwordResetToken.findFirstOrThrow({ where: { userId: target.id } });
      expect(row).to.include({ usedAt: null, revokedAt: null, failedAttempts: 0 });
      expectForwarded(await setPassword(link), 'success');
    });

    it('POST sets the password and forwards to redirect_url?status=success; the new password signs in, the old one does not', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      const res = await setPassword(link);
      expectForwarded(res, 'success');
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(await canSignIn(target.login, NEW_PASSWORD)).to.equal(true);
      expect(await canSignIn(target.login, target.password)).to.equal(false);
      // Keys made before the reset keep working (they are the integration's, not a session).
      expect((await server.request('GET', '/api/v1/auth', { key: target.key })).body.status).to.equal('valid');
    });

    it('shows the form again, changing nothing, when the passwords differ or are too short', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      for (const [fields, text] of [
        [{ password: NEW_PASSWORD, confirm: `${NEW_PASSWORD}x` }, 'not the same'],
        [{ password: 'short', confirm: 'short' }, 'at least 8'],
        [{ password: '', confirm: '' }, 'Enter the new password'],
      ] as const) {
        const res = await submit(link, fields);
        expect(res.status).to.equal(200);
        expect(res.text).to.include(text).and.include('name="password"');
        expect(res.headers['cache-control']).to.equal('no-store');
      }
      expect(await canSignIn(target.login, target.password)).to.equal(true);
      expectForwarded(await setPassword(link), 'success');
    });

    it('without a redirect_url the page shows the result itself', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login);
      const res = await setPassword(link);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Password changed');
      expect(res.headers['cache-control']).to.equal('no-store');
      const again = await setPassword(link);
      expect(again.status).to.equal(200);
      expect(again.text).to.include('data-reason="used"');
    });

    it('tells the user in their notification feed that the password was changed, once', async () => {
      const target = await aUser(server, ['useApi', 'notifications']);
      const feed = () => server.request('GET', '/api/v1/collection/notifications', { key: target.key });
      expect((await feed()).status).to.equal(204);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      expectForwarded(await setPassword(link), 'success');
      expectForwarded(await setPassword(link, 'yet-another-password'), 'error', 'used');
      const after = await feed();
      expect(after.status).to.equal(200);
      expect(after.headers['x-unread-count']).to.equal('1');
      expect(after.body.items.map((n: { type: string; title: string }) => [n.type, n.title])).to.deep.equal([['account.password_changed', 'Your password was changed']]);
    });

    it('a link works once: a second use answers status=error&reason=used, GET too', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      expectForwarded(await setPassword(link), 'success');
      expectForwarded(await setPassword(link, 'yet-another-password'), 'error', 'used');
      expectForwarded(await openPage(link), 'error', 'used');
      expect(await canSignIn(target.login, NEW_PASSWORD)).to.equal(true);
    });

    it('two submissions of one link racing: one success, one used; the password is the winner\'s', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      const passwords = ['racing-password-a', 'racing-password-b'];
      const answers = await Promise.all(passwords.map((p) => setPassword(link, p)));
      const outcome = (r: ApiResponse) => {
        const params = new URL(r.headers.location).searchParams;
        return params.get('reason') ?? params.get('status');
      };
      expect(answers.map(outcome).sort()).to.deep.equal(['success', 'used']);
      const won = answers.findIndex((r) => outcome(r) === 'success');
      expect(await canSignIn(target.login, passwords[won])).to.equal(true);
      expect(await canSignIn(target.login, passwords[1 - won])).to.equal(false);
    });

    it('using one link revokes the user\'s other reset links (reason=used), and only that user\'s', async () => {
      const target = await aUser(server, ['useApi']);
      const other = await aUser(server, ['useApi']);
      const first = await linkFor(target.login, { redirect_url: REDIRECT });
      const second = await linkFor(target.login, { redirect_url: REDIRECT });
      const othersLink = await linkFor(other.login, { redirect_url: REDIRECT });
      expectForwarded(await setPassword(second), 'success');
      expectForwarded(await openPage(first), 'error', 'used');
      expectForwarded(await setPassword(first, 'first-link-password'), 'error', 'used');
      expect(await canSignIn(target.login, NEW_PASSWORD)).to.equal(true);
      expectForwarded(await setPassword(othersLink), 'success');
    });

    it('a link expires after the tenant\'s tokenTtlSeconds (reason=expired)', async () => {
      const tenant = await aTenant(server, { settings: { allowApiPasswordReset: true, passwordReset: { tokenTtlSeconds: 1 } } });
      const settings = await server.request('GET', '/api/v1/admin/settings', { key: tenant.admin.key, host: tenant.host });
      expect(settings.body.settings.passwordReset).to.deep.equal({ tokenTtlSeconds: 1, allowedRedirectOrigins: [], linkBaseUrl: null });
      const link = await linkFor(tenant.admin.login, { redirect_url: REDIRECT }, { key: tenant.admin.key, host: tenant.host });
      await sleep(1_200);
      expectForwarded(await openPage(link, tenant.host), 'error', 'expired');
      expectForwarded(await setPassword(link, NEW_PASSWORD, tenant.host), 'error', 'expired');
      expect(await canSignIn(tenant.admin.login, tenant.admin.password, tenant.host)).to.equal(true);
    });

    it('a tampered token answers status=error&reason=invalid and changes nothing', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      const url = new URL(link);
      const token = url.searchParams.get('token')!;
      url.searchParams.set('token', token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'));
      expectForwarded(await openPage(url.href), 'error', 'invalid');
      expectForwarded(await setPassword(url.href), 'error', 'invalid');
      expect(await canSignIn(target.login, target.password)).to.equal(true);
      expectForwarded(await setPassword(link), 'success');
    });

    it('a tampered, swapped or stripped-down redirect is never followed: the page shows invalid and changes nothing', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      const another = await linkFor(target.login, { redirect_url: 'https://app.example.com/other' });
      const sealed = paramsOf(link).get('redirect')!;
      const flipped = sealed.slice(0, 30) + (sealed[30] === 'A' ? 'B' : 'A') + sealed.slice(31);
      for (const redirect of [flipped, paramsOf(another).get('redirect')!, sealed.slice(0, -4)]) {
        const url = new URL(link);
        url.searchParams.set('redirect', redirect);
        const page = await openPage(url.href);
        expect(page.status).to.equal(200);
        expect(page.headers.location).to.equal(undefined);
        expect(page.text).to.include('data-reason="invalid"');
        const post = await setPassword(url.href);
        expect(post.status).to.equal(200);
        expect(post.text).to.include('data-reason="invalid"');
      }
      expect(await canSignIn(target.login, target.password)).to.equal(true);
      expectForwarded(await setPassword(link), 'success');
    });

    it('five wrong secrets lock the token (too_many_attempts), even for the right secret afterwards', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      const url = new URL(link);
      const token = url.searchParams.get('token')!;
      for (let i = 1; i <= 5; i++) {
        url.searchParams.set('token', `${token.slice(0, -2)}${i}x`);
        expectForwarded(await setPassword(url.href), 'error', i < 5 ? 'invalid' : 'too_many_attempts');
      }
      expectForwarded(await openPage(link), 'error', 'too_many_attempts');
      expectForwarded(await setPassword(link), 'error', 'too_many_attempts');
      expect(await canSignIn(target.login, target.password)).to.equal(true);
    });

    it('turning allowApiPasswordReset off stops outstanding links (reason=invalid); on again, they work', async () => {
      const tenant = await aTenant(server, { settings: { allowApiPasswordReset: true } });
      const link = await linkFor(tenant.admin.login, { redirect_url: REDIRECT }, { key: tenant.admin.key, host: tenant.host });
      await patchSettings({ allowApiPasswordReset: false }, tenant.admin.key, tenant.host);
      expectForwarded(await openPage(link, tenant.host), 'error', 'invalid');
      expectForwarded(await setPassword(link, NEW_PASSWORD, tenant.host), 'error', 'invalid');
      await patchSettings({ allowApiPasswordReset: true }, tenant.admin.key, tenant.host);
      // Refusals for the switch are not wrong guesses: nothing was counted against the token.
      const db = server.running.services.database.prisma;
      expect((await db.passwordResetToken.findFirstOrThrow({ where: { tenantId: tenant.id } })).failedAttempts).to.equal(0);
      expectForwarded(await setPassword(link, NEW_PASSWORD, tenant.host), 'success');
    });

    it('a missing or malformed token answers invalid (no redirect to follow)', async () => {
      for (const path of ['/api/v1/reset-password', '/api/v1/reset-password?token=abc', '/api/v1/reset-password?token=x&redirect=y']) {
        const page = await server.request('GET', path);
        expect(page.status, path).to.equal(200);
        expect(page.text).to.include('data-reason="invalid"');
        expect(page.headers['cache-control']).to.equal('no-store');
      }
    });

    it('records requests, successes and failures in the account audit, never a secret', async () => {
      const target = await aUser(server, ['useApi']);
      const link = await linkFor(target.login, { redirect_url: REDIRECT });
      const url = new URL(link);
      url.searchParams.set('token', `${url.searchParams.get('token')!.slice(0, -1)}Z`);
      await setPassword(url.href);
      expectForwarded(await setPassword(link), 'success');
      const entries = await mailbox.auditOf(target.id);
      expect(entries.map((e) => e.event)).to.include.members(['reset_requested', 'reset_failed', 'reset_done']);
      const secret = paramsOf(link).get('token')!.split('.')[1];
      for (const entry of entries) expect(JSON.stringify(entry)).to.not.include(secret);
    });
  });

  describe('tenant isolation', () => {
    let tenant: TestTenant;
    let tenantCaller: TestUser;
    before(async () => {
      tenant = await aTenant(server, { settings: { allowApiPasswordReset: true } });
      tenantCaller = await aUser(server, ['useApi', 'apiUserPasswordReset'], { key: tenant.admin.key, host: tenant.host });
    });

    it('a caller of tenant B cannot reset a user of the root tenant (the e-mail is unknown there)', async () => {
      const rootUser = await aUser(server, ['useApi']);
      const res = await ask({ user_id: rootUser.login }, { key: tenantCaller.key, host: tenant.host });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ message: MESSAGE });
      await server.running.services.passwordReset.drain();
      expect(await mailbox.countTo(rootUser.login)).to.equal(0);
    });

    it('a root link opened on tenant B\'s host is invalid there, and B\'s link on the root host too', async () => {
      const rootUser = await aUser(server, ['useApi']);
      const rootLink = await linkFor(rootUser.login, { redirect_url: REDIRECT });
      const tenantLink = await linkFor(tenant.admin.login, { redirect_url: REDIRECT }, { key: tenantCaller.key, host: tenant.host });
      for (const [link, host] of [[rootLink, tenant.host], [tenantLink, undefined]] as const) {
        const page = await openPage(link, host);
        expect(page.status).to.equal(200);
        expect(page.text).to.include('data-reason="invalid"');
        expect((await setPassword(link, NEW_PASSWORD, host)).text).to.include('data-reason="invalid"');
      }
      expect(await canSignIn(rootUser.login, rootUser.password)).to.equal(true);
      expect(await canSignIn(tenant.admin.login, tenant.admin.password, tenant.host)).to.equal(true);
      // Each works on its own tenant's host.
      expectForwarded(await setPassword(rootLink), 'success');
      expectForwarded(await setPassword(tenantLink, NEW_PASSWORD, tenant.host), 'success');
      expect(await aKey(server, tenant.admin.login, NEW_PASSWORD, tenant.host)).to.be.a('string').and.match(/:/);
    });
  });

  describe('the tenant settings', () => {
    it('shows the defaults and merges a patch of passwordReset over them', async () => {
      const before = await server.request('GET', '/api/v1/admin/settings', { key: server.adminKey });
      expect(before.body.settings.passwordReset).to.deep.equal({ tokenTtlSeconds: 1800, allowedRedirectOrigins: [], linkBaseUrl: null });
      const tenant = await aTenant(server);
      const after1 = await patchSettings({ passwordReset: { tokenTtlSeconds: 600 } }, tenant.admin.key, tenant.host);
      const after2 = await patchSettings({ passwordReset: { allowedRedirectOrigins: ['https://App.Example.com/'], linkBaseUrl: 'https://acme.example/' } }, tenant.admin.key, tenant.host);
      expect(after1.settings.passwordReset.tokenTtlSeconds).to.equal(600);
      expect(after2.settings.passwordReset).to.deep.equal({ tokenTtlSeconds: 600, allowedRedirectOrigins: ['https://app.example.com'], linkBaseUrl: 'https://acme.example' });
    });

    it('answers 400 VALIDATION_FAILED for an origin with a path, a non-http origin, or a TTL out of range, and changes nothing', async () => {
      const tenant = await aTenant(server);
      for (const passwordReset of [{ allowedRedirectOrigins: ['https://app.example.com/path'] }, { allowedRedirectOrigins: ['javascript:x'] }, { tokenTtlSeconds: 0 }, { linkBaseUrl: 'ftp://x.example' }]) {
        const res = await server.request('PATCH', '/api/v1/admin/settings', { key: tenant.admin.key, host: tenant.host, body: { passwordReset } });
        expect(res.status, JSON.stringify(passwordReset)).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
      }
      const now = await server.request('GET', '/api/v1/admin/settings', { key: tenant.admin.key, host: tenant.host });
      expect(now.body.settings.passwordReset).to.deep.equal({ tokenTtlSeconds: 1800, allowedRedirectOrigins: [], linkBaseUrl: null });
    });

    it('a tenant\'s linkBaseUrl is the base of its links', async () => {
      const tenant = await aTenant(server, { settings: { allowApiPasswordReset: true, passwordReset: { linkBaseUrl: 'https://acme.example/portal' } } });
      const link = await linkFor(tenant.admin.login, {}, { key: tenant.admin.key, host: tenant.host });
      expect(link.startsWith('https://acme.example/portal/api/v1/reset-password?token=')).to.equal(true);
    });
  });

  it('an admin login is untouched by all of the above', async () => {
    expect(await canSignIn(ADMIN.email, ADMIN.password)).to.equal(true);
  });
});
