// The verification link's page in headless Chromium against a real server process with mail
// delivered to a local SMTP server: a mail scanner's GET and HEAD of the link change nothing;
// the user's press on the page's button verifies the account, which can then sign in.
// Needs Debian's `chromium` (/usr/bin/chromium); skipped with a message when it is missing,
// except under CI=true, where a missing browser fails the run.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, REPO_ROOT, startServerProcess, stopAllProcesses, type ServerProcess } from '../helpers/process.ts';
import { ADMIN, adminKeyFrom, aUserWithKey } from '../helpers/process-users.ts';
import { startMailSink, type MailSink } from '../helpers/mail-sink.ts';
import { linkIn } from '../helpers/verification.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = path.join(REPO_ROOT, '.tmp', 'screenshots', 'verification-page.png');
const ci = () => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

describe('the verification link page (headless Chromium)', function () {
  this.timeout(120_000);
  let database: TestDatabase | undefined;
  let server: ServerProcess;
  let mail: MailSink;
  let browser: Browser | undefined;
  let registrar: string;
  let apiRole: number;
  const domain = 'browser.example.com';

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (ci()) throw new Error(`${CHROMIUM} not found: CI must install Debian's chromium`);
      console.log(`      [skipped: ${CHROMIUM} not found; install Debian's chromium to run the browser test]`);
      this.skip();
    }
    mail = await startMailSink();
    database = await createTestDatabase();
    const port = await freePort();
    server = await startServerProcess({
      DATABASE_URL: database.url, REDIS_URL: process.env.REDIS_URL, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password,
      PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, SMTP_URL: mail.url, DELIVERY_POLL_MS: '200',
    }, { name: 'verify-page', readyTimeoutMs: 90_000 });
    const adminKey = await adminKeyFrom(server);
    registrar = (await aUserWithKey(server, adminKey, ['useApi', 'apiUserRegistration'])).key;
    const role = await server.request('POST', '/api/v1/admin/roles', { key: adminKey, body: { name: 'Registered API users', permissions: ['useApi'], typePermissions: [] } });
    apiRole = role.body.id;
    const settings = await server.request('PATCH', '/api/v1/admin/settings', { key: adminKey, body: { registrationEnvelope: { allowedDomains: [domain], allowedRoles: [apiRole], allowedGroups: [] } } });
    expect(settings.status, settings.text).to.equal(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });

  after(async () => {
    await browser?.close();
    await stopAllProcesses();
    await mail?.close();
    await database?.drop();
  });

  it('a scanner\'s GET and HEAD change nothing; pressing the button verifies the account', async () => {
    const login = `pat-${randomBytes(3).toString('hex')}@${domain}`;
    const password = 'a-good-password-1';
    const reg = await server.request('POST', '/api/v1/app/user.register', { key: registrar, body: { user_id: login, user_name: 'Pat Browser', password, roles: [apiRole], verify_account: { methods: ['mail_link'] } } });
    expect(reg.status, reg.text).to.equal(200);
    const link = linkIn((await mail.waitFor(login)).text);
    expect(link.origin).to.equal(server.url);

    // What a mail scanner does: fetch the link, follow nothing, submit nothing.
    for (const method of ['GET', 'HEAD', 'GET']) {
      const res = await fetch(link, { method, redirect: 'manual' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
    }
    const before = await server.request('POST', '/api/v1/auth', { body: { user: login, password } });
    expect(before.status).to.equal(403);
    expect(before.body.code).to.equal('USER_INACTIVE');

    const context = await browser!.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(link.toString());
    await page.getByRole('heading', { name: 'Confirm your account' }).waitFor();
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    // Opening it in a real browser changes nothing either: no script runs, nothing submits itself.
    expect((await server.request('POST', '/api/v1/auth', { body: { user: login, password } })).status).to.equal(403);

    await page.getByRole('button', { name: 'Confirm my account' }).click();
    await page.getByRole('heading', { name: 'Account confirmed' }).waitFor();
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-done.png') });
    expect(problems).to.deep.equal([]);
    const after = await server.request('POST', '/api/v1/auth', { body: { user: login, password } });
    expect(after.status, after.text).to.equal(200);
    // The request log names the path only: the link's secret appears in no log line.
    expect(server.logRecords().some((r) => r.path === '/api/v1/verify-account')).to.equal(true);
    expect(JSON.stringify(server.logRecords())).to.not.include(link.searchParams.get('secret')!);
    await context.close();
  });
});
