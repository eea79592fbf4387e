// The password-reset page in headless Chromium against a real server process that mails over
// SMTP to a local sink: open the mailed link, set a new password, land on the integration's
// redirect_url?status=success (a local HTTP server), then POST /auth works with the new password
// and not the old; a tampered token lands on status=error&reason=invalid. Needs Debian's
// `chromium`; skipped with a message when it is missing, except under CI=true.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, REPO_ROOT, startServerProcess, stopAllProcesses, type ServerProcess } from '../helpers/process.ts';
import type { RequestOptions } from '../helpers/server.ts';
import { ResetMailbox } from '../helpers/reset-mailbox.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const SCREENSHOT = path.join(REPO_ROOT, '.tmp', 'screenshots', 'reset-page.png');
const ci = () => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

describe('the password-reset page (headless Chromium)', function () {
  this.timeout(120_000);
  let database: TestDatabase | undefined;
  let server: ServerProcess;
  let mailbox: ResetMailbox;
  let browser: Browser | undefined;
  let page: Page;
  let integration: Server;
  let integrationUrl: string;
  /** What the integration's server saw arrive (path and query). */
  const arrivals: string[] = [];
  let caller: string;
  let target: { login: string; password: string };
  const pageProblems: string[] = [];

  async function api(method: string, url: string, options: RequestOptions = {}, expected?: number) {
    const res = await server.request(method, url, options);
    if (expected !== undefined) expect(res.status, `${method} ${url}: ${res.text}`).to.equal(expected);
    return res;
  }

  async function aUser(adminKey: string, permissions: string[]) {
    const tag = randomBytes(4).toString('hex');
    const role = await api('POST', '/api/v1/admin/roles', { key: adminKey, body: { name: `reset-${tag}`, permissions } }, 201);
    const login = `reset-${tag}@example.com`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    await api('POST', '/api/v1/admin/users', { key: adminKey, body: { login, name: `Reset ${tag}`, password, roles: [role.body.id] } }, 201);
    return { login, password };
  }

  async function mailedLink(login: string) {
    await api('POST', '/api/v1/app/user.resetpassword', { key: caller, body: { user_id: login, redirect_url: `${integrationUrl}/after-reset?app=crm` } }, 200);
    return mailbox.nextLink(login);
  }

  const signIn = async (login: string, password: string) => (await server.request('POST', '/api/v1/auth', { body: { user: login, password } })).status;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (ci()) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium package (apt-get install -y chromium)`);
      console.log(`      [skipped: ${CHROMIUM} not found; install Debian's chromium to run the browser test]`);
      this.skip();
    }
    integration = createServer((req, res) => {
      // The browser also asks for /favicon.ico: only the page loads count.
      if (req.url !== '/favicon.ico') arrivals.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>CRM</title><h1 id="landed">Back in the CRM</h1>');
    });
    await new Promise<void>((resolve) => integration.listen(0, '127.0.0.1', resolve));
    integrationUrl = `http://127.0.0.1:${(integration.address() as AddressInfo).port}`;
    mailbox = await ResetMailbox.start();
    database = await createTestDatabase();
    const port = await freePort();
    server = await startServerProcess(
      {
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: `jt-reset-${randomBytes(4).toString('hex')}`,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        LOG_LEVEL: 'warn',
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        ...mailbox.serverEnv(),
        AUTH_RATE_LIMIT_PER_IP: '100000',
        AUTH_RATE_LIMIT_PER_LOGIN: '100000',
        AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL: '100000',
      },
      { name: 'reset-page-server', readyTimeoutMs: 60_000 },
    );
    const adminKey = (await api('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } }, 200)).body.authToken.keyString;
    await api('PATCH', '/api/v1/admin/settings', { key: adminKey, body: { allowApiPasswordReset: true, passwordReset: { allowedRedirectOrigins: [integrationUrl] } } }, 200);
    const callerUser = await aUser(adminKey, ['useApi', 'apiUserPasswordReset']);
    caller = (await api('POST', '/api/v1/auth', { body: { user: callerUser.login, password: callerUser.password } }, 200)).body.authToken.keyString;
    target = await aUser(adminKey, ['useApi']);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') pageProblems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await stopAllProcesses();
    await database?.drop();
    await mailbox?.stop();
    await new Promise<void>((resolve) => (integration ? integration.close(() => resolve()) : resolve()));
  });

  it('opens the mailed link, sets a new password and lands on redirect_url?status=success', async () => {
    const link = await mailedLink(target.login);
    expect(link.startsWith(`${server.url}/api/v1/reset-password?token=`)).to.equal(true);
    const response = await page.goto(link);
    expect(response?.status()).to.equal(200);
    expect(response!.headers()['cache-control']).to.equal('no-store');
    expect(response!.headers()['referrer-policy']).to.equal('no-referrer');
    await page.waitForSelector('#password', { state: 'visible' });
    expect(await page.innerText('h1')).to.equal('Choose a new password');
    // A mistake first: the form comes back with the reason, the token still usable.
    await page.fill('#password', 'brand-new-password-1');
    await page.fill('#confirm', 'brand-new-password-2');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    expect(await page.innerText('#message')).to.include('not the same');
    await page.fill('#password', 'brand-new-password-1');
    await page.fill('#confirm', 'brand-new-password-1');
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await Promise.all([page.waitForURL(`${integrationUrl}/**`), page.click('#submit')]);
    const landed = new URL(page.url());
    expect(landed.pathname).to.equal('/after-reset');
    expect(landed.searchParams.get('app')).to.equal('crm');
    expect(landed.searchParams.get('status')).to.equal('success');
    expect(await page.innerText('#landed')).to.equal('Back in the CRM');
    expect(arrivals.at(-1)).to.equal('/after-reset?app=crm&status=success');
    expect(pageProblems, pageProblems.join('\n')).to.deep.equal([]);
  });

  it('POST /auth now works with the new password and not with the old one', async () => {
    expect(await signIn(target.login, 'brand-new-password-1')).to.equal(200);
    expect(await signIn(target.login, target.password)).to.equal(401);
  });

  it('a tampered token lands on status=error&reason=invalid', async () => {
    const link = new URL(await mailedLink(target.login));
    const token = link.searchParams.get('token')!;
    link.searchParams.set('token', `${token.slice(0, -3)}${token.endsWith('xyz') ? 'abc' : 'xyz'}`);
    await page.goto(link.href);
    await page.waitForURL(`${integrationUrl}/**`);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('status')).to.equal('error');
    expect(landed.searchParams.get('reason')).to.equal('invalid');
    expect(await signIn(target.login, 'brand-new-password-1')).to.equal(200);
  });
});
