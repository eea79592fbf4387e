// Conditional requests on the cache-eligible reads (issue 8, seed 004 "304 Not Modified",
// RFC 9110 §13.1.2 and §15.4.5): If-None-Match with weak comparison, lists with any
// whitespace, several header lines, `*` (beaten by a 404 or 403), HEAD, SEARCH / QUERY / the
// POST alias, the bypass headers together with If-None-Match (what Node's and browsers' fetch
// send), and the headers a 304 keeps. One named case per row of the matrix.
import { expect } from 'chai';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import type { TestUser } from '../helpers/principals.ts';
import { aType, aUserWithGrants, allGrants, anItem, type ItemTypeBody } from '../helpers/collections.ts';
import { CACHE_CONTROL, expectCached, expectNotModified, STRONG_ETAG } from '../helpers/response-cache.ts';
import { expectError } from '../helpers/expectations.ts';

const col = (collection: string | number, rest = '') => `/api/v1/collection/${collection}${rest}`;

describe('conditional requests on cached reads (If-None-Match, 304)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let type: ItemTypeBody;
  let user: TestUser;
  let item: Record<string, any>;
  /** The 200 of GET item by id, the reference every case compares with. */
  let base: ApiResponse;
  let tag: string;

  const get = (path: string, headers: Record<string, string | string[]> = {}, key = user.key) => server.request('GET', path, { key, headers });
  const getItem = (headers: Record<string, string | string[]> = {}) => get(col(type.systemName, `/${item.id}`), headers);
  const inm = (value: string | string[]) => ({ 'if-none-match': value });

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    type = await aType(server, [
      { systemName: 'title', kind: 'string', required: true },
      { systemName: 'count', kind: 'integer' },
    ]);
    user = await aUserWithGrants(server, allGrants(type.id));
    item = await anItem(server, type.id, { title: 'conditional', count: 1 }, { key: user.key });
    await anItem(server, type.id, { title: 'second', count: 2 }, { key: user.key });
    base = await getItem();
    tag = expectCached(base);
  });
  after(async () => {
    await server?.stop();
  });

  describe('the validator', () => {
    it('01 a 200 carries a strong quoted-hex ETag, Cache-Control: private, must-revalidate, Vary and X-Cache', async () => {
      expect(tag).to.match(STRONG_ETAG);
      expect(base.headers['cache-control']).to.equal(CACHE_CONTROL);
      expect(base.headers.vary).to.be.a('string').and.not.equal('');
      expect(base.body).to.include({ id: item.id, title: 'conditional' });
    });

    it('02 the same tag on every repeat of the same answer', async () => {
      for (let i = 0; i < 3; i++) expect(expectCached(await getItem())).to.equal(tag);
    });
  });

  describe('If-None-Match that matches → 304', () => {
    it('03 the exact tag → 304 with no body', async () => {
      expectNotModified(await getItem(inm(tag)), base);
    });

    it('04 the 304 keeps the ETag, Cache-Control and Vary of the 200, and a Date', async () => {
      const res = await getItem(inm(tag));
      expectNotModified(res, base);
      expect(res.headers['content-type'] ?? '', 'no JSON body announced on a 304').to.not.match(/json/);
    });

    it('05 the weak form W/"…" of the tag → 304 (weak comparison)', async () => {
      expectNotModified(await getItem(inm(`W/${tag}`)), base);
    });

    it('06 a list with the tag in the middle → 304', async () => {
      expectNotModified(await getItem(inm(`"0000000000000000aa", ${tag}, "ffffffffffffffffbb"`)), base);
    });

    it('07 a list without any whitespace → 304', async () => {
      expectNotModified(await getItem(inm(`"0000000000000000aa",${tag}`)), base);
    });

    it('08 a list with extra spaces and tabs around the commas → 304', async () => {
      expectNotModified(await getItem(inm(`  "0000000000000000aa" ,\t W/${tag}\t,  "ffffffffffffffffbb"  `)), base);
    });

    it('09 the tags spread over two If-None-Match header lines → 304', async () => {
      expectNotModified(await getItem(inm(['"0000000000000000aa"', tag])), base);
    });

    it('10 an outdated tag and the current one in one list → 304', async () => {
      expectNotModified(await getItem(inm(`"${'e'.repeat(40)}", ${tag}`)), base);
    });

    it('11 `*` on an item that exists → 304', async () => {
      expectNotModified(await getItem(inm('*')), base);
    });
  });

  describe('If-None-Match that does not match → 200 with the body', () => {
    it('12 another tag → 200 with the full body and the same ETag', async () => {
      const res = await getItem(inm(`"${'0'.repeat(40)}"`));
      expect(expectCached(res)).to.equal(tag);
      expect(res.text).to.equal(base.text);
    });

    it('13 the tag in upper case → 200 (entity tags are compared octet by octet)', async () => {
      const upper = tag.toUpperCase();
      if (upper === tag) return; // all digits: nothing to vary (never seen with a real digest)
      const res = await getItem(inm(upper));
      expect(expectCached(res)).to.equal(tag);
      expect(res.text).to.equal(base.text);
    });

    it('14 a prefix of the tag → 200 (no substring match)', async () => {
      const res = await getItem(inm(`${tag.slice(0, -2)}"`));
      expect(expectCached(res)).to.equal(tag);
      expect(res.text).to.equal(base.text);
    });

    it('15 a weak tag of another value → 200', async () => {
      const res = await getItem(inm(`W/"${'1'.repeat(40)}"`));
      expect(expectCached(res)).to.equal(tag);
    });

    it('16 an empty If-None-Match → 200', async () => {
      const res = await getItem(inm(''));
      expect(expectCached(res)).to.equal(tag);
      expect(res.text).to.equal(base.text);
    });

    it("17 another item's tag → 200 with this item", async () => {
      const other = await get(col(type.systemName, '/get-by/title/second'));
      const otherTag = expectCached(other);
      expect(otherTag).to.not.equal(tag);
      const res = await getItem(inm(otherTag));
      expect(expectCached(res)).to.equal(tag);
      expect(res.body.title).to.equal('conditional');
    });
  });

  describe('`*` never hides an error', () => {
    it('18 `*` on a missing item → 404 NOT_FOUND with its body, not 304', async () => {
      expectError(await get(col(type.systemName, '/2147483000'), inm('*')), 404, 'NOT_FOUND');
    });

    it('19 `*` by a user who may not show the type → 403 PERMISSION_DENIED, not 304', async () => {
      const creator = await aUserWithGrants(server, [{ typeId: type.id, create: true }]);
      expectError(await get(col(type.systemName, `/${item.id}`), inm('*'), creator.key), 403, 'PERMISSION_DENIED');
      expectError(await get(col(type.systemName, `/${item.id}`), inm(tag), creator.key), 403, 'PERMISSION_DENIED');
    });

    it("20 `*` or the tag on another tenant's host → 404, not 304", async () => {
      const other: TestTenant = await aTenant(server);
      for (const value of ['*', tag]) {
        const res = await server.request('GET', col(type.systemName, `/${item.id}`), { key: other.admin.key, host: other.host, headers: inm(value) });
        expectError(res, 404, 'NOT_FOUND');
      }
    });

    it('21 `*` without a key → 403 API_KEY_MISSING, not 304', async () => {
      expectError(await server.request('GET', col(type.systemName, `/${item.id}`), { headers: inm('*') }), 403, 'API_KEY_MISSING');
    });
  });

  describe('every cache-eligible route', () => {
    it('22 get by UUID: the same bytes as by id give the same tag, and it answers 304', async () => {
      const byUuid = await get(col(type.systemName, `/${item.uuid}`));
      expect(byUuid.text).to.equal(base.text);
      expect(expectCached(byUuid)).to.equal(tag);
      expectNotModified(await get(col(type.systemName, `/${item.uuid}`), inm(tag)), base);
    });

    it('23 get-by a property → 304', async () => {
      const first = await get(col(type.systemName, '/get-by/title/conditional'));
      expectCached(first);
      expectNotModified(await get(col(type.systemName, '/get-by/title/conditional'), inm(first.headers.etag)), first);
    });

    it('24 list (GET) → 304, and a different query with the same tag → 200', async () => {
      const path = col(type.systemName, '?perPage=5&orderBy=id');
      const first = await get(path);
      expectCached(first);
      expectNotModified(await get(path, inm(first.headers.etag)), first);
      const other = await get(col(type.systemName, '?perPage=1&orderBy=id'), inm(first.headers.etag));
      expectCached(other);
      expect(other.body.data).to.have.length(1);
    });

    for (const [n, method, suffix] of [['25', 'SEARCH', ''], ['26', 'QUERY', ''], ['27', 'POST', '/search']] as const) {
      it(`${n} ${method} ${suffix ? `…${suffix}` : 'on the list'} → 304 with a matching tag (the seed's contract), 200 with another body`, async () => {
        const path = col(type.systemName, suffix);
        const body = { perPage: 5, filters: [{ property: 'count', type: 'gte', param: 1 }] };
        const first = await server.request(method, path, { key: user.key, body });
        expectCached(first);
        expect(first.body.stats.total).to.equal(2);
        expectNotModified(await server.request(method, path, { key: user.key, body, headers: inm(first.headers.etag) }), first);
        const narrower = await server.request(method, path, { key: user.key, body: { ...body, filters: [{ property: 'count', type: 'gte', param: 2 }] }, headers: inm(first.headers.etag) });
        expectCached(narrower);
        expect(narrower.body.stats.total).to.equal(1);
      });
    }
  });

  describe('HEAD', () => {
    it("28 HEAD → 200 with the GET's ETag, Cache-Control and Vary, and no body", async () => {
      const res = await server.request('HEAD', col(type.systemName, `/${item.id}`), { key: user.key });
      expect(res.status).to.equal(200);
      expect(res.bytes.length).to.equal(0);
      expect(res.headers.etag).to.equal(tag);
      expect(res.headers['cache-control']).to.equal(CACHE_CONTROL);
      expect(res.headers.vary).to.equal(base.headers.vary);
      if (res.headers['content-length'] !== undefined) expect(Number(res.headers['content-length'])).to.equal(base.bytes.length);
    });

    it('29 HEAD with a matching If-None-Match → 304', async () => {
      expectNotModified(await server.request('HEAD', col(type.systemName, `/${item.id}`), { key: user.key, headers: inm(tag) }), base);
    });
  });

  describe('bypass headers together with If-None-Match', () => {
    it('30 Cache-Control: no-cache + a matching tag → 304 (what fetch() sends to revalidate), X-Cache BYPASS', async () => {
      const res = await getItem({ 'cache-control': 'no-cache', ...inm(tag) });
      expectNotModified(res, base);
      expect(res.headers['x-cache']).to.equal('BYPASS');
    });

    it('31 Pragma: no-cache + a matching tag → 304', async () => {
      expectNotModified(await getItem({ pragma: 'no-cache', ...inm(tag) }), base);
    });

    it('32 ?_noCache=1 + a matching tag → 304', async () => {
      expectNotModified(await get(col(type.systemName, `/${item.id}?_noCache=1`), inm(tag)), base);
    });

    it('33 Cache-Control: no-store + a matching tag → 304 (nothing stored, still not modified)', async () => {
      expectNotModified(await getItem({ 'cache-control': 'no-store', ...inm(tag) }), base);
    });

    it("34 Cache-Control: no-cache + another tag → 200 with the body", async () => {
      const res = await getItem({ 'cache-control': 'no-cache', ...inm(`"${'0'.repeat(40)}"`) });
      expect(expectCached(res, 'BYPASS')).to.equal(tag);
      expect(res.text).to.equal(base.text);
    });

    it("35 Node's own fetch() revalidating with If-None-Match gets 304 (it adds Cache-Control: no-cache itself)", async () => {
      const res = await fetch(new URL(col(type.systemName, `/${item.id}`), server.url), { headers: { key: user.key, 'if-none-match': tag } });
      expect(res.status).to.equal(304);
      expect(res.headers.get('etag')).to.equal(tag);
      expect((await res.arrayBuffer()).byteLength).to.equal(0);
    });
  });

  describe('after a write', () => {
    it('36 the old tag → 200 with the new body and a new tag, which then answers 304', async () => {
      const own = await anItem(server, type.id, { title: 'to change', count: 10 }, { key: user.key });
      const before = await get(col(type.systemName, `/${own.id}`));
      const oldTag = expectCached(before);
      expectNotModified(await get(col(type.systemName, `/${own.id}`), inm(oldTag)), before);
      const patched = await server.request('PATCH', col(type.systemName, `/${own.id}`), { key: user.key, body: { count: 11 } });
      expect(patched.status, patched.text).to.equal(200);
      const after = await get(col(type.systemName, `/${own.id}`), inm(oldTag));
      const newTag = expectCached(after);
      expect(newTag).to.not.equal(oldTag);
      expect(after.body.count).to.equal(11);
      expectNotModified(await get(col(type.systemName, `/${own.id}`), inm(newTag)), after);
    });

    it('37 a deleted item with its old tag or `*` → 404, not 304', async () => {
      const own = await anItem(server, type.id, { title: 'to delete', count: 20 }, { key: user.key });
      const before = await get(col(type.systemName, `/${own.id}`));
      const oldTag = expectCached(before);
      expect((await server.request('DELETE', col(type.systemName, `/${own.id}`), { key: user.key })).status).to.equal(204);
      expectError(await get(col(type.systemName, `/${own.id}`), inm(oldTag)), 404, 'NOT_FOUND');
      expectError(await get(col(type.systemName, `/${own.uuid}`), inm('*')), 404, 'NOT_FOUND');
    });
  });

  describe('request headers outside the contract, cached or not', () => {
    it("38 an If-None-Match longer than the contract's 8000 characters gets the same answer cached or not (400 VALIDATION_FAILED)", async () => {
      const own = await anItem(server, type.id, { title: 'long header', count: 30 }, { key: user.key });
      const long = Array.from({ length: 300 }, (_, i) => `"${i.toString(16).padStart(32, '0')}"`).join(', ');
      expect(long.length).to.be.greaterThan(8000);
      const path = col(type.systemName, `/${own.id}`);
      const uncached = await get(path, { 'if-none-match': long, 'cache-control': 'no-store' });
      const first = await get(path);
      expectCached(first);
      expectCached(await get(path), 'HIT');
      const cached = await get(path, inm(long));
      expect(cached.status, 'the same answer with the entry stored').to.equal(uncached.status);
      expectError(cached, 400, 'VALIDATION_FAILED');
    });

    it("39 a Cache-Control longer than the contract's 1000 characters gets the same answer cached or not (400 VALIDATION_FAILED)", async () => {
      const own = await anItem(server, type.id, { title: 'long cache-control', count: 31 }, { key: user.key });
      const long = Array.from({ length: 120 }, (_, i) => `x-ext${i}=1`).join(', ');
      expect(long.length).to.be.greaterThan(1000);
      const path = col(type.systemName, `/${own.id}`);
      expectError(await get(path, { 'cache-control': long }), 400, 'VALIDATION_FAILED');
      expectCached(await get(path));
      expectCached(await get(path), 'HIT');
      expectError(await get(path, { 'cache-control': long }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('CORS', () => {
    it('40 a preflight allows If-None-Match, Cache-Control and Pragma', async () => {
      const res = await server.request('OPTIONS', col(type.systemName), {
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'key, if-none-match, cache-control, pragma' },
      });
      expect(res.status).to.be.oneOf([200, 204]);
      const allowed = (res.headers['access-control-allow-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase());
      expect(allowed).to.include.members(['if-none-match', 'cache-control', 'pragma']);
    });

    it('41 a cross-origin read exposes ETag (so a browser client can send it back)', async () => {
      const res = await getItem({ origin: 'https://app.example.com' });
      expectCached(res);
      const exposed = (res.headers['access-control-expose-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase());
      expect(exposed).to.include('etag');
    });
  });
});
