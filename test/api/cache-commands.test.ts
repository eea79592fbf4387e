// The response cache's operator commands through HTTP: cache.stats (figures in total and per
// type, counters moving with real MISS and HIT reads) and cache.purge (tenant, type, user: the
// next read is a MISS, nothing else is), their refusals, and the tenant boundary both ways.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestDatabase, usingRedis, type TestDatabase } from '../helpers/database.ts';
import { ShutdownIncomplete } from '../../src/process/shutdown-steps.ts';
import { aUser, type TestUser } from '../helpers/principals.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import { aType, aUserWithGrants, allGrants, anItem, type As, type ItemTypeBody } from '../helpers/collections.ts';
import { startRedis, type PrivateRedis } from '../helpers/process.ts';
import { expectError } from '../helpers/expectations.ts';

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;
const STATS = '/api/v1/app/cache.stats';
const PURGE = '/api/v1/app/cache.purge';

interface Counters {
  hits: number;
  misses: number;
  bypasses: { noCache: number; noStore: number; readLogged: number; storeUnavailable: number };
  stores: number;
  hitRatio: number;
}
type TypeRow = Counters & { typeId: number; systemName: string };

const itemPath = (type: ItemTypeBody, id: number) => `/api/v1/collection/${type.systemName}/${id}`;

/** One read of `path` as `as`; its X-Cache must be `expected`. */
async function read(server: TestServer, path: string, as: As, expected: 'HIT' | 'MISS' | 'BYPASS') {
  const res = await server.request('GET', path, as);
  expect(res.status, res.text).to.equal(200);
  expect(res.headers['x-cache'], `${path} as ${as.key?.split(':')[0]}`).to.equal(expected);
  return res;
}

/** Read until the entry is stored and served: a MISS (or a HIT left from earlier), then a HIT. */
async function warm(server: TestServer, path: string, as: As) {
  await server.request('GET', path, as);
  await read(server, path, as, 'HIT');
}

/**
 * cache.stats as `as`, polled until `until` holds (with Redis the shared counters are flushed
 * about once a second); the last answer when it never does, so the assertion names the gap.
 */
async function statsOf(server: TestServer, as: As, until: (body: any) => boolean = () => true) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await server.request('GET', STATS, as);
    expect(res.status, res.text).to.equal(200);
    if (until(res.body) || Date.now() > deadline) return res.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const rowOf = (body: { types: TypeRow[] }, type: ItemTypeBody) => body.types.find((t) => t.typeId === type.id);
const requestsOf = (c: Counters) => c.hits + c.misses + c.bypasses.noCache + c.bypasses.noStore + c.bypasses.readLogged + c.bypasses.storeUnavailable;

describe('the response cache operator commands', () => {
  let server: TestServer;
  let operator: TestUser;
  let plain: TestUser;
  let reader: TestUser;
  let otherReader: TestUser;
  let book: ItemTypeBody;
  let film: ItemTypeBody;
  let bookId: number;
  let filmId: number;
  const asOperator = () => ({ key: operator.key });

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    operator = await aUser(server, ['useApi', 'appManagement']);
    plain = await aUser(server, ['useApi']);
    book = await aType(server, [{ systemName: 'title', kind: 'string' }]);
    film = await aType(server, [{ systemName: 'title', kind: 'string' }]);
    reader = await aUserWithGrants(server, allGrants(book.id, film.id));
    otherReader = await aUserWithGrants(server, allGrants(book.id, film.id));
    bookId = (await anItem(server, book.id, { title: 'Dune' }, { key: reader.key })).id;
    filmId = (await anItem(server, film.id, { title: 'Alien' }, { key: reader.key })).id;
  });
  after(() => server.stop());

  describe('GET /app/cache.stats', () => {
    it("answers 200 with the store, the totals, the figures per type and the tenant's list TTL", async () => {
      const patched = await server.request('PATCH', '/api/v1/admin/settings', { key: server.adminKey, body: { listCacheTtlSeconds: 120 } });
      expect(patched.status, patched.text).to.equal(200);
      const body = await statsOf(server, asOperator());
      expect(body.store).to.equal(usingRedis() ? 'redis' : 'memory');
      expect(body.shared).to.equal(usingRedis());
      expect(body.listTtlSeconds).to.equal(120);
      expect(body.since).to.match(INSTANT);
      expect(body.totals).to.have.all.keys('hits', 'misses', 'bypasses', 'stores', 'hitRatio');
      expect(body.totals.bypasses).to.have.all.keys('noCache', 'noStore', 'readLogged', 'storeUnavailable');
      expect(body.totals.hitRatio).to.be.within(0, 1);
      expect(body.types).to.be.an('array');
      if (usingRedis()) {
        expect(body.entries).to.equal(null);
        expect(body.maxBytes).to.equal(null);
      } else {
        expect(body.entries).to.be.a('number');
        expect(body.maxBytes).to.be.above(0);
      }
    });

    it('counts a MISS and then a HIT of one item under its type, in the totals and the hit ratio', async () => {
      const before = await statsOf(server, asOperator());
      const was = rowOf(before, book) ?? { hits: 0, misses: 0 };
      // A fresh user's first read cannot be stored yet: MISS, then HIT.
      const fresh = await aUserWithGrants(server, allGrants(book.id));
      await read(server, itemPath(book, bookId), { key: fresh.key }, 'MISS');
      await read(server, itemPath(book, bookId), { key: fresh.key }, 'HIT');
      const after = await statsOf(server, asOperator(), (b) => (rowOf(b, book)?.hits ?? 0) >= was.hits + 1 && (rowOf(b, book)?.misses ?? 0) >= was.misses + 1);
      const row = rowOf(after, book)!;
      expect(row, JSON.stringify(after.types)).to.include({ systemName: book.systemName, hits: was.hits + 1, misses: was.misses + 1 });
      expect(row.stores).to.be.at.least(1);
      expect(row.hitRatio).to.be.closeTo(row.hits / requestsOf(row), 1e-9);
      expect(after.totals.hits).to.equal(before.totals.hits + 1);
      expect(after.totals.misses).to.equal(before.totals.misses + 1);
      expect(after.totals.hitRatio).to.be.closeTo(after.totals.hits / requestsOf(after.totals), 1e-9);
      expect(after.bytes).to.be.above(0);
    });

    it('counts a _noCache read as a bypass by its reason', async () => {
      const before = await statsOf(server, asOperator());
      await read(server, `${itemPath(book, bookId)}?_noCache=1`, { key: reader.key }, 'BYPASS');
      const after = await statsOf(server, asOperator(), (b) => b.totals.bypasses.noCache > before.totals.bypasses.noCache);
      expect(after.totals.bypasses.noCache).to.equal(before.totals.bypasses.noCache + 1);
      expect(rowOf(after, book)!.bypasses.noCache).to.equal((rowOf(before, book)?.bypasses.noCache ?? 0) + 1);
    });

    it('lists the most requested type first and leaves out a type deleted since', async () => {
      const gone = await aType(server, [{ systemName: 'title', kind: 'string' }]);
      const user = await aUserWithGrants(server, allGrants(gone.id, book.id, film.id));
      const goneId = (await anItem(server, gone.id, { title: 'x' }, { key: user.key })).id;
      await warm(server, itemPath(gone, goneId), { key: user.key });
      await warm(server, itemPath(book, bookId), { key: user.key });
      await statsOf(server, asOperator(), (b) => rowOf(b, gone) !== undefined);
      const deleted = await server.request('DELETE', `/api/v1/admin/types/${gone.id}?force=true`, { key: server.adminKey });
      expect(deleted.status, deleted.text).to.equal(204);
      // Make film busier than book, whatever came before.
      const current = await statsOf(server, asOperator());
      const lead = requestsOf(rowOf(current, book)!) - (rowOf(current, film) ? requestsOf(rowOf(current, film)!) : 0) + 4;
      for (let i = 0; i < lead; i++) await server.request('GET', itemPath(film, filmId), { key: user.key });
      const body = await statsOf(server, asOperator(), (b) => b.types[0]?.typeId === film.id);
      const ids = (body.types as TypeRow[]).map((t) => t.typeId);
      expect(ids).to.not.include(gone.id);
      expect(ids.slice(0, 2)).to.deep.equal([film.id, book.id]);
      const requests = (body.types as TypeRow[]).map(requestsOf);
      expect(requests).to.deep.equal([...requests].sort((a, b) => b - a));
    });

    it('answers 403 PERMISSION_DENIED to a key without appManagement, and 403 API_KEY_MISSING without a key', async () => {
      expectError(await server.request('GET', STATS, { key: plain.key }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('GET', STATS), 403, 'API_KEY_MISSING');
    });
  });

  describe('POST /app/cache.purge', () => {
    it('with scope tenant: every entry of the tenant is read as a MISS next', async () => {
      await warm(server, itemPath(book, bookId), { key: reader.key });
      await warm(server, itemPath(film, filmId), { key: otherReader.key });
      await warm(server, `/api/v1/collection/${film.systemName}`, { key: reader.key });
      const res = await server.request('POST', PURGE, { key: operator.key, body: { scope: 'tenant' } });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('scope', 'purgedAt');
      expect(res.body.scope).to.equal('tenant');
      expect(res.body.purgedAt).to.match(INSTANT);
      await read(server, itemPath(book, bookId), { key: reader.key }, 'MISS');
      await read(server, itemPath(film, filmId), { key: otherReader.key }, 'MISS');
      await read(server, `/api/v1/collection/${film.systemName}`, { key: reader.key }, 'MISS');
    });

    for (const by of ['system name', 'id'] as const) {
      it(`with scope type named by ${by}: that type's item and list entries are MISSes next, another type's stay HITs`, async () => {
        await warm(server, itemPath(book, bookId), { key: reader.key });
        await warm(server, `/api/v1/collection/${book.systemName}`, { key: reader.key });
        await warm(server, itemPath(film, filmId), { key: reader.key });
        const res = await server.request('POST', PURGE, { key: operator.key, body: { scope: 'type', type: by === 'id' ? book.id : book.systemName } });
        expect(res.status, res.text).to.equal(200);
        expect(res.body).to.have.all.keys('scope', 'typeId', 'purgedAt');
        expect(res.body).to.include({ scope: 'type', typeId: book.id });
        await read(server, itemPath(book, bookId), { key: reader.key }, 'MISS');
        await read(server, `/api/v1/collection/${book.systemName}`, { key: reader.key }, 'MISS');
        await read(server, itemPath(film, filmId), { key: reader.key }, 'HIT');
      });
    }

    it("with scope user: that user's entries are MISSes next, another user's stay HITs", async () => {
      await warm(server, itemPath(book, bookId), { key: reader.key });
      await warm(server, itemPath(book, bookId), { key: otherReader.key });
      const res = await server.request('POST', PURGE, { key: operator.key, body: { scope: 'user', user: reader.id } });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('scope', 'userId', 'purgedAt');
      expect(res.body).to.include({ scope: 'user', userId: reader.id });
      await read(server, itemPath(book, bookId), { key: reader.key }, 'MISS');
      await read(server, itemPath(book, bookId), { key: otherReader.key }, 'HIT');
    });

    describe('when the type or user does not exist', () => {
      for (const [what, body] of [
        ['an unknown type name', { scope: 'type', type: 'no_such_type' }],
        ['an unknown type id', { scope: 'type', type: 987654 }],
        ['an unknown user id', { scope: 'user', user: 987654 }],
      ] as const) {
        it(`answers 404 NOT_FOUND for ${what} and purges nothing`, async () => {
          await warm(server, itemPath(book, bookId), { key: reader.key });
          expectError(await server.request('POST', PURGE, { key: operator.key, body }), 404, 'NOT_FOUND');
          await read(server, itemPath(book, bookId), { key: reader.key }, 'HIT');
        });
      }
    });

    describe('when the body does not name one target of its scope', () => {
      const cases: [string, unknown, string][] = [
        ['scope type without type', { scope: 'type' }, 'PURGE_TARGET_INVALID'],
        ['scope user without user', { scope: 'user' }, 'PURGE_TARGET_INVALID'],
        ['scope tenant with a type', { scope: 'tenant', type: 'book' }, 'PURGE_TARGET_INVALID'],
        ['scope tenant with a user', { scope: 'tenant', user: 1 }, 'PURGE_TARGET_INVALID'],
        ['scope type with a user too', { scope: 'type', type: 'book', user: 1 }, 'PURGE_TARGET_INVALID'],
        ['scope user with a type too', { scope: 'user', user: 1, type: 1 }, 'PURGE_TARGET_INVALID'],
        ['an unknown scope', { scope: 'everything' }, 'VALIDATION_FAILED'],
        ['no scope', {}, 'VALIDATION_FAILED'],
        ['an unknown field', { scope: 'tenant', force: true }, 'VALIDATION_FAILED'],
        ['a user id of 0', { scope: 'user', user: 0 }, 'VALIDATION_FAILED'],
        ['a user id as text', { scope: 'user', user: 'me' }, 'VALIDATION_FAILED'],
        ['an empty type name', { scope: 'type', type: '' }, 'VALIDATION_FAILED'],
        ['a type given as a list', { scope: 'type', type: ['a'] }, 'VALIDATION_FAILED'],
        ['a JSON array', [{ scope: 'tenant' }], 'VALIDATION_FAILED'],
        ['text that is not JSON', '{"scope":', 'INVALID_JSON'],
      ];
      for (const [what, body, code] of cases) {
        it(`answers 400 ${code} for ${what} and purges nothing`, async () => {
          await warm(server, itemPath(book, bookId), { key: reader.key });
          expectError(await server.request('POST', PURGE, { key: operator.key, body }), 400, code);
          await read(server, itemPath(book, bookId), { key: reader.key }, 'HIT');
        });
      }
    });

    it('answers 403 PERMISSION_DENIED to a key without appManagement and purges nothing', async () => {
      await warm(server, itemPath(book, bookId), { key: reader.key });
      expectError(await server.request('POST', PURGE, { key: plain.key, body: { scope: 'tenant' } }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('POST', PURGE, { body: { scope: 'tenant' } }), 403, 'API_KEY_MISSING');
      await read(server, itemPath(book, bookId), { key: reader.key }, 'HIT');
    });
  });

  describe('across tenants', () => {
    interface Side {
      name: string;
      as: As;
      reader: As;
      readerId: number;
      type: ItemTypeBody;
      path: string;
    }
    let b: TestTenant;
    let sides: Side[];

    before(async () => {
      b = await aTenant(server);
      const asB = { key: b.admin.key, host: b.host };
      // Tenant B gets a type of the same system name as A's book: names are per tenant.
      const bBook = await aType(server, [{ systemName: 'title', kind: 'string' }], { ...asB, systemName: book.systemName });
      const bReader = await aUserWithGrants(server, allGrants(bBook.id), asB);
      const bItem = await anItem(server, bBook.id, { title: 'B only' }, { key: bReader.key, host: b.host });
      sides = [
        { name: 'A', as: asOperator(), reader: { key: reader.key }, readerId: reader.id, type: book, path: itemPath(book, bookId) },
        { name: 'B', as: asB, reader: { key: bReader.key, host: b.host }, readerId: bReader.id, type: bBook, path: itemPath(bBook, bItem.id) },
      ];
    });

    for (const [self, other] of [[0, 1], [1, 0]] as const) {
      const names = ['A', 'B'];
      it(`tenant ${names[self]}'s figures count none of tenant ${names[other]}'s reads`, async () => {
        const mine = sides[self];
        const theirs = sides[other];
        const before = await statsOf(server, mine.as);
        await warm(server, theirs.path, theirs.reader);
        await read(server, theirs.path, theirs.reader, 'HIT');
        // Give shared counters time to be flushed: the other side's figures must have moved.
        await statsOf(server, theirs.as, (s) => (rowOf(s, theirs.type)?.hits ?? 0) >= 2);
        const after = await statsOf(server, mine.as);
        expect(after.totals).to.deep.equal(before.totals);
        expect((after.types as TypeRow[]).map((t) => t.typeId)).to.not.include(theirs.type.id);
      });

      it(`tenant ${names[self]}'s operator cannot purge tenant ${names[other]}'s type (by id) or user: 404, and their entries stay HITs`, async () => {
        const mine = sides[self];
        const theirs = sides[other];
        await warm(server, theirs.path, theirs.reader);
        expectError(await server.request('POST', PURGE, { ...mine.as, body: { scope: 'type', type: theirs.type.id } }), 404, 'NOT_FOUND');
        expectError(await server.request('POST', PURGE, { ...mine.as, body: { scope: 'user', user: theirs.readerId } }), 404, 'NOT_FOUND');
        await read(server, theirs.path, theirs.reader, 'HIT');
      });

      it(`tenant ${names[self]}'s purges (tenant, and its own type of the same name) leave tenant ${names[other]}'s entries HITs`, async () => {
        const mine = sides[self];
        const theirs = sides[other];
        await warm(server, theirs.path, theirs.reader);
        await warm(server, mine.path, mine.reader);
        const byName = await server.request('POST', PURGE, { ...mine.as, body: { scope: 'type', type: mine.type.systemName } });
        expect(byName.status, byName.text).to.equal(200);
        expect(byName.body.typeId).to.equal(mine.type.id);
        const all = await server.request('POST', PURGE, { ...mine.as, body: { scope: 'tenant' } });
        expect(all.status, all.text).to.equal(200);
        await read(server, mine.path, mine.reader, 'MISS');
        await read(server, theirs.path, theirs.reader, 'HIT');
      });
    }
  });

  describe('with the cache turned off (CACHE_STORE=none)', () => {
    let off: TestServer;
    before(async () => {
      off = await startTestServer({ ...RELAXED_AUTH_LIMITS, CACHE_STORE: 'none' });
    });
    after(() => off?.stop());

    it("answers cache.stats with store none and every figure 0, even after reads", async () => {
      const type = await aType(off, [{ systemName: 'title', kind: 'string' }]);
      const user = await aUserWithGrants(off, allGrants(type.id));
      const item = await anItem(off, type.id, { title: 'x' }, { key: user.key });
      const got = await off.request('GET', itemPath(type, item.id), { key: user.key });
      expect(got.status, got.text).to.equal(200);
      const res = await off.request('GET', STATS, { key: off.adminKey });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ store: 'none', shared: false, entries: 0, bytes: 0, evictions: 0, maxBytes: null });
      expect(res.body.totals).to.deep.equal({ hits: 0, misses: 0, stores: 0, hitRatio: 0, bypasses: { noCache: 0, noStore: 0, readLogged: 0, storeUnavailable: 0 } });
      expect(res.body.types).to.deep.equal([]);
    });

    it('answers cache.purge 200 for a known target and still 404 for an unknown one', async () => {
      const res = await off.request('POST', PURGE, { key: off.adminKey, body: { scope: 'tenant' } });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.scope).to.equal('tenant');
      expectError(await off.request('POST', PURGE, { key: off.adminKey, body: { scope: 'type', type: 'missing' } }), 404, 'NOT_FOUND');
    });
  });

  describe('when the Redis store stops answering', () => {
    let redis: PrivateRedis;
    let own: TestServer;
    let ownDatabase: TestDatabase;
    before(async () => {
      redis = await startRedis();
      ownDatabase = await createTestDatabase();
      own = await startTestServer({ ...RELAXED_AUTH_LIMITS, REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_MS: '2000', SHUTDOWN_DRAIN_MS: '0' }, ownDatabase);
      const stats = await own.request('GET', STATS, { key: own.adminKey });
      expect(stats.status, stats.text).to.equal(200);
      expect(stats.body.store).to.equal('redis');
      await redis.process.kill();
    });
    after(async () => {
      // Its Redis clients cannot be closed cleanly with Redis gone: that step times out (bounded),
      // which is the shutdown's business, not this test's.
      await own?.stop().catch((error) => {
        if (!(error instanceof ShutdownIncomplete)) throw error;
      });
      await redis?.process.kill();
      await ownDatabase?.drop();
    });

    it('answers cache.purge with 503 CACHE_UNAVAILABLE and Retry-After, not a 500', async () => {
      const res = await own.request('POST', PURGE, { key: own.adminKey, body: { scope: 'tenant' } });
      expectError(res, 503, 'CACHE_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).to.be.above(0);
    });

    it('answers cache.stats with 503 CACHE_UNAVAILABLE and Retry-After, not a 500', async () => {
      const res = await own.request('GET', STATS, { key: own.adminKey });
      expectError(res, 503, 'CACHE_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).to.be.above(0);
    });
  });
});
