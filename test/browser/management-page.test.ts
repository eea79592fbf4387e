// The Application Management page in headless Chromium against a real server process: sign in
// with login and password, read the cache's figures, see reads made meanwhile counted as misses
// and hits, purge (a type, the tenant), see the next read miss, and sign out (the key revoked).
// Needs Debian's `chromium` (/usr/bin/chromium); skipped with a message when it is missing,
// except under CI=true, where a missing browser fails the run.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { REPO_ROOT, startServerProcess, stopAllProcesses, type ServerProcess } from '../helpers/process.ts';
import type { RequestOptions } from '../helpers/server.ts';

/** Debian's chromium; CHROMIUM_PATH names another build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const SCREENSHOT = path.join(REPO_ROOT, '.tmp', 'screenshots', 'management-page.png');
/** CI set to anything but empty, 0 or false (CI services set CI=true). */
const ci = () => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

describe('the Application Management page (headless Chromium)', function () {
  this.timeout(120_000);
  let database: TestDatabase | undefined;
  let server: ServerProcess;
  let browser: Browser | undefined;
  let page: Page;
  let operator: { id: number; login: string; password: string };
  let reader: { id: number; key: string };
  let plainKey: string;
  let book: { id: number; systemName: string };
  let film: { id: number; systemName: string };
  let bookItem: number;
  let filmItem: number;
  const pageProblems: string[] = [];

  async function api(method: string, url: string, options: RequestOptions = {}, expected?: number) {
    const res = await server.request(method, url, options);
    if (expected !== undefined) expect(res.status, `${method} ${url}: ${res.text}`).to.equal(expected);
    return res;
  }

  /** A role holding `permissions` and type grants on `typeIds`, a user with it, and a key. */
  async function aUser(adminKey: string, permissions: string[], typeIds: number[] = []) {
    const tag = randomBytes(4).toString('hex');
    const typePermissions = typeIds.map((typeId) => ({ typeId, show: true, create: true, edit: true, delete: true }));
    const role = await api('POST', '/api/v1/admin/roles', { key: adminKey, body: { name: `page-${tag}`, permissions, typePermissions } }, 201);
    const login = `page-${tag}@example.com`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const user = await api('POST', '/api/v1/admin/users', { key: adminKey, body: { login, name: `Page ${tag}`, password, roles: [role.body.id] } }, 201);
    const auth = await api('POST', '/api/v1/auth', { body: { user: login, password } }, 200);
    return { id: user.body.id as number, login, password, key: auth.body.authToken.keyString as string };
  }

  async function aType(adminKey: string, systemName: string) {
    const created = await api('POST', '/api/v1/admin/types', { key: adminKey, body: { systemName, properties: [{ systemName: 'title', kind: 'string' }] } }, 201);
    return { id: created.body.id as number, systemName };
  }

  /** One read of an item as the reader; its X-Cache must be `expected`. */
  async function readItem(type: { systemName: string }, id: number, expected: 'HIT' | 'MISS') {
    const res = await api('GET', `/api/v1/collection/${type.systemName}/${id}`, { key: reader.key }, 200);
    expect(res.headers['x-cache']).to.equal(expected);
  }

  /** The numbers of the per-type row of `type` as the page shows them. */
  async function rowFigures(type: { systemName: string }) {
    const row = page.locator(`#types-body tr[data-type="${type.systemName}"]`);
    if ((await row.count()) === 0) return null;
    const cell = async (name: string) => Number((await row.locator(`td.${name}`).innerText()).replace(/,/g, ''));
    return { hits: await cell('hits'), misses: await cell('misses') };
  }

  /** Clicks Refresh until the page shows `expected` for the type (shared figures lag about 1 s). */
  async function refreshUntil(type: { systemName: string }, expected: { hits: number; misses: number }) {
    const deadline = Date.now() + 10_000;
    let seen = await rowFigures(type);
    while (!(seen && seen.hits === expected.hits && seen.misses === expected.misses) && Date.now() < deadline) {
      await page.click('#refresh');
      await page.waitForFunction(() => !(document.getElementById('refresh') as HTMLButtonElement).disabled);
      seen = await rowFigures(type);
      if (!(seen && seen.hits === expected.hits && seen.misses === expected.misses)) await page.waitForTimeout(200);
    }
    expect(seen, `the ${type.systemName} row`).to.deep.equal(expected);
  }

  const messageText = () => page.locator('#message').innerText();

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (ci()) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium package (apt-get install -y chromium)`);
      console.log(`      [skipped: ${CHROMIUM} not found; install Debian's chromium to run the browser test]`);
      this.skip();
    }
    database = await createTestDatabase();
    server = await startServerProcess(
      {
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: `jt-page-${randomBytes(4).toString('hex')}`,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        LOG_LEVEL: 'warn',
        AUTH_RATE_LIMIT_PER_IP: '100000',
        AUTH_RATE_LIMIT_PER_LOGIN: '100000',
        AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL: '100000',
      },
      { name: 'manage-page-server', readyTimeoutMs: 60_000 },
    );
    const adminKey = (await api('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } }, 200)).body.authToken.keyString;
    book = await aType(adminKey, `book_${randomBytes(3).toString('hex')}`);
    film = await aType(adminKey, `film_${randomBytes(3).toString('hex')}`);
    const op = await aUser(adminKey, ['useApi', 'appManagement']);
    operator = { id: op.id, login: op.login, password: op.password };
    reader = await aUser(adminKey, ['useApi'], [book.id, film.id]);
    plainKey = (await aUser(adminKey, ['useApi'])).key;
    bookItem = (await api('POST', `/api/v1/collection/${book.systemName}`, { key: reader.key, body: { title: 'Dune' } }, 201)).body.id;
    filmItem = (await api('POST', `/api/v1/collection/${film.systemName}`, { key: reader.key, body: { title: 'Alien' } }, 201)).body.id;

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    // Refusals the page asked for (401, 403, 404) are logged by Chromium as failed loads: not problems.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) pageProblems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
    page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await stopAllProcesses();
    await database?.drop();
  });

  it('serves one self-contained page under a strict Content-Security-Policy', async () => {
    const response = await page.goto(`${server.url}/api/v1/manage`);
    expect(response?.status()).to.equal(200);
    const headers = response!.headers();
    expect(headers['content-type']).to.match(/^text\/html/);
    const csp = headers['content-security-policy'];
    expect(csp).to.include("default-src 'none'").and.include("connect-src 'self'").and.include("frame-ancestors 'none'");
    expect(csp).to.match(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).to.not.include('unsafe-inline');
    // Nothing but the page itself was loaded.
    const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name));
    expect(loaded).to.deep.equal([]);
    await page.waitForSelector('#login-form', { state: 'visible' });
    expect(pageProblems, pageProblems.join('\n')).to.deep.equal([]);
  });

  it("shows the API's message and code on a wrong password", async () => {
    await page.fill('#login', operator.login);
    await page.fill('#password', 'wrong-password');
    await page.click('#login-submit');
    await page.waitForSelector('#message.error');
    expect(await messageText()).to.include('Invalid user or password').and.include('INVALID_CREDENTIALS');
    expect(await page.isVisible('#dashboard')).to.equal(false);
  });

  it('says so when a pasted key lacks appManagement', async () => {
    await page.fill('#key', plainKey);
    await page.click('#key-submit');
    await page.waitForFunction(() => /appManagement/.test(document.getElementById('message')!.textContent ?? ''));
    expect(await messageText()).to.include('lacks the appManagement permission').and.include('PERMISSION_DENIED');
    // Back to the sign-in form for the real operator.
    await page.click('#signout');
    await page.waitForSelector('#login-form', { state: 'visible' });
  });

  it('signs in with login and password and shows the figures', async () => {
    await page.fill('#login', operator.login);
    await page.fill('#password', operator.password);
    await page.click('#login-submit');
    await page.waitForSelector('#dashboard', { state: 'visible' });
    await page.waitForFunction(() => document.getElementById('c-ratio')!.textContent !== '–');
    expect(await page.innerText('#who')).to.include(operator.login);
    const stored = await page.evaluate(() => sessionStorage.getItem('jetstack.manage.key'));
    expect(stored).to.match(/^.+:.+$/);
    expect(await page.innerText('#s-store')).to.match(process.env.REDIS_URL ? /Redis/ : /Memory/);
    expect(await page.innerText('#s-ttl')).to.equal('5 min');
    expect(await page.innerText('#c-hits')).to.equal('0');
    expect(await page.innerText('#types-body')).to.include('No type has had cacheable traffic yet');
  });

  it('counts the misses and hits caused meanwhile, per type, after a refresh', async () => {
    await readItem(book, bookItem, 'MISS');
    await readItem(book, bookItem, 'HIT');
    await readItem(book, bookItem, 'HIT');
    await readItem(film, filmItem, 'MISS');
    await refreshUntil(book, { hits: 2, misses: 1 });
    await refreshUntil(film, { hits: 0, misses: 1 });
    expect(await page.innerText('#c-hits')).to.equal('2');
    expect(await page.innerText('#c-misses')).to.equal('2');
    expect(await page.innerText('#c-ratio')).to.equal('50.0 %');
    // The busiest type first.
    expect(await page.locator('#types-body tr').first().getAttribute('data-type')).to.equal(book.systemName);
    expect(await page.locator('#chart polyline.total').count()).to.equal(1);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("purges one type from its row: that type's next read misses, the other type's still hits", async () => {
    await readItem(film, filmItem, 'HIT');
    await page.click(`#types-body tr[data-type="${book.systemName}"] button`);
    await page.waitForFunction(() => /Purged type/.test(document.getElementById('message')!.textContent ?? ''));
    expect(await page.getAttribute('#message', 'class')).to.include('ok');
    await readItem(book, bookItem, 'MISS');
    await readItem(film, filmItem, 'HIT');
    await refreshUntil(book, { hits: 2, misses: 2 });
    await refreshUntil(film, { hits: 2, misses: 1 });
  });

  it('purges the whole tenant: every next read misses', async () => {
    await readItem(book, bookItem, 'HIT');
    await page.click('#purge-tenant');
    await page.waitForFunction(() => /Purged the whole tenant/.test(document.getElementById('message')!.textContent ?? ''));
    await readItem(book, bookItem, 'MISS');
    await readItem(film, filmItem, 'MISS');
    await refreshUntil(book, { hits: 3, misses: 3 });
    await refreshUntil(film, { hits: 2, misses: 2 });
  });

  it("purges one user's entries by id, and shows a 404 for an unknown type", async () => {
    await readItem(book, bookItem, 'HIT');
    await page.fill('#purge-user', String(reader.id));
    await page.click('#purge-user-form button');
    await page.waitForFunction((id) => (document.getElementById('message')!.textContent ?? '').includes(`Purged user ${id}`), reader.id);
    await readItem(book, bookItem, 'MISS');
    // The API names the unknown type in its message: shown as text, never parsed as HTML.
    const hostile = '<img src=x onerror="window.__injected=1">';
    await page.fill('#purge-type', hostile);
    await page.click('#purge-type-form button');
    await page.waitForSelector('#message.error');
    expect(await messageText()).to.include('NOT_FOUND').and.include(hostile);
    expect(await page.locator('#message img').count()).to.equal(0);
    expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).to.equal(undefined);
  });

  it('refreshes by itself when auto-refresh is on', async () => {
    const before = (await rowFigures(film))!;
    await page.selectOption('#interval', '5');
    await page.check('#auto');
    await readItem(film, filmItem, 'MISS');
    await readItem(film, filmItem, 'HIT');
    // No click: the page's own timer brings the new figures (a 5 s interval, shared figures lag ~1 s).
    await page.waitForFunction(
      ({ name, hits }) => document.querySelector(`#types-body tr[data-type="${name}"] td.hits`)?.textContent === String(hits),
      { name: film.systemName, hits: before.hits + 1 },
      { timeout: 15_000 },
    );
    expect(await rowFigures(film)).to.deep.equal({ hits: before.hits + 1, misses: before.misses + 1 });
    await page.uncheck('#auto');
  });

  it('signs out by itself, saying why, when its key is revoked elsewhere', async () => {
    const key = await page.evaluate(() => sessionStorage.getItem('jetstack.manage.key'));
    await api('POST', '/api/v1/deauth', { body: { key: key! } }, 200);
    await page.click('#refresh');
    await page.waitForSelector('#login-form', { state: 'visible' });
    expect(await messageText()).to.include('API_KEY_INVALID');
    expect(await page.evaluate(() => sessionStorage.getItem('jetstack.manage.key'))).to.equal(null);
    // And back in for the last step.
    await page.fill('#login', operator.login);
    await page.fill('#password', operator.password);
    await page.click('#login-submit');
    await page.waitForSelector('#dashboard', { state: 'visible' });
  });

  it('signs out: the key is revoked and forgotten, and the sign-in form is back', async () => {
    const key = await page.evaluate(() => sessionStorage.getItem('jetstack.manage.key'));
    await page.click('#signout');
    await page.waitForSelector('#login-form', { state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('jetstack.manage.key'))).to.equal(null);
    const after = await api('GET', '/api/v1/app/cache.stats', { key: key! });
    expect(after.status).to.equal(403);
    expect(after.body.code).to.equal('API_KEY_INVALID');
    expect(pageProblems, pageProblems.join('\n')).to.deep.equal([]);
  });
});
