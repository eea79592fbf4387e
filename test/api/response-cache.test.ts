// The response cache through HTTP (issue 8, seed 001 "Response Caching", seed 004's cache
// headers): headers and HIT / MISS / BYPASS per route, the key (query order, `_noCache`, the
// SEARCH body), the stages a hit never skips, read-your-writes invalidation for every write
// (items, tags, files, type definitions, roles, groups, users, tenant settings), the list TTL,
// read-logged types, isolation between users and tenants, and a write/read race.
import { expect } from 'chai';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import { aRole, aUser, type TestUser } from '../helpers/principals.ts';
import { aType, aUserWithGrants, allGrants, anItem, systemName, type As, type ItemTypeBody } from '../helpers/collections.ts';
import { expectCached, inZone, rewriteStoredValue, type CacheOutcome } from '../helpers/response-cache.ts';
import { expectError } from '../helpers/expectations.ts';

const col = (collection: string | number, rest = '') => `/api/v1/collection/${collection}${rest}`;
const PRAGUE = 'Europe/Prague';
const NEW_YORK = 'America/New_York';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Refused: 403, or the unknown type's 404 for a caller without any grant on it. */
function expectRefused(res: ApiResponse, what: string) {
  expect(res.status, `${what}: ${res.status} ${res.text}`).to.be.oneOf([403, 404]);
  expect(res.headers['x-cache'], `${what}: a refusal is never a cache hit`).to.not.equal('HIT');
}

const titles = (res: ApiResponse) => (res.body.data as { title: string }[]).map((i) => i.title);

interface Fixture {
  type: ItemTypeBody;
  user: TestUser;
  as: As;
  alpha: Record<string, any>;
  beta: Record<string, any>;
}

describe('response cache', function () {
  this.timeout(120_000);
  let server: TestServer;

  /** A type of its own (so no entry exists yet), a user with every grant, two items. */
  async function fixture(options: { host?: string; adminKey?: string; readLog?: boolean } = {}): Promise<Fixture> {
    const admin = { key: options.adminKey ?? server.adminKey, host: options.host };
    const type = await aType(server, [
      { systemName: 'title', kind: 'string', required: true },
      { systemName: 'count', kind: 'integer' },
      { systemName: 'labels', kind: 'string', multiple: true },
      { systemName: 'doc', kind: 'file' },
    ], { ...admin, readLog: options.readLog });
    const user = await aUserWithGrants(server, allGrants(type.id), admin);
    const as = { key: user.key, host: options.host };
    const alpha = await anItem(server, type.id, { title: 'alpha', count: 1, labels: ['a', 'b'] }, as);
    const beta = await anItem(server, type.id, { title: 'beta', count: 2, labels: ['c'] }, as);
    return { type, user, as, alpha, beta };
  }

  const send = (method: string, path: string, as: As, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
    server.request(method, path, { ...as, ...options });

  /** Requests `path` until a HIT (the first may be a MISS or BYPASS); returns the HIT. */
  async function warm(path: string, as: As, method = 'GET', body?: unknown): Promise<ApiResponse> {
    const first = await send(method, path, as, { body });
    expectCached(first);
    const second = await send(method, path, as, { body });
    expectCached(second, 'HIT');
    expect(second.text, `${method} ${path}: a HIT gives the stored bytes`).to.equal(first.text);
    expect(second.headers.etag).to.equal(first.headers.etag);
    return second;
  }

  /** The next request after a write: computed afresh (not a HIT of the old entry), a new ETag. */
  async function expectChanged(path: string, as: As, before: ApiResponse, what: string): Promise<ApiResponse> {
    const after = await send('GET', path, as);
    expectCached(after, ['MISS', 'BYPASS']);
    expect(after.headers.etag, `${what}: a new ETag`).to.not.equal(before.headers.etag);
    expect(after.text, what).to.not.equal(before.text);
    return after;
  }

  before(async () => {
    // The race test sends thousands of requests with one key in a few seconds: no key budget
    // (the test of rate limiting on hits starts a server of its own with one).
    server = await startTestServer({ ...RELAXED_AUTH_LIMITS, KEY_RATE_LIMIT_PER_MINUTE: '0' });
  });
  after(async () => {
    await server?.stop();
  });

  // ------------------------------------------------------------------ headers, HIT and MISS

  describe('headers, HIT and MISS', () => {
    const routes: [string, string, (f: Fixture) => string, unknown?][] = [
      ['a list (GET)', 'GET', (f) => col(f.type.systemName, '?orderBy=id')],
      ['a list (SEARCH)', 'SEARCH', (f) => col(f.type.systemName), { orderBy: 'id', perPage: 7 }],
      ['a list (QUERY)', 'QUERY', (f) => col(f.type.systemName), { orderBy: 'id', perPage: 8 }],
      ['a list (POST …/search)', 'POST', (f) => col(f.type.systemName, '/search'), { orderBy: 'id', perPage: 9 }],
      ['get one by id', 'GET', (f) => col(f.type.systemName, `/${f.alpha.id}`)],
      ['get one by UUID', 'GET', (f) => col(f.type.systemName, `/${f.alpha.uuid}`)],
      ['get-by a property', 'GET', (f) => col(f.type.systemName, '/get-by/title/alpha')],
      ['get one by the type id', 'GET', (f) => col(f.type.id, `/${f.alpha.id}`)],
    ];
    for (const [what, method, path, body] of routes) {
      it(`${what}: the first request is a MISS, an identical repeat a HIT with the same bytes and ETag`, async () => {
        const f = await fixture();
        const first = await send(method, path(f), f.as, { body });
        const tag = expectCached(first, 'MISS');
        for (let i = 0; i < 2; i++) {
          const again = await send(method, path(f), f.as, { body });
          expect(expectCached(again, 'HIT')).to.equal(tag);
          expect(again.bytes.equals(first.bytes), 'the same bytes').to.equal(true);
          expect(again.headers['content-type']).to.equal(first.headers['content-type']);
        }
      });
    }

    it('Vary names the API key headers the answer depends on', async () => {
      const f = await fixture();
      const res = await send('GET', col(f.type.systemName, `/${f.alpha.id}`), f.as);
      expectCached(res);
      const vary = res.headers.vary.split(',').map((h) => h.trim().toLowerCase());
      expect(vary.some((h) => ['key', 'x-api-key', 'authorization'].includes(h)), `Vary: ${res.headers.vary}`).to.equal(true);
    });

    it('the order of the query parameters does not matter: the reordered query is a HIT with the same ETag', async () => {
      const f = await fixture();
      const first = await send('GET', col(f.type.systemName, '?perPage=5&orderBy=title&orderDir=desc'), f.as);
      const tag = expectCached(first, 'MISS');
      const reordered = await send('GET', col(f.type.systemName, '?orderDir=desc&orderBy=title&perPage=5'), f.as);
      expect(expectCached(reordered, 'HIT')).to.equal(tag);
      expect(reordered.text).to.equal(first.text);
      const other = await send('GET', col(f.type.systemName, '?orderDir=asc&orderBy=title&perPage=5'), f.as);
      expectCached(other, 'MISS');
      expect(titles(other)).to.deep.equal(['alpha', 'beta']);
    });

    it('?_noCache=1 is a BYPASS computed afresh and stored without the parameter: the plain request after it is a HIT', async () => {
      const f = await fixture();
      const bypass = await send('GET', col(f.type.systemName, '?_noCache=1&perPage=4'), f.as);
      const tag = expectCached(bypass, 'BYPASS');
      expect(bypass.body.stats.total).to.equal(2);
      const plain = await send('GET', col(f.type.systemName, '?perPage=4'), f.as);
      expect(expectCached(plain, 'HIT')).to.equal(tag);
      expect(plain.text).to.equal(bypass.text);
      expect(expectCached(await send('GET', col(f.type.systemName, `/${f.alpha.id}?_noCache=1`), f.as), 'BYPASS')).to.match(/^"/);
      expectCached(await send('GET', col(f.type.systemName, `/${f.alpha.id}`), f.as), 'HIT');
    });

    it('?_noCache=0 is no bypass and shares the entry of the request without it', async () => {
      const f = await fixture();
      const tag = expectCached(await send('GET', col(f.type.systemName, '?perPage=3'), f.as), 'MISS');
      expect(expectCached(await send('GET', col(f.type.systemName, '?perPage=3&_noCache=0'), f.as), 'HIT')).to.equal(tag);
    });

    it('a ?_noCache outside the contract (2, empty, true, repeated) is refused with 400 even when the URL without it is cached (a hit never skips validation of what the key drops)', async () => {
      const f = await fixture();
      const list = col(f.type.systemName, '?perPage=6');
      const one = col(f.type.systemName, `/${f.alpha.id}`);
      await warm(list, f.as);
      await warm(one, f.as);
      const answers: string[] = [];
      for (const value of ['2', '', 'true', '1&_noCache=1', '0&_noCache=1']) {
        // Uncached (a query of its own), validation refuses it.
        expectError(await send('GET', col(f.type.systemName, `?perPage=7&_noCache=${value}`), f.as), 400, 'VALIDATION_FAILED');
        for (const path of [`${list}&_noCache=${value}`, `${one}?_noCache=${value}`]) {
          const res = await send('GET', path, f.as);
          if (res.status !== 400) answers.push(`${path} → ${res.status} X-Cache ${res.headers['x-cache']}`);
        }
      }
      expect(answers, 'answered from the cache instead of 400 VALIDATION_FAILED').to.deep.equal([]);
    });

    it('an item addressed by its UUID in upper case gets the same answer cached or not', async () => {
      const f = await fixture();
      const upper = col(f.type.systemName, `/${f.alpha.uuid.toUpperCase()}`);
      const uncached = await send('GET', upper, f.as, { headers: { 'cache-control': 'no-store' } });
      await warm(col(f.type.systemName, `/${f.alpha.uuid}`), f.as);
      const cached = await send('GET', upper, f.as);
      expect(cached.status, `uncached ${uncached.status}, with the lower-case entry stored ${cached.status} (X-Cache ${cached.headers['x-cache']})`).to.equal(uncached.status);
    });

    it('an invalid query is refused with 400 every time, whatever is cached (only answers to valid requests are stored)', async () => {
      const f = await fixture();
      await warm(col(f.type.systemName, '?perPage=2'), f.as);
      for (let i = 0; i < 2; i++) {
        expectError(await send('GET', col(f.type.systemName, '?perPage=0'), f.as), 400, 'VALIDATION_FAILED');
        expectError(await send('GET', col(f.type.systemName, '?perPage=2&orderDir=sideways'), f.as), 400, 'VALIDATION_FAILED');
      }
    });

    it('Cache-Control: no-cache is a BYPASS whose fresh answer is stored: the plain request after it is a HIT', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, `/${f.beta.id}`);
      const bypass = await send('GET', path, f.as, { headers: { 'cache-control': 'no-cache' } });
      const tag = expectCached(bypass, 'BYPASS');
      expect(bypass.body.title).to.equal('beta');
      expect(expectCached(await send('GET', path, f.as), 'HIT')).to.equal(tag);
      // On an entry that exists, no-cache still recomputes.
      expectCached(await send('GET', path, f.as, { headers: { 'cache-control': 'no-cache' } }), 'BYPASS');
    });

    it('Pragma: no-cache is a BYPASS like Cache-Control: no-cache', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, '/get-by/title/beta');
      await warm(path, f.as);
      expectCached(await send('GET', path, f.as, { headers: { pragma: 'no-cache' } }), 'BYPASS');
    });

    it('Cache-Control: no-store is a BYPASS that stores nothing: the plain request after it is a MISS', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      const noStore = await send('GET', path, f.as, { headers: { 'cache-control': 'no-store' } });
      const tag = expectCached(noStore, 'BYPASS');
      const plain = await send('GET', path, f.as);
      expect(expectCached(plain, 'MISS')).to.equal(tag);
      expectCached(await send('GET', path, f.as), 'HIT');
    });

    it('a SEARCH body with its keys in another order is the same entry (HIT); another body is another entry (MISS)', async () => {
      const f = await fixture();
      const path = col(f.type.systemName);
      const first = await send('SEARCH', path, f.as, { body: { perPage: 3, orderBy: 'count', orderDir: 'desc', filters: [{ property: 'count', type: 'gte', param: 1 }] } });
      const tag = expectCached(first, 'MISS');
      const reordered = await send('SEARCH', path, f.as, { body: { filters: [{ param: 1, type: 'gte', property: 'count' }], orderDir: 'desc', orderBy: 'count', perPage: 3 } });
      expect(expectCached(reordered, 'HIT')).to.equal(tag);
      const narrower = await send('SEARCH', path, f.as, { body: { perPage: 3, orderBy: 'count', orderDir: 'desc', filters: [{ property: 'count', type: 'gte', param: 2 }] } });
      expect(expectCached(narrower, 'MISS')).to.not.equal(tag);
      expect(titles(narrower)).to.deep.equal(['beta']);
    });

    it('the same bytes carry the same ETag whatever the route, other bytes another ETag', async () => {
      const f = await fixture();
      const byId = await send('GET', col(f.type.systemName, `/${f.alpha.id}`), f.as);
      const byUuid = await send('GET', col(f.type.systemName, `/${f.alpha.uuid}`), f.as);
      const byTitle = await send('GET', col(f.type.systemName, '/get-by/title/alpha'), f.as);
      expect(byUuid.text).to.equal(byId.text);
      expect(expectCached(byUuid)).to.equal(expectCached(byId));
      if (byTitle.text === byId.text) expect(expectCached(byTitle)).to.equal(byId.headers.etag);
      const listed = await send('GET', col(f.type.systemName, '?perPage=2&orderBy=id'), f.as);
      const searched = await send('SEARCH', col(f.type.systemName), f.as, { body: { perPage: 2, orderBy: 'id' } });
      if (listed.text === searched.text) expect(expectCached(searched)).to.equal(expectCached(listed));
      const shorter = await send('GET', col(f.type.systemName, '?perPage=1&orderBy=id'), f.as);
      expect(expectCached(shorter)).to.not.equal(expectCached(listed));
      expect(expectCached(await send('GET', col(f.type.systemName, `/${f.beta.id}`), f.as))).to.not.equal(byId.headers.etag);
    });

    it('writes are never cached: each of two identical PATCHes applies, and no write answer is a HIT', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      const one = await send('PATCH', path, f.as, { body: { 'labels+=': ['x'] } });
      const two = await send('PATCH', path, f.as, { body: { 'labels+=': ['x'] } });
      expect(one.status, one.text).to.equal(200);
      expect(two.status, two.text).to.equal(200);
      expect(one.body.labels).to.deep.equal(['a', 'b', 'x']);
      expect(two.body.labels).to.deep.equal(['a', 'b', 'x', 'x']);
      const created = await send('POST', col(f.type.systemName), f.as, { body: { title: 'gamma' } });
      expect(created.status).to.equal(201);
      for (const res of [one, two, created]) expect(res.headers['x-cache']).to.not.equal('HIT');
    });
  });

  // ------------------------------------------------------------------ stages a hit never skips

  describe('what a hit never skips', () => {
    it('authentication: a key revoked after a HIT is refused on the next request', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      await warm(path, f.as);
      await warm(col(f.type.systemName), f.as);
      const revoked = await server.request('POST', '/api/v1/deauth', { body: { key: f.user.key } });
      expect(revoked.status, revoked.text).to.equal(200);
      expectError(await send('GET', path, f.as), 403, 'API_KEY_INVALID');
      expectError(await send('GET', col(f.type.systemName), f.as), 403, 'API_KEY_INVALID');
    });

    it('a user deactivated after a HIT is refused on the next request (USER_INACTIVE)', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      await warm(path, f.as);
      const off = await server.request('PATCH', `/api/v1/admin/users/${f.user.id}`, { key: server.adminKey, body: { active: false } });
      expect(off.status, off.text).to.equal(200);
      expectError(await send('GET', path, f.as), 403, 'USER_INACTIVE');
    });

    it("a user whose validity ended after a HIT is refused on the next request (USER_OUTSIDE_VALIDITY)", async () => {
      const f = await fixture();
      const path = col(f.type.systemName, '/get-by/title/alpha');
      await warm(path, f.as);
      const ended = await server.request('PATCH', `/api/v1/admin/users/${f.user.id}`, { key: server.adminKey, body: { validTo: new Date(Date.now() - 60_000).toISOString() } });
      expect(ended.status, ended.text).to.equal(200);
      expectError(await send('GET', path, f.as), 403, 'USER_OUTSIDE_VALIDITY');
    });

    it('a request without a key is refused on a URL another user has cached (API_KEY_MISSING)', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      await warm(path, f.as);
      expectError(await server.request('GET', path), 403, 'API_KEY_MISSING');
    });

    it('rate limiting counts hits: a key over its budget gets 429 even for a cached answer', async () => {
      const limited = await startTestServer({ ...RELAXED_AUTH_LIMITS, KEY_RATE_LIMIT_PER_MINUTE: '12' });
      try {
        const type = await aType(limited, [{ systemName: 'title', kind: 'string' }]);
        const user = await aUserWithGrants(limited, allGrants(type.id));
        const item = await anItem(limited, type.id, { title: 'limited' }, { key: user.key });
        const seen: string[] = [];
        let limitedAt = 0;
        for (let i = 1; i <= 30 && !limitedAt; i++) {
          const res = await limited.request('GET', col(type.systemName, `/${item.id}`), { key: user.key });
          if (res.status === 429) limitedAt = i;
          else seen.push(res.headers['x-cache']);
        }
        expect(seen, 'answered from the cache before the budget ran out').to.include('HIT');
        expect(limitedAt, `429 within the budget of 12 (outcomes: ${seen.join(' ')})`).to.be.within(1, 12);
      } finally {
        await limited.stop();
      }
    });
  });

  // ------------------------------------------------------------------ invalidation

  describe('invalidation: the next request after a write sees it', () => {
    it('PATCH: get by id, by UUID, get-by and the list show the change with a new ETag', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
      const byUuid = await warm(col(t, `/${f.alpha.uuid}`), f.as);
      const byTitle = await warm(col(t, '/get-by/title/alpha'), f.as);
      const byCount = await warm(col(t, '/get-by/count/1'), f.as);
      const list = await warm(col(t, '?orderBy=id'), f.as);
      const searched = await warm(col(t), f.as, 'SEARCH', { orderBy: 'id' });
      const patched = await send('PATCH', col(t, `/${f.alpha.id}`), f.as, { body: { title: 'alpha2', count: 5 } });
      expect(patched.status, patched.text).to.equal(200);

      expect((await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'by id')).body).to.include({ title: 'alpha2', count: 5 });
      expect((await expectChanged(col(t, `/${f.alpha.uuid}`), f.as, byUuid, 'by UUID')).body).to.include({ title: 'alpha2', count: 5 });
      expectError(await send('GET', col(t, '/get-by/title/alpha'), f.as), 404, 'NOT_FOUND');
      expect(byTitle.body.title).to.equal('alpha');
      expect((await send('GET', col(t, '/get-by/title/alpha2'), f.as)).body.count).to.equal(5);
      expectError(await send('GET', col(t, '/get-by/count/1'), f.as), 404, 'NOT_FOUND');
      expect(byCount.body.id).to.equal(f.alpha.id);
      expect(titles(await expectChanged(col(t, '?orderBy=id'), f.as, list, 'the list'))).to.deep.equal(['alpha2', 'beta']);
      const searchedAfter = await send('SEARCH', col(t), f.as, { body: { orderBy: 'id' } });
      expectCached(searchedAfter, ['MISS', 'BYPASS']);
      expect(searchedAfter.headers.etag).to.not.equal(searched.headers.etag);
      expect(titles(searchedAfter)).to.deep.equal(['alpha2', 'beta']);
    });

    it('PUT: get by id, by UUID, get-by and the list show the replacement', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const byId = await warm(col(t, `/${f.beta.id}`), f.as);
      const byUuid = await warm(col(t, `/${f.beta.uuid}`), f.as);
      await warm(col(t, '/get-by/title/beta'), f.as);
      const list = await warm(col(t, '?orderBy=id&perPage=10'), f.as);
      const put = await send('PUT', col(t, `/${f.beta.id}`), f.as, { body: { title: 'beta-replaced', labels: ['z'] } });
      expect(put.status, put.text).to.equal(200);
      const after = await expectChanged(col(t, `/${f.beta.id}`), f.as, byId, 'by id');
      expect(after.body).to.include({ title: 'beta-replaced', count: null });
      expect((await expectChanged(col(t, `/${f.beta.uuid}`), f.as, byUuid, 'by UUID')).body.labels).to.deep.equal(['z']);
      expectError(await send('GET', col(t, '/get-by/title/beta'), f.as), 404, 'NOT_FOUND');
      expect(titles(await expectChanged(col(t, '?orderBy=id&perPage=10'), f.as, list, 'the list'))).to.deep.equal(['alpha', 'beta-replaced']);
    });

    it("a write by one user is seen on the next request of every other user who had it cached", async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const others = await Promise.all([0, 1].map(async () => ({ key: (await aUserWithGrants(server, allGrants(f.type.id))).key })));
      const cached = new Map<string, ApiResponse>();
      for (const [n, as] of others.entries()) {
        for (const path of [col(t, `/${f.alpha.id}`), col(t, `/${f.alpha.uuid}`), col(t, '/get-by/title/alpha'), col(t, '?orderBy=id')]) cached.set(`${n} ${path}`, await warm(path, as));
      }
      expect((await send('PATCH', col(t, `/${f.alpha.id}`), f.as, { body: { count: 77 } })).status).to.equal(200);
      for (const [n, as] of others.entries()) {
        for (const path of [col(t, `/${f.alpha.id}`), col(t, `/${f.alpha.uuid}`), col(t, '/get-by/title/alpha'), col(t, '?orderBy=id')]) {
          const after = await expectChanged(path, as, cached.get(`${n} ${path}`)!, `user ${n}: ${path}`);
          expect(after.body.data ? after.body.data[0].count : after.body.count, `user ${n}: ${path}`).to.equal(77);
        }
      }
    });

    it('a PATCH through the UUID path invalidates the entry by id (and the reverse)', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
      expect((await send('PATCH', col(t, `/${f.alpha.uuid}`), f.as, { body: { count: 41 } })).status).to.equal(200);
      expect((await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'by id after PATCH by UUID')).body.count).to.equal(41);
      const byUuid = await warm(col(t, `/${f.alpha.uuid}`), f.as);
      expect((await send('PATCH', col(t, `/${f.alpha.id}`), f.as, { body: { count: 42 } })).status).to.equal(200);
      expect((await expectChanged(col(t, `/${f.alpha.uuid}`), f.as, byUuid, 'by UUID after PATCH by id')).body.count).to.equal(42);
    });

    it('an id written with leading zeros is its own entry, and still invalidated by a write through the plain id', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const padded = await warm(col(t, `/00${f.alpha.id}`), f.as);
      expect(padded.body.id).to.equal(f.alpha.id);
      expect((await send('PATCH', col(t, `/${f.alpha.id}`), f.as, { body: { count: 55 } })).status).to.equal(200);
      expect((await expectChanged(col(t, `/00${f.alpha.id}`), f.as, padded, 'the padded id')).body.count).to.equal(55);
      const upper = await send('GET', col(t, `/${f.alpha.uuid.toUpperCase()}`), f.as);
      expect(upper.status, 'an upper-case UUID, uncached or not').to.equal(404);
    });

    it('DELETE: by id and by UUID 404, get-by 404, the list without the item', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      await warm(col(t, `/${f.alpha.id}`), f.as);
      await warm(col(t, `/${f.alpha.uuid}`), f.as);
      await warm(col(t, '/get-by/title/alpha'), f.as);
      const list = await warm(col(t, '?orderBy=id'), f.as);
      expect((await send('DELETE', col(t, `/${f.alpha.id}`), f.as)).status).to.equal(204);
      expectError(await send('GET', col(t, `/${f.alpha.id}`), f.as), 404, 'NOT_FOUND');
      expectError(await send('GET', col(t, `/${f.alpha.uuid}`), f.as), 404, 'NOT_FOUND');
      expectError(await send('GET', col(t, '/get-by/title/alpha'), f.as), 404, 'NOT_FOUND');
      const after = await expectChanged(col(t, '?orderBy=id'), f.as, list, 'the list');
      expect(titles(after)).to.deep.equal(['beta']);
      expect(after.body.stats.total).to.equal(1);
    });

    it('create: the list counts the new item, and a get-by that answered 404 finds it', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const list = await warm(col(t, '?orderBy=id'), f.as);
      expectError(await send('GET', col(t, '/get-by/title/later'), f.as), 404, 'NOT_FOUND');
      expectError(await send('GET', col(t, '/get-by/title/later'), f.as), 404, 'NOT_FOUND');
      const created = await anItem(server, t, { title: 'later', count: 3 }, f.as);
      const after = await expectChanged(col(t, '?orderBy=id'), f.as, list, 'the list');
      expect(after.body.stats.total).to.equal(3);
      expect(titles(after)).to.deep.equal(['alpha', 'beta', 'later']);
      const found = await send('GET', col(t, '/get-by/title/later'), f.as);
      expectCached(found);
      expect(found.body.id).to.equal(created.id);
    });

    it('a write to another type leaves this type cached (invalidation is per type)', async () => {
      const f = await fixture();
      const g = await fixture();
      await warm(col(f.type.systemName, '?orderBy=id'), f.as);
      await warm(col(f.type.systemName, `/${f.alpha.id}`), f.as);
      expect((await send('PATCH', col(g.type.systemName, `/${g.alpha.id}`), g.as, { body: { count: 9 } })).status).to.equal(200);
      expectCached(await send('GET', col(f.type.systemName, '?orderBy=id'), f.as), 'HIT');
      expectCached(await send('GET', col(f.type.systemName, `/${f.alpha.id}`), f.as), 'HIT');
    });

    it('tags.assign (add, then remove): the list filtered by the tag shows the change on the next request', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const created = await server.request('POST', '/api/v1/collection/tags', { key: server.adminKey, body: { name: `cache-${systemName()}` } });
      expect(created.status, created.text).to.equal(201);
      const tagId = created.body.id as number;
      const assign = async (item: number, operation: 'add' | 'remove') => {
        const res = await send('POST', '/api/v1/app/tags.assign', f.as, { body: { type: f.type.id, item, operation, tags: [tagId] } });
        expect(res.status, res.text).to.equal(200);
      };
      await assign(f.alpha.id, 'add');
      const path = col(t, `?tags=${tagId}&orderBy=id`);
      const one = await warm(path, f.as);
      expect(titles(one)).to.deep.equal(['alpha']);
      await assign(f.beta.id, 'add');
      const two = await expectChanged(path, f.as, one, 'after tags.assign add');
      expect(titles(two)).to.deep.equal(['alpha', 'beta']);
      await warm(path, f.as);
      await assign(f.alpha.id, 'remove');
      const back = await send('GET', path, f.as);
      expectCached(back, ['MISS', 'BYPASS']);
      expect(titles(back)).to.deep.equal(['beta']);
      // The SEARCH form of the same filter too.
      const searched = await warm(col(t), f.as, 'SEARCH', { tags: [tagId] });
      await assign(f.alpha.id, 'add');
      const searchedAfter = await send('SEARCH', col(t), f.as, { body: { tags: [tagId] } });
      expect(searchedAfter.headers.etag).to.not.equal(searched.headers.etag);
      expect(searchedAfter.body.stats.total).to.equal(2);
    });

    it('the tag tree changed: a list filtered by a tag with its descendants sees a tag moved under it, and a deleted tag is refused', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const aTag = async (name: string, parent?: number) => {
        const res = await server.request('POST', '/api/v1/collection/tags', { key: server.adminKey, body: { name: `${name}-${systemName()}`, ...(parent ? { parent } : {}) } });
        expect(res.status, res.text).to.equal(201);
        return res.body.id as number;
      };
      const parent = await aTag('parent');
      const loose = await aTag('loose');
      const assigned = await send('POST', '/api/v1/app/tags.assign', f.as, { body: { type: f.type.id, item: f.beta.id, operation: 'add', tags: [loose] } });
      expect(assigned.status, assigned.text).to.equal(200);
      const path = col(t, `?tags=${parent}&includeTagDescendants=true&orderBy=id`);
      const before = await send('GET', path, f.as);
      expect(before.status).to.equal(204);
      const withLoose = await warm(col(t, `?tags=${loose}&orderBy=id`), f.as);
      expect(titles(withLoose)).to.deep.equal(['beta']);
      const moved = await server.request('PATCH', `/api/v1/collection/tags/${loose}`, { key: server.adminKey, body: { parent } });
      expect(moved.status, moved.text).to.equal(200);
      const after = await send('GET', path, f.as);
      expect(after.status, `after the move: ${after.text}`).to.equal(200);
      expect(titles(after)).to.deep.equal(['beta']);
      await warm(path, f.as);
      const deleted = await server.request('DELETE', `/api/v1/collection/tags/${loose}`, { key: server.adminKey });
      expect(deleted.status, deleted.text).to.equal(204);
      const gone = await send('GET', col(t, `?tags=${loose}&orderBy=id`), f.as);
      expect(gone.status, `a list by a deleted tag: ${gone.text}`).to.equal(400);
      const descendants = await send('GET', path, f.as);
      expect(descendants.status, `its former parent's list: ${descendants.text}`).to.equal(204);
    });

    it('file binding: an upload bound by PATCH, replaced and removed, is seen on the next get, get-by and list', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const upload = async (name: string, content: string) => {
        const form = new FormData();
        form.append('file', new Blob([content], { type: 'text/plain' }), name);
        const res = await server.request('POST', `/api/v1/upload/${t}/doc`, { ...f.as, multipart: form });
        expect(res.status, res.text).to.equal(200);
        return res.body[0] as string;
      };
      const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
      const byTitle = await warm(col(t, '/get-by/title/alpha'), f.as);
      const list = await warm(col(t, '?orderBy=id'), f.as);
      expect(byId.body.doc).to.equal(null);
      const first = await upload('first.txt', 'first bytes');
      expect((await send('PATCH', col(t, `/${f.alpha.id}`), f.as, { body: { doc: first } })).status).to.equal(200);
      expect((await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'bound')).body.doc).to.include({ name: 'first.txt', size: 11 });
      expect((await expectChanged(col(t, '/get-by/title/alpha'), f.as, byTitle, 'bound (get-by)')).body.doc.name).to.equal('first.txt');
      expect((await expectChanged(col(t, '?orderBy=id'), f.as, list, 'bound (list)')).body.data[0].doc.name).to.equal('first.txt');

      const bound = await warm(col(t, `/${f.alpha.uuid}`), f.as);
      const second = await upload('second.txt', 'second');
      expect((await send('PATCH', col(t, `/${f.alpha.id}`), f.as, { body: { doc: second } })).status).to.equal(200);
      const replaced = await expectChanged(col(t, `/${f.alpha.uuid}`), f.as, bound, 'replaced');
      expect(replaced.body.doc.name).to.equal('second.txt');
      const downloaded = await send('GET', replaced.body.doc.url, f.as);
      expect(downloaded.text).to.equal('second');

      const current = await warm(col(t, `/${f.alpha.id}`), f.as);
      expect((await send('PATCH', col(t, `/${f.alpha.id}`), f.as, { body: { doc: null } })).status).to.equal(200);
      expect((await expectChanged(col(t, `/${f.alpha.id}`), f.as, current, 'removed')).body.doc).to.equal(null);
    });

    it('a type definition change (a property added) is seen on the next get, get-by and list', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
      const byTitle = await warm(col(t, '/get-by/title/alpha'), f.as);
      const list = await warm(col(t, '?orderBy=id'), f.as);
      expect(byId.body).to.not.have.property('extra');
      const added = await server.request('POST', `/api/v1/admin/types/${f.type.id}/properties`, { key: server.adminKey, body: { systemName: 'extra', kind: 'string' } });
      expect(added.status, added.text).to.equal(201);
      expect((await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'by id')).body).to.have.property('extra');
      expect((await expectChanged(col(t, '/get-by/title/alpha'), f.as, byTitle, 'get-by')).body).to.have.property('extra');
      expect((await expectChanged(col(t, '?orderBy=id'), f.as, list, 'list')).body.data[0]).to.have.property('extra');
    });

    it("a property's name changed is seen on the next list with propsMeta; a property removed is gone from the next get", async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const meta = await warm(col(t, '?orderBy=id&propsMeta=count'), f.as);
      const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
      const count = f.type.properties.find((p) => p.systemName === 'count')!;
      const renamed = await server.request('PATCH', `/api/v1/admin/types/${f.type.id}/properties/${count.id}`, { key: server.adminKey, body: { name: 'Renamed count' } });
      expect(renamed.status, renamed.text).to.equal(200);
      const metaAfter = await expectChanged(col(t, '?orderBy=id&propsMeta=count'), f.as, meta, 'propsMeta after a rename');
      expect(metaAfter.body.propsMeta.count.name).to.equal('Renamed count');
      const removed = await server.request('DELETE', `/api/v1/admin/types/${f.type.id}/properties/${count.id}?dropValues=true`, { key: server.adminKey });
      expect(removed.status, removed.text).to.be.oneOf([200, 204]);
      const after = await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'by id after the property was removed');
      expect(after.body).to.not.have.property('count');
    });

    it('a type deleted: its cached get and list answer 404 on the next request', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      await warm(col(t, `/${f.alpha.id}`), f.as);
      await warm(col(t, '?orderBy=id'), f.as);
      const deleted = await server.request('DELETE', `/api/v1/admin/types/${f.type.id}?force=true`, { key: server.adminKey });
      expect(deleted.status, deleted.text).to.be.oneOf([200, 204]);
      expectError(await send('GET', col(t, `/${f.alpha.id}`), f.as), 404, 'NOT_FOUND');
      expectError(await send('GET', col(t, '?orderBy=id'), f.as), 404, 'NOT_FOUND');
    });

    it("a delete in one type that clears references in another type's items is seen on their next get and list", async () => {
      const person = await aType(server, [{ systemName: 'name', kind: 'string' }]);
      const task = await aType(server, [
        { systemName: 'title', kind: 'string' },
        { systemName: 'owner', kind: 'reference', referenceType: person.id },
        { systemName: 'watchers', kind: 'reference', referenceType: person.id, multiple: true },
      ]);
      const as = { key: (await aUserWithGrants(server, allGrants(person.id, task.id))).key };
      const gone = await anItem(server, person.id, { name: 'Gone' }, as);
      const kept = await anItem(server, person.id, { name: 'Kept' }, as);
      const referencing = await anItem(server, task.id, { title: 'Refers', owner: gone.id, watchers: [kept.id, gone.id] }, as);
      const byId = await warm(col(task.systemName, `/${referencing.id}`), as);
      const list = await warm(col(task.systemName, '?orderBy=id'), as);
      const byTitle = await warm(col(task.systemName, '/get-by/title/Refers'), as);
      expect(byId.body.owner).to.equal(gone.id);
      expect((await send('DELETE', col(person.id, `/${gone.id}`), as)).status).to.equal(204);
      const after = await expectChanged(col(task.systemName, `/${referencing.id}`), as, byId, 'the referencing item');
      expect(after.body.owner).to.equal(null);
      expect(after.body.watchers).to.deep.equal([kept.id]);
      expect((await expectChanged(col(task.systemName, '?orderBy=id'), as, list, 'the referencing list')).body.data[0].owner).to.equal(null);
      expect((await expectChanged(col(task.systemName, '/get-by/title/Refers'), as, byTitle, 'get-by')).body.owner).to.equal(null);
    });

    it('a cascading delete makes the cached answers of the items it deleted in other types 404 on the next request', async () => {
      const person = await aType(server, [{ systemName: 'name', kind: 'string' }]);
      const task = await aType(server, [{ systemName: 'title', kind: 'string' }, { systemName: 'owner', kind: 'reference', referenceType: person.id }]);
      const comment = await aType(server, [{ systemName: 'text', kind: 'string' }, { systemName: 'task', kind: 'reference', referenceType: task.id }]);
      const as = { key: (await aUserWithGrants(server, allGrants(person.id, task.id, comment.id))).key };
      const root = await anItem(server, person.id, { name: 'Root' }, as);
      const owned = await anItem(server, task.id, { title: 'Owned', owner: root.id }, as);
      const note = await anItem(server, comment.id, { text: 'On owned', task: owned.id }, as);
      for (const path of [col(task.systemName, `/${owned.id}`), col(task.systemName, `/${owned.uuid}`), col(comment.systemName, `/${note.id}`), col(comment.systemName, '/get-by/text/On owned')]) await warm(path, as);
      await warm(col(task.systemName, '?orderBy=id'), as);
      expect((await send('DELETE', `${col(person.id, `/${root.id}`)}?cascade=true`, as)).status).to.equal(204);
      for (const path of [col(task.systemName, `/${owned.id}`), col(task.systemName, `/${owned.uuid}`), col(comment.systemName, `/${note.id}`), col(comment.systemName, '/get-by/text/On owned')]) {
        expectError(await send('GET', path, as), 404, 'NOT_FOUND');
      }
      const emptied = await send('GET', col(task.systemName, '?orderBy=id'), as);
      expect(emptied.status, `the list of the cascaded type: ${emptied.text}`).to.equal(204);
    });

    it("a role's grant withdrawn is seen on the next request (refused, not the cached 200), and given back too", async () => {
      const f = await fixture();
      const t = f.type.systemName;
      await warm(col(t, `/${f.alpha.id}`), f.as);
      await warm(col(t, '?orderBy=id'), f.as);
      await warm(col(t, '/get-by/title/alpha'), f.as);
      const withdraw = await server.request('PATCH', `/api/v1/admin/roles/${f.user.roleId}`, { key: server.adminKey, body: { typePermissions: [{ typeId: f.type.id, create: true }] } });
      expect(withdraw.status, withdraw.text).to.equal(200);
      expectRefused(await send('GET', col(t, `/${f.alpha.id}`), f.as), 'get one');
      expectRefused(await send('GET', col(t, '?orderBy=id'), f.as), 'list');
      expectRefused(await send('GET', col(t, '/get-by/title/alpha'), f.as), 'get-by');
      expectRefused(await send('SEARCH', col(t), f.as, { body: {} }), 'search');
      const restore = await server.request('PATCH', `/api/v1/admin/roles/${f.user.roleId}`, { key: server.adminKey, body: { typePermissions: allGrants(f.type.id) } });
      expect(restore.status, restore.text).to.equal(200);
      expectCached(await send('GET', col(t, `/${f.alpha.id}`), f.as));
    });

    it('a role deleted and a group deleted are seen on the next request', async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const path = col(t, `/${f.alpha.id}`);
      // A second user who holds the grants only through a group.
      const member = await aUser(server, ['useApi']);
      const groupRole = await aRole(server, ['useApi'], { typePermissions: allGrants(f.type.id) });
      const group = await server.request('POST', '/api/v1/admin/groups', { key: server.adminKey, body: { name: `g-${systemName()}`, roles: [groupRole.id], users: [member.id] } });
      expect(group.status, group.text).to.equal(201);
      await warm(path, f.as);
      await warm(path, { key: member.key });
      const roleGone = await server.request('DELETE', `/api/v1/admin/roles/${f.user.roleId}`, { key: server.adminKey });
      expect(roleGone.status, roleGone.text).to.be.oneOf([200, 204]);
      expectRefused(await send('GET', path, f.as), 'get one, the role deleted');
      const groupGone = await server.request('DELETE', `/api/v1/admin/groups/${group.body.id}`, { key: server.adminKey });
      expect(groupGone.status, groupGone.text).to.be.oneOf([200, 204]);
      expectRefused(await send('GET', path, { key: member.key }), 'get one, the group deleted');
    });

    it("a role's permissions changed (useApi taken away) is seen on the next request", async () => {
      const f = await fixture();
      await warm(col(f.type.systemName, `/${f.alpha.id}`), f.as);
      const res = await server.request('PATCH', `/api/v1/admin/roles/${f.user.roleId}`, { key: server.adminKey, body: { permissions: [] } });
      expect(res.status, res.text).to.equal(200);
      expectRefused(await send('GET', col(f.type.systemName, `/${f.alpha.id}`), f.as), 'without useApi');
    });

    it("a user's roles changed is seen on the next request, both ways", async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const path = col(t, `/${f.alpha.id}`);
      await warm(path, f.as);
      const bare = await aRole(server, ['useApi']);
      const drop = await server.request('PATCH', `/api/v1/admin/users/${f.user.id}`, { key: server.adminKey, body: { roles: [bare.id] } });
      expect(drop.status, drop.text).to.equal(200);
      expectRefused(await send('GET', path, f.as), 'without the role');
      expectRefused(await send('GET', col(t), f.as), 'list without the role');
      const back = await server.request('PATCH', `/api/v1/admin/users/${f.user.id}`, { key: server.adminKey, body: { roles: [bare.id, f.user.roleId] } });
      expect(back.status, back.text).to.equal(200);
      expect((await send('GET', path, f.as)).status).to.equal(200);
    });

    it("a group's members and a group's roles changed are seen on the next request", async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const member = await aUser(server, ['useApi']);
      const as = { key: member.key };
      const group = await server.request('POST', '/api/v1/admin/groups', { key: server.adminKey, body: { name: `g-${systemName()}`, roles: [f.user.roleId], users: [member.id] } });
      expect(group.status, group.text).to.equal(201);
      const path = col(t, `/${f.alpha.id}`);
      await warm(path, as);
      await warm(col(t, '?orderBy=id'), as);
      const out = await server.request('PATCH', `/api/v1/admin/groups/${group.body.id}`, { key: server.adminKey, body: { users: [] } });
      expect(out.status, out.text).to.equal(200);
      expectRefused(await send('GET', path, as), 'get one, out of the group');
      expectRefused(await send('GET', col(t, '?orderBy=id'), as), 'list, out of the group');
      const inAgain = await server.request('PATCH', `/api/v1/admin/groups/${group.body.id}`, { key: server.adminKey, body: { users: [member.id] } });
      expect(inAgain.status, inAgain.text).to.equal(200);
      await warm(path, as);
      const bare = await aRole(server, ['useApi']);
      const rolesOut = await server.request('PATCH', `/api/v1/admin/groups/${group.body.id}`, { key: server.adminKey, body: { roles: [bare.id] } });
      expect(rolesOut.status, rolesOut.text).to.equal(200);
      expectRefused(await send('GET', path, as), "get one, the group's role gone");
    });

    it("a user's time zone changed is seen on the next get and list: datetimes in the new zone, a new ETag", async () => {
      const f = await fixture();
      const t = f.type.systemName;
      const set = async (zone: string) => {
        const res = await server.request('PATCH', `/api/v1/admin/users/${f.user.id}`, { key: server.adminKey, body: { timezone: zone } });
        expect(res.status, res.text).to.equal(200);
      };
      await set(PRAGUE);
      const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
      const list = await warm(col(t, '?orderBy=id'), f.as);
      expect(byId.body.created_on).to.equal(inZone(byId.body.created_on, PRAGUE));
      await set(NEW_YORK);
      const after = await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'by id');
      expect(after.body.created_on).to.equal(inZone(byId.body.created_on, NEW_YORK));
      const listed = await expectChanged(col(t, '?orderBy=id'), f.as, list, 'list');
      expect(listed.body.data[0].created_on).to.equal(inZone(byId.body.created_on, NEW_YORK));
    });

    describe('tenant settings (in a tenant of their own)', () => {
      let tenant: TestTenant;
      let f: Fixture;
      const setting = async (patch: Record<string, unknown>) => {
        const res = await server.request('PATCH', '/api/v1/admin/settings', { key: tenant.admin.key, host: tenant.host, body: patch });
        expect(res.status, res.text).to.equal(200);
        return res.body.settings as Record<string, unknown>;
      };
      before(async () => {
        tenant = await aTenant(server, { settings: { defaultTimeZone: PRAGUE, multiValueShape: 'array' } });
        f = await fixture({ host: tenant.host, adminKey: tenant.admin.key });
      });

      it('defaultTimeZone changed: a user without a zone of its own sees the new zone on the next get and list', async () => {
        const t = f.type.systemName;
        const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
        const list = await warm(col(t, '?orderBy=id'), f.as);
        expect(byId.body.created_on).to.equal(inZone(byId.body.created_on, PRAGUE));
        await setting({ defaultTimeZone: NEW_YORK });
        expect((await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'by id')).body.created_on).to.equal(inZone(byId.body.created_on, NEW_YORK));
        expect((await expectChanged(col(t, '?orderBy=id'), f.as, list, 'list')).body.data[0].created_on).to.equal(inZone(byId.body.created_on, NEW_YORK));
        await setting({ defaultTimeZone: PRAGUE });
      });

      it('multiValueShape changed: arrays become comma-separated strings on the next get, get-by and list, and back', async () => {
        const t = f.type.systemName;
        const byId = await warm(col(t, `/${f.alpha.id}`), f.as);
        const byTitle = await warm(col(t, '/get-by/title/alpha'), f.as);
        const list = await warm(col(t, '?orderBy=id'), f.as);
        expect(byId.body.labels).to.deep.equal(['a', 'b']);
        await setting({ multiValueShape: 'string' });
        const shaped = await expectChanged(col(t, `/${f.alpha.id}`), f.as, byId, 'by id');
        expect(shaped.body.labels).to.equal('a,b');
        expect((await expectChanged(col(t, '/get-by/title/alpha'), f.as, byTitle, 'get-by')).body.labels).to.equal('a,b');
        expect((await expectChanged(col(t, '?orderBy=id'), f.as, list, 'list')).body.data[0].labels).to.equal('a,b');
        await warm(col(t, `/${f.alpha.id}`), f.as);
        await setting({ multiValueShape: 'array' });
        // Back to the old setting: its old entries may answer again (the key holds the setting),
        // as long as they are what the setting now gives.
        const back = await send('GET', col(t, `/${f.alpha.id}`), f.as);
        expectCached(back);
        expect(back.body.labels).to.deep.equal(['a', 'b']);
        expect(back.text).to.equal(byId.text);
      });

      it('apiMaxPageLength lowered: the next list is cut to the new cap', async () => {
        const t = f.type.systemName;
        const list = await warm(col(t, '?orderBy=id&perPage=50'), f.as);
        expect(list.body.data).to.have.length(2);
        await setting({ apiMaxPageLength: 1 });
        try {
          const after = await send('GET', col(t, '?orderBy=id&perPage=50'), f.as);
          if (after.status === 200) {
            expect(after.headers['x-cache'], 'not the entry computed under the old cap').to.not.equal('HIT');
            expect(after.body.data).to.have.length(1);
          } else {
            expectError(after, 400, 'VALIDATION_FAILED');
          }
        } finally {
          await setting({ apiMaxPageLength: 1000 });
        }
      });

      it('a setting of another tenant changes nothing here: the root tenant keeps its entries', async () => {
        const root = await fixture();
        await warm(col(root.type.systemName, `/${root.alpha.id}`), root.as);
        await setting({ multiValueShape: 'string' });
        await setting({ multiValueShape: 'array' });
        const res = await send('GET', col(root.type.systemName, `/${root.alpha.id}`), root.as);
        expectCached(res, 'HIT');
        expect(res.body.labels).to.deep.equal(['a', 'b']);
      });
    });
  });

  // ------------------------------------------------------------------ list TTL

  describe('the list TTL (tenant setting listCacheTtlSeconds)', () => {
    it('a list entry lives for the TTL: a change made in the database behind the API is unseen while it lives and seen (MISS) once it expired', async () => {
      const tenant = await aTenant(server);
      const updated = await server.request('PATCH', '/api/v1/admin/settings', { key: tenant.admin.key, host: tenant.host, body: { listCacheTtlSeconds: 2 } });
      expect(updated.status, updated.text).to.equal(200);
      expect(updated.body.settings.listCacheTtlSeconds).to.equal(2);
      const f = await fixture({ host: tenant.host, adminKey: tenant.admin.key });
      const path = col(f.type.systemName, '?orderBy=id');
      const missAt = Date.now();
      const first = await send('GET', path, f.as);
      expectCached(first, 'MISS');
      await rewriteStoredValue(server.database, f.alpha.id, 'title', 'edited in the database');
      const within = await send('GET', path, f.as);
      if (Date.now() - missAt < 1500) {
        expectCached(within, 'HIT');
        expect(titles(within)).to.deep.equal(['alpha', 'beta']);
      }
      await sleep(Math.max(0, missAt + 3500 - Date.now()));
      const expired = await send('GET', path, f.as);
      expectCached(expired, 'MISS');
      expect(titles(expired)).to.deep.equal(['edited in the database', 'beta']);
      expect(expired.headers.etag).to.not.equal(first.headers.etag);
      expectCached(await send('GET', path, f.as), 'HIT');
    });
  });

  describe('listCacheTtlSeconds lowered', () => {
    it('applies to list entries stored before the change: they do not outlive the new TTL', async () => {
      const tenant = await aTenant(server);
      const f = await fixture({ host: tenant.host, adminKey: tenant.admin.key });
      const path = col(f.type.systemName, '?orderBy=id');
      await warm(path, f.as);
      await rewriteStoredValue(server.database, f.alpha.id, 'title', 'edited behind the API');
      expect(titles(await send('GET', path, f.as))[0], 'still the stored entry (TTL 300 s)').to.equal('alpha');
      const lowered = await server.request('PATCH', '/api/v1/admin/settings', { key: tenant.admin.key, host: tenant.host, body: { listCacheTtlSeconds: 1 } });
      expect(lowered.status, lowered.text).to.equal(200);
      await sleep(2500);
      const after = await send('GET', path, f.as);
      expectCached(after, ['MISS', 'BYPASS']);
      expect(titles(after)[0]).to.equal('edited behind the API');
    });
  });

  describe('listCacheTtlSeconds: 0', () => {
    it('stores no list (every list request is computed), while single items are still cached', async () => {
      const tenant = await aTenant(server, { settings: { listCacheTtlSeconds: 0 } });
      const f = await fixture({ host: tenant.host, adminKey: tenant.admin.key });
      for (let i = 0; i < 3; i++) expectCached(await send('GET', col(f.type.systemName, '?orderBy=id'), f.as), ['MISS', 'BYPASS']);
      await warm(col(f.type.systemName, `/${f.alpha.id}`), f.as);
    });
  });

  // ------------------------------------------------------------------ read-logged types

  describe('read-logged types', () => {
    const audits = async (typeId: number) => {
      const res = await server.request('GET', `/api/v1/admin/read-audit?typeId=${typeId}&limit=1000`, { key: server.adminKey });
      expect(res.status, res.text).to.equal(200);
      return res.body.data as { itemId: number; userId: number }[];
    };

    it('every single fetch (by id, UUID, get-by) is a BYPASS and audited, every time; lists are still cached', async () => {
      const f = await fixture({ readLog: true });
      const t = f.type.systemName;
      const paths = [col(t, `/${f.alpha.id}`), col(t, `/${f.alpha.uuid}`), col(t, '/get-by/title/alpha')];
      for (let round = 0; round < 2; round++) {
        for (const path of paths) {
          const res = await send('GET', path, f.as);
          expectCached(res, 'BYPASS');
          expect(res.body.id).to.equal(f.alpha.id);
        }
      }
      const entries = await audits(f.type.id);
      expect(entries).to.have.length(6);
      expect(entries.every((e) => e.itemId === f.alpha.id && e.userId === f.user.id)).to.equal(true);
      await warm(col(t, '?orderBy=id'), f.as);
      expect(await audits(f.type.id)).to.have.length(6);
    });

    it('a conditional single fetch of a read-logged type is audited too, 304 or not', async () => {
      const f = await fixture({ readLog: true });
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      const first = await send('GET', path, f.as);
      expectCached(first, 'BYPASS');
      const conditional = await send('GET', path, f.as, { headers: { 'if-none-match': first.headers.etag } });
      expect(conditional.status).to.be.oneOf([200, 304]);
      expect(await audits(f.type.id)).to.have.length(2);
    });

    it('turning readLog on makes the next single fetch of a cached item a BYPASS with an audit entry', async () => {
      const f = await fixture();
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      await warm(path, f.as);
      const on = await server.request('PATCH', `/api/v1/admin/types/${f.type.id}`, { key: server.adminKey, body: { readLog: true } });
      expect(on.status, on.text).to.equal(200);
      expectCached(await send('GET', path, f.as), 'BYPASS');
      expectCached(await send('GET', path, f.as), 'BYPASS');
      expect(await audits(f.type.id)).to.have.length(2);
    });
  });

  // ------------------------------------------------------------------ isolation

  describe('isolation', () => {
    it("two users in different zones: same URL, different bytes and ETags, each its own MISS first, neither gets a 304 on the other's tag", async () => {
      const f = await fixture();
      const mk = async (zone: string) => {
        const u = await aUser(server, ['useApi'], { typePermissions: allGrants(f.type.id), user: { timezone: zone } });
        return { key: u.key };
      };
      const prague = await mk(PRAGUE);
      const newYork = await mk(NEW_YORK);
      for (const path of [col(f.type.systemName, `/${f.alpha.id}`), col(f.type.systemName, '?orderBy=id'), col(f.type.systemName, '/get-by/title/alpha')]) {
        const p = await send('GET', path, prague);
        expectCached(p, 'MISS');
        const n = await send('GET', path, newYork);
        expectCached(n, 'MISS');
        expect(n.text, path).to.not.equal(p.text);
        expect(n.headers.etag, path).to.not.equal(p.headers.etag);
        const nWithP = await send('GET', path, newYork, { headers: { 'if-none-match': p.headers.etag } });
        expect(nWithP.status, `${path}: New York with Prague's tag`).to.equal(200);
        expect(nWithP.text).to.equal(n.text);
        const pWithN = await send('GET', path, prague, { headers: { 'if-none-match': n.headers.etag } });
        expect(pWithN.status, `${path}: Prague with New York's tag`).to.equal(200);
        expect(pWithN.text).to.equal(p.text);
        expectCached(await send('GET', path, prague), 'HIT');
        expectCached(await send('GET', path, newYork), 'HIT');
      }
    });

    it('two users with the same view: the second one gets its own MISS, not the first one’s entry', async () => {
      const f = await fixture();
      const other = await aUserWithGrants(server, allGrants(f.type.id));
      const path = col(f.type.systemName, `/${f.alpha.id}`);
      await warm(path, f.as);
      const theirs = await send('GET', path, { key: other.key });
      expectCached(theirs, 'MISS');
    });

    it("a user without the show grant gets neither the cached answer nor a 304 on its tag", async () => {
      const f = await fixture();
      const creator = await aUserWithGrants(server, [{ typeId: f.type.id, create: true }]);
      for (const path of [col(f.type.systemName, `/${f.alpha.id}`), col(f.type.systemName, '?orderBy=id'), col(f.type.systemName, '/get-by/title/alpha')]) {
        const cached = await warm(path, f.as);
        expectError(await send('GET', path, { key: creator.key }), 403, 'PERMISSION_DENIED');
        expectError(await send('GET', path, { key: creator.key }, { headers: { 'if-none-match': cached.headers.etag } }), 403, 'PERMISSION_DENIED');
      }
      const searched = await warm(col(f.type.systemName), f.as, 'SEARCH', { orderBy: 'id' });
      expectError(await send('SEARCH', col(f.type.systemName), { key: creator.key }, { body: { orderBy: 'id' }, headers: { 'if-none-match': searched.headers.etag } }), 403, 'PERMISSION_DENIED');
    });

    it("tenants: the same type name and URL in two tenants answer each tenant's own items, both ways, with no 304 across", async () => {
      const a = await aTenant(server);
      const b = await aTenant(server);
      const name = systemName('shared');
      const setUp = async (tenant: TestTenant, title: string) => {
        const type = await aType(server, [{ systemName: 'title', kind: 'string' }], { key: tenant.admin.key, host: tenant.host, systemName: name });
        const user = await aUserWithGrants(server, allGrants(type.id), { key: tenant.admin.key, host: tenant.host });
        const as = { key: user.key, host: tenant.host };
        const item = await anItem(server, type.id, { title }, as);
        return { as, item };
      };
      const inA = await setUp(a, 'in A');
      const inB = await setUp(b, 'in B');
      const path = col(name, '?orderBy=id');
      const listA = await warm(path, inA.as);
      const listB = await send('GET', path, inB.as);
      expectCached(listB, 'MISS');
      expect(titles(listA)).to.deep.equal(['in A']);
      expect(titles(listB)).to.deep.equal(['in B']);
      for (const [as, tag, own] of [[inA.as, listB.headers.etag, 'in A'], [inB.as, listA.headers.etag, 'in B']] as const) {
        const res = await send('GET', path, as, { headers: { 'if-none-match': tag } });
        expect(res.status).to.equal(200);
        expect(titles(res)).to.deep.equal([own]);
      }
      // An item of one tenant through the other's host: 404, with or without the other's tag, both ways.
      for (const [mine, theirs] of [[inA, inB], [inB, inA]] as const) {
        const cached = await warm(col(name, `/${theirs.item.id}`), theirs.as);
        expectError(await send('GET', col(name, `/${theirs.item.id}`), mine.as), 404, 'NOT_FOUND');
        expectError(await send('GET', col(name, `/${theirs.item.uuid}`), mine.as, { headers: { 'if-none-match': cached.headers.etag } }), 404, 'NOT_FOUND');
      }
    });
  });

  // ------------------------------------------------------------------ store configuration

  describe('the store (CACHE_* settings, servers of their own)', () => {
    const withServer = async (env: Record<string, string>, body: (s: TestServer) => Promise<void>) => {
      const own = await startTestServer({ ...RELAXED_AUTH_LIMITS, ...env });
      try {
        await body(own);
      } finally {
        await own.stop();
      }
    };

    it('an answer larger than CACHE_MAX_ENTRY_BYTES is never stored (answered whole every time), a smaller one is', async () => {
      await withServer({ CACHE_MAX_ENTRY_BYTES: '2000' }, async (own) => {
        const type = await aType(own, [{ systemName: 'title', kind: 'string' }, { systemName: 'body', kind: 'text' }]);
        const user = await aUserWithGrants(own, allGrants(type.id));
        const big = await anItem(own, type.id, { title: 'big', body: 'x'.repeat(5000) }, { key: user.key });
        const small = await anItem(own, type.id, { title: 'small', body: 'y' }, { key: user.key });
        for (let i = 0; i < 3; i++) {
          const res = await own.request('GET', col(type.systemName, `/${big.id}`), { key: user.key });
          expectCached(res, ['MISS', 'BYPASS']);
          expect(res.body.body).to.have.length(5000);
        }
        const first = await own.request('GET', col(type.systemName, `/${small.id}`), { key: user.key });
        expectCached(first, 'MISS');
        expectCached(await own.request('GET', col(type.systemName, `/${small.id}`), { key: user.key }), 'HIT');
      });
    });

    it('the memory store evicts beyond CACHE_MAX_BYTES: an evicted answer is computed again, whole and right', async () => {
      await withServer({ CACHE_STORE: 'memory', CACHE_MAX_BYTES: '20000' }, async (own) => {
        const type = await aType(own, [{ systemName: 'title', kind: 'string' }, { systemName: 'body', kind: 'text' }]);
        const user = await aUserWithGrants(own, allGrants(type.id));
        const items = [];
        for (let i = 0; i < 30; i++) items.push(await anItem(own, type.id, { title: `item ${i}`, body: `${i}`.repeat(1000).slice(0, 1000) }, { key: user.key }));
        const first = await own.request('GET', col(type.systemName, `/${items[0].id}`), { key: user.key });
        expectCached(first, 'MISS');
        expectCached(await own.request('GET', col(type.systemName, `/${items[0].id}`), { key: user.key }), 'HIT');
        for (const item of items.slice(1)) expectCached(await own.request('GET', col(type.systemName, `/${item.id}`), { key: user.key }));
        const again = await own.request('GET', col(type.systemName, `/${items[0].id}`), { key: user.key });
        expectCached(again, 'MISS');
        expect(again.text).to.equal(first.text);
        expect(again.headers.etag).to.equal(first.headers.etag);
      });
    });

    it('CACHE_STORE=none: answers still carry their ETag and answer 304, and are never a HIT', async () => {
      await withServer({ CACHE_STORE: 'none' }, async (own) => {
        const type = await aType(own, [{ systemName: 'title', kind: 'string' }]);
        const user = await aUserWithGrants(own, allGrants(type.id));
        const item = await anItem(own, type.id, { title: 'uncached' }, { key: user.key });
        const path = col(type.systemName, `/${item.id}`);
        const first = await own.request('GET', path, { key: user.key });
        const tag = expectCached(first, ['MISS', 'BYPASS']);
        expectCached(await own.request('GET', path, { key: user.key }), ['MISS', 'BYPASS']);
        const conditional = await own.request('GET', path, { key: user.key, headers: { 'if-none-match': tag } });
        expect(conditional.status).to.equal(304);
        expect(conditional.headers.etag).to.equal(tag);
        expectCached(await own.request('GET', col(type.systemName), { key: user.key }), ['MISS', 'BYPASS']);
      });
    });
  });

  // ------------------------------------------------------------------ race

  describe('writes and reads of one item interleaved', () => {
    it('300 rounds of PATCH then GET, with concurrent readers: no read sent after a write answered returns an older value', async () => {
      const ROUNDS = 300;
      const f = await fixture();
      const t = f.type.systemName;
      const item = f.alpha;
      const reads = [col(t, `/${item.id}`), col(t, `/${item.uuid}`), col(t, '/get-by/title/alpha'), col(t, `?orderBy=id&perPage=1`)];
      const countIn = (res: ApiResponse): number => (res.body.data ? res.body.data[0].count : res.body.count);
      let committed = 1;
      let running = true;
      const stale: string[] = [];
      const outcomes = new Map<CacheOutcome | string, number>();
      const check = (res: ApiResponse, floor: number, what: string) => {
        if (res.status !== 200) {
          stale.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
          return;
        }
        outcomes.set(res.headers['x-cache'], (outcomes.get(res.headers['x-cache']) ?? 0) + 1);
        const seen = countIn(res);
        if (seen < floor) stale.push(`${what}: count ${seen} after the PATCH to ${floor} answered (X-Cache ${res.headers['x-cache']})`);
      };
      const reader = async (n: number) => {
        for (let i = 0; running; i++) {
          const path = reads[(n + i) % reads.length];
          const floor = committed;
          check(await send('GET', path, f.as), floor, `reader ${n} ${path}`);
        }
      };
      const readers = [reader(0), reader(1), reader(2)];
      try {
        for (let round = 2; round <= ROUNDS + 1; round++) {
          const patched = await send('PATCH', col(t, `/${item.id}`), f.as, { body: { count: round } });
          expect(patched.status, patched.text).to.equal(200);
          committed = round;
          check(await send('GET', reads[round % reads.length], f.as), round, `after PATCH ${round}: ${reads[round % reads.length]}`);
          check(await send('GET', reads[0], f.as), round, `after PATCH ${round}: by id`);
        }
      } finally {
        running = false;
        await Promise.all(readers);
      }
      expect(stale, `${stale.length} stale or failed reads; outcomes ${JSON.stringify([...outcomes])}`).to.deep.equal([]);
      expect(outcomes.get('HIT') ?? 0, `the readers were served from the cache at times: ${JSON.stringify([...outcomes])}`).to.be.greaterThan(0);
    });
  });
});
