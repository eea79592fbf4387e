// The generic collection API through HTTP (seed 004 "Generic collection", seed 002 "Cascade
// Delete"): list by GET/SEARCH/QUERY/POST alias, paging, ordering, field controls, single reads,
// writes, validation, references, per-type grants, tenant and user isolation, read audit and
// malformed input. Filter operators one by one, timezones and /schema live elsewhere.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import type { TestUser } from '../helpers/principals.ts';
import {
  aType, aUserWithGrants, allGrants, anItem, countOf, systemName, type As, type Grant, type ItemTypeBody, type PropertySpec,
} from '../helpers/collections.ts';
import { expectError } from '../helpers/expectations.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;
const SQL = `x'; DROP TABLE "Item"; --`;
const SYSTEM_KEYS = ['id', 'uuid', 'created_on', 'created_by', 'updated_on', 'updated_by'];

const col = (collection: string | number, rest = '') => `/api/v1/collection/${collection}${rest}`;
const q = (params: Record<string, unknown>) =>
  `?${Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('&')}`;
const ids = (res: ApiResponse) => (res.body.data as { id: number }[]).map((i) => i.id);
const paths = (res: ApiResponse) => ((res.body.details ?? []) as { path?: string }[]).map((d) => d.path);

/** A caller without the grant: 403, or the unknown type's 404 when they hold no grant on the type at all (issue 7). */
function expectDenied(res: ApiResponse, hidden: boolean) {
  if (hidden) expectError(res, 404, 'NOT_FOUND');
  else expectError(res, 403, 'PERMISSION_DENIED');
}

/** A type with one property of every kind (and a unique code, a reference and a multi reference). */
function taskProperties(personType: number): PropertySpec[] {
  return [
    { systemName: 'title', name: 'Title', kind: 'string', required: true },
    { systemName: 'body', kind: 'text' },
    { systemName: 'count', kind: 'integer' },
    { systemName: 'score', kind: 'number' },
    { systemName: 'done', kind: 'boolean', default: false },
    { systemName: 'due', kind: 'datetime' },
    { systemName: 'day', kind: 'date' },
    { systemName: 'month', kind: 'month' },
    { systemName: 'status', name: 'Status', kind: 'enum', enumValues: ['open', 'in_progress', 'done'], default: 'open' },
    { systemName: 'labels', kind: 'string', multiple: true },
    { systemName: 'code', kind: 'string', unique: true },
    { systemName: 'owner', kind: 'reference', referenceType: personType },
    { systemName: 'watchers', kind: 'reference', referenceType: personType, multiple: true },
  ];
}

describe('/collection', () => {
  let server: TestServer;
  let person: ItemTypeBody;
  let task: ItemTypeBody;
  let writer: TestUser;
  let w: As;

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    person = await aType(server, [
      { systemName: 'name', name: 'Name', kind: 'string', required: true },
      { systemName: 'email', kind: 'string', unique: true },
    ]);
    task = await aType(server, taskProperties(person.id));
    writer = await aUserWithGrants(server, allGrants(person.id, task.id));
    w = { key: writer.key };
  });
  after(() => server.stop());

  /** A fresh type with `count` items of {title, rank, labels, note}, and a user with every grant. */
  async function listedType(count: number, options: As & { grants?: (typeId: number) => Grant[] } = {}) {
    const type = await aType(
      server,
      [
        { systemName: 'title', name: 'Title', kind: 'string' },
        { systemName: 'rank', name: 'Rank', kind: 'integer' },
        { systemName: 'labels', name: 'Labels', kind: 'string', multiple: true },
        { systemName: 'note', name: 'Note', kind: 'text' },
      ],
      { key: options.key, host: options.host },
    );
    const user = await aUserWithGrants(server, options.grants ? options.grants(type.id) : allGrants(type.id), { key: options.key, host: options.host });
    const as = { key: user.key, host: options.host };
    const items: Record<string, any>[] = [];
    for (let n = 1; n <= count; n++) {
      items.push(await anItem(server, type.id, { title: `item ${n}`, rank: (n * 7) % 10, labels: [`l${n}`, 'all'], note: `note ${n}` }, as));
    }
    return { type, user, as, items };
  }

  // ------------------------------------------------------------------ listing

  describe('GET /collection/{collection}', () => {
    let fixture: Awaited<ReturnType<typeof listedType>>;
    before(async () => {
      fixture = await listedType(3);
    });

    it('answers 200 with stats and every item, oldest first', async () => {
      const res = await server.request('GET', col(fixture.type.id), fixture.as);
      expect(res.status).to.equal(200);
      expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 25, fetched: 3, total: 3 });
      expect(res.body.data).to.deep.equal(fixture.items);
      expect(res.body).to.not.have.property('propsMeta');
    });

    it('answers the same page by type id and by system name', async () => {
      const byId = await server.request('GET', col(fixture.type.id), fixture.as);
      const byName = await server.request('GET', col(fixture.type.systemName), fixture.as);
      expect(byName.status).to.equal(200);
      expect(byName.body).to.deep.equal(byId.body);
    });

    describe('when the collection does not exist', () => {
      it('answers 404 NOT_FOUND for an unknown system name and an unknown id', async () => {
        for (const collection of ['no_such_type', '987654']) {
          expectError(await server.request('GET', col(collection), fixture.as), 404, 'NOT_FOUND');
          expectError(await server.request('SEARCH', col(collection), { ...fixture.as, body: {} }), 404, 'NOT_FOUND');
        }
      });
    });

    describe('when nothing matches', () => {
      it('answers 204 with an empty body for an empty type', async () => {
        const empty = await listedType(0);
        const res = await server.request('GET', col(empty.type.id), empty.as);
        expect(res.status).to.equal(204);
        expect(res.text).to.equal('');
      });

      it('answers 204 with an empty body for a filter without matches, on GET and SEARCH', async () => {
        const filters = [{ property: 'title', type: 'eq', param: 'nobody has this title' }];
        const viaGet = await server.request('GET', `${col(fixture.type.id)}${q({ filters })}`, fixture.as);
        expect(viaGet.status).to.equal(204);
        expect(viaGet.text).to.equal('');
        const viaSearch = await server.request('SEARCH', col(fixture.type.id), { ...fixture.as, body: { filters } });
        expect(viaSearch.status).to.equal(204);
        expect(viaSearch.text).to.equal('');
      });

      it('answers 204 for a page past the end', async () => {
        const res = await server.request('GET', `${col(fixture.type.id)}?page=99`, fixture.as);
        expect(res.status).to.equal(204);
        expect(res.text).to.equal('');
      });
    });
  });

  describe('SEARCH, QUERY and POST /collection/{collection}/search', () => {
    let fixture: Awaited<ReturnType<typeof listedType>>;
    const filters = [{ property: 'rank', type: 'gte', param: 4 }];
    let expected: ApiResponse;
    before(async () => {
      fixture = await listedType(5); // ranks 7, 4, 1, 8, 5
      expected = await server.request('GET', `${col(fixture.type.id)}${q({ filters, orderBy: 'rank', orderDir: 'desc' })}`, fixture.as);
      expect(expected.status).to.equal(200);
      expect(expected.body.data.map((i: { rank: number }) => i.rank)).to.deep.equal([8, 7, 5, 4]);
    });

    for (const method of ['SEARCH', 'QUERY']) {
      it(`${method} with a JSON body answers the page GET answers for the same parameters`, async () => {
        const res = await server.request(method, col(fixture.type.id), { ...fixture.as, body: { filters, orderBy: 'rank', orderDir: 'desc' } });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal(expected.body);
      });

      it(`${method} works by system name as well`, async () => {
        const res = await server.request(method, col(fixture.type.systemName), { ...fixture.as, body: { filters, orderBy: 'rank', orderDir: 'desc' } });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal(expected.body);
      });
    }

    it('POST /collection/{collection}/search answers like SEARCH', async () => {
      const res = await server.request('POST', col(fixture.type.id, '/search'), { ...fixture.as, body: { filters, orderBy: 'rank', orderDir: 'desc' } });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(expected.body);
    });

    it('SEARCH without a body lists everything', async () => {
      const res = await server.request('SEARCH', col(fixture.type.id), fixture.as);
      expect(res.status).to.equal(200);
      expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 25, fetched: 5, total: 5 });
    });

    it('reads query parameters too, and the body wins over them', async () => {
      const fromQuery = await server.request('SEARCH', `${col(fixture.type.id)}?perPage=2&page=2`, { ...fixture.as, body: {} });
      expect(fromQuery.status).to.equal(200);
      expect(fromQuery.body.stats).to.deep.equal({ page: 2, itemsPerPage: 2, fetched: 2, total: 5 });
      expect(ids(fromQuery)).to.deep.equal([fixture.items[2].id, fixture.items[3].id]);
      const bodyWins = await server.request('SEARCH', `${col(fixture.type.id)}?perPage=2&page=2`, { ...fixture.as, body: { perPage: 4, page: 1 } });
      expect(bodyWins.body.stats).to.deep.equal({ page: 1, itemsPerPage: 4, fetched: 4, total: 5 });
    });

    describe('when SEARCH targets an item or get-by path', () => {
      it('answers 400 SEARCH_NOT_ALLOWED on /collection/{c}/{item}', async () => {
        for (const method of ['SEARCH', 'QUERY']) {
          const res = await server.request(method, col(fixture.type.id, `/${fixture.items[0].id}`), { ...fixture.as, body: {} });
          expectError(res, 400, 'SEARCH_NOT_ALLOWED');
        }
      });

      it('answers 400 SEARCH_NOT_ALLOWED on /collection/{c}/get-by/{property}/{item}', async () => {
        const res = await server.request('SEARCH', col(fixture.type.id, '/get-by/title/item%201'), { ...fixture.as, body: {} });
        expectError(res, 400, 'SEARCH_NOT_ALLOWED');
      });
    });

    describe('when the SEARCH body has an unknown or mistyped member', () => {
      it('answers 400 VALIDATION_FAILED naming it', async () => {
        const unknown = await server.request('SEARCH', col(fixture.type.id), { ...fixture.as, body: { filter: [] } });
        expectError(unknown, 400, 'VALIDATION_FAILED');
        expect(paths(unknown).join(' ')).to.contain('filter');
        const mistyped = await server.request('SEARCH', col(fixture.type.id), { ...fixture.as, body: { filters: 'not-an-array' } });
        expectError(mistyped, 400, 'VALIDATION_FAILED');
        expect(paths(mistyped).join(' ')).to.contain('filters');
      });
    });
  });

  // ------------------------------------------------------------------ paging

  describe('paging', () => {
    let fixture: Awaited<ReturnType<typeof listedType>>;
    before(async () => {
      fixture = await listedType(7);
    });

    it('answers exact stats for every page of perPage=3', async () => {
      const seen: number[] = [];
      for (const [page, fetched] of [[1, 3], [2, 3], [3, 1]]) {
        const res = await server.request('GET', `${col(fixture.type.id)}?page=${page}&perPage=3`, fixture.as);
        expect(res.status).to.equal(200);
        expect(res.body.stats).to.deep.equal({ page, itemsPerPage: 3, fetched, total: 7 });
        seen.push(...ids(res));
      }
      expect(seen).to.deep.equal(fixture.items.map((i) => i.id));
    });

    it('pages SEARCH the same way from the body', async () => {
      const res = await server.request('SEARCH', col(fixture.type.id), { ...fixture.as, body: { page: 2, perPage: 5 } });
      expect(res.status).to.equal(200);
      expect(res.body.stats).to.deep.equal({ page: 2, itemsPerPage: 5, fetched: 2, total: 7 });
      expect(ids(res)).to.deep.equal(fixture.items.slice(5).map((i) => i.id));
    });

    describe("when perPage exceeds the tenant's apiMaxPageLength", () => {
      let tenant: TestTenant;
      let capped: Awaited<ReturnType<typeof listedType>>;
      before(async () => {
        tenant = await aTenant(server);
        const tenantAdmin = { key: tenant.admin.key, host: tenant.host };
        const patched = await server.request('PATCH', '/api/v1/admin/settings', { ...tenantAdmin, body: { apiMaxPageLength: 5 } });
        expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
        expect(patched.body.settings.apiMaxPageLength).to.equal(5);
        capped = await listedType(7, tenantAdmin);
      });

      it('caps the page at apiMaxPageLength (not an error) for GET, SEARCH and the contract maximum', async () => {
        for (const perPage of [6, 1000, 1_000_000]) {
          const res = await server.request('GET', `${col(capped.type.id)}?perPage=${perPage}`, capped.as);
          expect(res.status, String(perPage)).to.equal(200);
          expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 5, fetched: 5, total: 7 });
        }
        const searched = await server.request('SEARCH', col(capped.type.id), { ...capped.as, body: { perPage: 1000, page: 2 } });
        expect(searched.status).to.equal(200);
        expect(searched.body.stats).to.deep.equal({ page: 2, itemsPerPage: 5, fetched: 2, total: 7 });
        expect(ids(searched)).to.deep.equal(capped.items.slice(5).map((i) => i.id));
      });

      it('uses the default page size of 25 capped to 5 when perPage is absent', async () => {
        const res = await server.request('GET', col(capped.type.id), capped.as);
        expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 5, fetched: 5, total: 7 });
      });

      it("leaves the root tenant's cap alone", async () => {
        const res = await server.request('GET', `${col(fixture.type.id)}?perPage=1000`, fixture.as);
        expect(res.body.stats.fetched).to.equal(7);
        expect(res.body.stats.itemsPerPage).to.be.greaterThan(5);
      });
    });

    describe('when page is zero or negative', () => {
      it('answers 400 VALIDATION_FAILED naming query.page on GET', async () => {
        for (const page of ['0', '-1', '-100']) {
          const res = await server.request('GET', `${col(fixture.type.id)}?page=${page}`, fixture.as);
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res)).to.include('query.page');
        }
      });

      it('answers 400 VALIDATION_FAILED naming page in a SEARCH body', async () => {
        for (const page of [0, -1]) {
          const res = await server.request('SEARCH', col(fixture.type.id), { ...fixture.as, body: { page } });
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res).join(' ')).to.contain('page');
        }
      });
    });

    describe('when perPage is zero, negative or beyond the contract maximum', () => {
      it('answers 400 VALIDATION_FAILED naming query.perPage', async () => {
        for (const perPage of ['0', '-5', '1000001', '99999999999999999999']) {
          const res = await server.request('GET', `${col(fixture.type.id)}?perPage=${perPage}`, fixture.as);
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res), perPage).to.include('query.perPage');
        }
      });
    });

    describe('when page or perPage is not an integer', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        for (const query of ['page=abc', 'perPage=ten', 'page=1.5', 'perPage=2e']) {
          const res = await server.request('GET', `${col(fixture.type.id)}?${query}`, fixture.as);
          expectError(res, 400, 'VALIDATION_FAILED');
        }
        const res = await server.request('SEARCH', col(fixture.type.id), { ...fixture.as, body: { perPage: '5' } });
        expectError(res, 400, 'VALIDATION_FAILED');
      });
    });
  });

  // ------------------------------------------------------------------ ordering

  describe('ordering', () => {
    let type: ItemTypeBody;
    let as: As;
    let other: TestUser;
    let items: Record<string, any>[];
    before(async () => {
      type = await aType(server, [
        { systemName: 'title', kind: 'string' },
        { systemName: 'rank', kind: 'integer' },
        { systemName: 'day', kind: 'date' },
      ]);
      const user = await aUserWithGrants(server, allGrants(type.id));
      other = await aUserWithGrants(server, allGrants(type.id));
      as = { key: user.key };
      items = [
        await anItem(server, type.id, { title: 'b', rank: 3, day: '2024-03-01' }, as),
        await anItem(server, type.id, { title: 'c', rank: 1, day: '2024-01-01' }, { key: other.key }),
        await anItem(server, type.id, { title: 'a', rank: 2 }, as),
        await anItem(server, type.id, { title: 'd', day: '2024-02-01' }, as),
      ];
    });
    const order = async (params: Record<string, string>) => {
      const res = await server.request('GET', `${col(type.id)}${q(params)}`, as);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body.data.map((i: { title: string }) => i.title).join('');
    };

    it('orders by id ascending by default', async () => {
      expect(await order({})).to.equal('bcad');
    });

    it('orders by a user property, ascending and descending, items without a value last', async () => {
      expect(await order({ orderBy: 'rank' })).to.equal('cabd');
      expect(await order({ orderBy: 'rank', orderDir: 'asc' })).to.equal('cabd');
      expect(await order({ orderBy: 'rank', orderDir: 'desc' })).to.equal('bacd');
      expect(await order({ orderBy: 'rank', orderDir: 'DESC' })).to.equal('bacd');
      expect(await order({ orderBy: 'title', orderDir: 'desc' })).to.equal('dcba');
      expect(await order({ orderBy: 'day' })).to.equal('cdba');
      expect(await order({ orderBy: 'day', orderDir: 'desc' })).to.equal('bdca');
    });

    it('orders by system fields', async () => {
      expect(await order({ orderBy: 'id', orderDir: 'desc' })).to.equal('dacb');
      expect(await order({ orderBy: 'uuid' })).to.equal([...items].sort((x, y) => (x.uuid < y.uuid ? -1 : 1)).map((i) => i.title).join(''));
      expect(await order({ orderBy: 'created_on', orderDir: 'desc' })).to.equal('dacb');
      // Only "c" was created by the other user; ties break on id in the same direction.
      const byCreator = await order({ orderBy: 'created_by', orderDir: 'asc' });
      expect(byCreator.replace('c', '')).to.equal('bad');
      // System timestamps are whole seconds: let the patch land in a later second than the creates.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // A real change: a PATCH that changes no value leaves updated_on as it is.
      const patched = await server.request('PATCH', col(type.id, `/${items[0].id}`), { key: other.key, body: { rank: 4 } });
      expect(patched.status).to.equal(200);
      expect(await order({ orderBy: 'updated_on', orderDir: 'desc' })).to.match(/^b/);
      expect(await order({ orderBy: 'updated_on', orderDir: 'asc' })).to.match(/b$/);
    });

    it('orders SEARCH from the body', async () => {
      const res = await server.request('SEARCH', col(type.id), { ...as, body: { orderBy: 'rank', orderDir: 'desc' } });
      expect(res.body.data.map((i: { title: string }) => i.title).join('')).to.equal('bacd');
    });

    describe('when orderBy names an unknown field', () => {
      it('answers 400 UNKNOWN_FIELD on GET and SEARCH', async () => {
        expectError(await server.request('GET', `${col(type.id)}?orderBy=nope`, as), 400, 'UNKNOWN_FIELD');
        expectError(await server.request('SEARCH', col(type.id), { ...as, body: { orderBy: 'nope' } }), 400, 'UNKNOWN_FIELD');
      });
    });

    describe('when orderDir is neither asc nor desc', () => {
      it('answers 400 VALIDATION_FAILED naming query.orderDir', async () => {
        const res = await server.request('GET', `${col(type.id)}?orderBy=rank&orderDir=sideways`, as);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(paths(res)).to.include('query.orderDir');
      });
    });
  });

  // ------------------------------------------------------------------ field controls

  describe('showFields, hideFields, wrapFields and propsMeta', () => {
    let type: ItemTypeBody;
    let as: As;
    let item: Record<string, any>;
    const ALL = [...SYSTEM_KEYS, 'title', 'note', 'labels', 'status', 'ref'];
    before(async () => {
      type = await aType(server, [
        { systemName: 'title', name: 'Title', kind: 'string', required: true },
        { systemName: 'note', name: 'Note', kind: 'text' },
        { systemName: 'labels', name: 'Labels', kind: 'string', multiple: true },
        { systemName: 'status', name: 'Status', kind: 'enum', enumValues: ['open', 'done'] },
        { systemName: 'ref', name: 'Ref', kind: 'reference', referenceType: person.id },
      ]);
      const user = await aUserWithGrants(server, allGrants(type.id));
      as = { key: user.key };
      item = await anItem(server, type.id, { title: 'Launch', note: 'n', labels: ['web', 'q3'], status: 'open' }, as);
    });
    const one = async (params: Record<string, string>) => {
      const listed = await server.request('GET', `${col(type.id)}${q(params)}`, as);
      expect(listed.status, JSON.stringify(listed.body)).to.equal(200);
      return listed;
    };

    it('returns every system field and property in type order without controls', async () => {
      const res = await one({});
      expect(Object.keys(res.body.data[0])).to.deep.equal(ALL);
      expect(res.body.data[0]).to.include({ id: item.id, uuid: item.uuid, title: 'Launch', note: 'n', status: 'open', ref: null });
      expect(res.body.data[0].labels).to.deep.equal(['web', 'q3']);
    });

    it('showFields keeps only the named fields, plus id and uuid', async () => {
      expect((await one({ showFields: 'title' })).body.data[0]).to.deep.equal({ id: item.id, uuid: item.uuid, title: 'Launch' });
      expect((await one({ showFields: 'labels,title' })).body.data[0]).to.deep.equal({ id: item.id, uuid: item.uuid, title: 'Launch', labels: ['web', 'q3'] });
      expect((await one({ showFields: 'id' })).body.data[0]).to.deep.equal({ id: item.id, uuid: item.uuid });
      expect((await one({ showFields: 'created_by,status' })).body.data[0]).to.deep.equal({ id: item.id, uuid: item.uuid, created_by: item.created_by, status: 'open' });
    });

    it('hideFields drops the named fields but never id or uuid', async () => {
      const res = await one({ hideFields: 'note,created_on,id,uuid' });
      expect(Object.keys(res.body.data[0])).to.deep.equal(ALL.filter((k) => !['note', 'created_on'].includes(k)));
    });

    it('wrapFields returns { value, name, kind } for the named fields only', async () => {
      const res = await one({ wrapFields: 'status,labels', showFields: 'title,status,labels' });
      expect(res.body.data[0]).to.deep.equal({
        id: item.id,
        uuid: item.uuid,
        title: 'Launch',
        labels: { value: ['web', 'q3'], name: 'Labels', kind: 'string' },
        status: { value: 'open', name: 'Status', kind: 'enum' },
      });
    });

    it('propsMeta=true describes every returned property', async () => {
      const res = await one({ propsMeta: 'true', showFields: 'title,status,ref' });
      expect(res.body.propsMeta).to.deep.equal({
        title: { name: 'Title', kind: 'string', required: true, unique: false, multiple: false },
        status: { name: 'Status', kind: 'enum', required: false, unique: false, multiple: false, enumValues: ['open', 'done'] },
        ref: { name: 'Ref', kind: 'reference', required: false, unique: false, multiple: false, referenceType: person.id },
      });
      expect(res.body.data[0]).to.deep.equal({ id: item.id, uuid: item.uuid, title: 'Launch', status: 'open', ref: null });
    });

    it('propsMeta with a list describes only those properties', async () => {
      const res = await one({ propsMeta: 'labels' });
      expect(res.body.propsMeta).to.deep.equal({ labels: { name: 'Labels', kind: 'string', required: false, unique: false, multiple: true } });
      expect(Object.keys(res.body.data[0])).to.deep.equal(ALL);
    });

    it('propsMeta=false or absent adds no propsMeta', async () => {
      expect((await one({ propsMeta: 'false' })).body).to.not.have.property('propsMeta');
      expect((await one({})).body).to.not.have.property('propsMeta');
    });

    it('takes field lists as arrays in a SEARCH body', async () => {
      const res = await server.request('SEARCH', col(type.id), { ...as, body: { showFields: ['title', 'status'], wrapFields: ['status'], propsMeta: ['status'] } });
      expect(res.status).to.equal(200);
      expect(res.body.data[0]).to.deep.equal({ id: item.id, uuid: item.uuid, title: 'Launch', status: { value: 'open', name: 'Status', kind: 'enum' } });
      expect(Object.keys(res.body.propsMeta)).to.deep.equal(['status']);
    });

    it('applies showFields, hideFields and wrapFields to single reads', async () => {
      const shown = await server.request('GET', `${col(type.id, `/${item.id}`)}?showFields=title&wrapFields=title`, as);
      expect(shown.status).to.equal(200);
      expect(shown.body).to.deep.equal({ id: item.id, uuid: item.uuid, title: { value: 'Launch', name: 'Title', kind: 'string' } });
      const hidden = await server.request('GET', `${col(type.id, `/get-by/title/Launch`)}?hideFields=note,labels`, as);
      expect(hidden.status).to.equal(200);
      expect(Object.keys(hidden.body)).to.deep.equal(ALL.filter((k) => !['note', 'labels'].includes(k)));
    });

    it('wrapping a system field still answers a contract-valid item (id and uuid stay bare)', async () => {
      // The helper validates the response against the Item schema (id integer, uuid string).
      const res = await server.request('GET', `${col(type.id)}?wrapFields=id,uuid,created_by`, as);
      expect(res.status).to.be.oneOf([200, 400]);
      if (res.status === 200) {
        expect(res.body.data[0].id).to.equal(item.id);
        expect(res.body.data[0].uuid).to.equal(item.uuid);
      } else {
        expect(res.body.code).to.equal('FIELD_NOT_WRAPPABLE');
      }
    });

    describe('when a field list names an unknown field', () => {
      it('answers 400 UNKNOWN_FIELD for each of showFields, hideFields, wrapFields and propsMeta', async () => {
        for (const parameter of ['showFields', 'hideFields', 'wrapFields', 'propsMeta']) {
          const res = await server.request('GET', `${col(type.id)}?${parameter}=title,nope`, as);
          expectError(res, 400, 'UNKNOWN_FIELD');
          expect(res.body.message, parameter).to.contain('nope');
        }
        expectError(await server.request('GET', `${col(type.id, `/${item.id}`)}?showFields=nope`, as), 400, 'UNKNOWN_FIELD');
      });
    });
  });

  describe("when the tenant's multiValueShape is 'string'", () => {
    let tenant: TestTenant;
    let type: ItemTypeBody;
    let as: As;
    let items: Record<string, any>[];
    before(async () => {
      tenant = await aTenant(server, { settings: { multiValueShape: 'string' } });
      const admin = { key: tenant.admin.key, host: tenant.host };
      type = await aType(
        server,
        [
          { systemName: 'title', kind: 'string' },
          { systemName: 'labels', name: 'Labels', kind: 'string', multiple: true },
          { systemName: 'sizes', kind: 'integer', multiple: true },
        ],
        admin,
      );
      const user = await aUserWithGrants(server, allGrants(type.id), admin);
      as = { key: user.key, host: tenant.host };
      items = [await anItem(server, type.id, { title: 'x', labels: ['web', 'q3'], sizes: [1, 20] }, as), await anItem(server, type.id, { title: 'y' }, as)];
    });

    it('returns multi values comma-joined, and null when there are none', async () => {
      expect(items[0]).to.include({ labels: 'web,q3', sizes: '1,20' });
      expect(items[1]).to.include({ labels: null, sizes: null });
      const listed = await server.request('GET', col(type.id), as);
      expect(listed.body.data.map((i: { labels: unknown }) => i.labels)).to.deep.equal(['web,q3', null]);
      const one = await server.request('GET', col(type.id, `/${items[0].id}`), as);
      expect(one.body).to.include({ labels: 'web,q3', sizes: '1,20' });
      const wrapped = await server.request('GET', `${col(type.id, `/${items[0].id}`)}?wrapFields=labels`, as);
      expect(wrapped.body.labels).to.deep.equal({ value: 'web,q3', name: 'Labels', kind: 'string' });
    });

    it('still takes arrays as input', async () => {
      const patched = await server.request('PATCH', col(type.id, `/${items[1].id}`), { ...as, body: { 'labels+=': ['a', 'b'] } });
      expect(patched.status).to.equal(200);
      expect(patched.body.labels).to.equal('a,b');
    });

    it("leaves the root tenant's array shape alone", async () => {
      const created = await anItem(server, task.id, { title: 'array shape', labels: ['a', 'b'] }, w);
      expect(created.labels).to.deep.equal(['a', 'b']);
    });
  });

  // ------------------------------------------------------------------ single reads

  describe('GET /collection/{collection}/{item}', () => {
    let item: Record<string, any>;
    before(async () => {
      item = await anItem(server, task.id, { title: 'single read', labels: ['x'] }, w);
    });

    it('answers 200 with the item by id, and the same by UUID', async () => {
      const byId = await server.request('GET', col(task.id, `/${item.id}`), w);
      expect(byId.status).to.equal(200);
      expect(byId.body).to.deep.equal(item);
      const byUuid = await server.request('GET', col(task.systemName, `/${item.uuid}`), w);
      expect(byUuid.status).to.equal(200);
      expect(byUuid.body).to.deep.equal(item);
    });

    describe('when the item does not exist', () => {
      it('answers 404 NOT_FOUND for an unknown id, an unknown UUID and a non-id', async () => {
        for (const missing of ['987654', randomUUID(), 'not-an-id', '0']) {
          expectError(await server.request('GET', col(task.id, `/${missing}`), w), 404, 'NOT_FOUND');
        }
      });
    });

    describe('when the id belongs to an item of another type', () => {
      it('answers 404 NOT_FOUND by id and by UUID', async () => {
        const someone = await anItem(server, person.id, { name: 'Other type' }, w);
        expectError(await server.request('GET', col(task.id, `/${someone.id}`), w), 404, 'NOT_FOUND');
        expectError(await server.request('GET', col(task.id, `/${someone.uuid}`), w), 404, 'NOT_FOUND');
      });
    });
  });

  describe('GET /collection/{collection}/get-by/{property}/{item}', () => {
    let type: ItemTypeBody;
    let as: As;
    let items: Record<string, any>[];
    before(async () => {
      type = await aType(server, [
        { systemName: 'title', kind: 'string' },
        { systemName: 'rank', kind: 'integer' },
        { systemName: 'labels', kind: 'string', multiple: true },
      ]);
      as = { key: (await aUserWithGrants(server, allGrants(type.id))).key };
      items = [
        await anItem(server, type.id, { title: 'same', rank: 7, labels: ['red', 'blue'] }, as),
        await anItem(server, type.id, { title: 'same', rank: 8, labels: ['green'] }, as),
        await anItem(server, type.id, { title: 'a b/c', rank: 9 }, as),
      ];
    });

    it('answers the lowest-id item whose string property equals the value', async () => {
      const res = await server.request('GET', col(type.id, '/get-by/title/same'), as);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(items[0]);
      const encoded = await server.request('GET', col(type.systemName, `/get-by/title/${encodeURIComponent('a b/c')}`), as);
      expect(encoded.status).to.equal(200);
      expect(encoded.body.id).to.equal(items[2].id);
    });

    it('matches integer properties from the path text', async () => {
      const res = await server.request('GET', col(type.id, '/get-by/rank/8'), as);
      expect(res.status).to.equal(200);
      expect(res.body.id).to.equal(items[1].id);
    });

    it('matches any value of a multi-value property', async () => {
      const res = await server.request('GET', col(type.id, '/get-by/labels/blue'), as);
      expect(res.status).to.equal(200);
      expect(res.body.id).to.equal(items[0].id);
    });

    it('matches id and uuid', async () => {
      expect((await server.request('GET', col(type.id, `/get-by/id/${items[1].id}`), as)).body.id).to.equal(items[1].id);
      expect((await server.request('GET', col(type.id, `/get-by/uuid/${items[2].uuid}`), as)).body.id).to.equal(items[2].id);
    });

    describe('when no item has the value', () => {
      it('answers 404 NOT_FOUND', async () => {
        expectError(await server.request('GET', col(type.id, '/get-by/title/nobody'), as), 404, 'NOT_FOUND');
        expectError(await server.request('GET', col(type.id, '/get-by/rank/12345'), as), 404, 'NOT_FOUND');
      });
    });

    describe('when the property does not exist', () => {
      it('answers 400 UNKNOWN_FIELD', async () => {
        expectError(await server.request('GET', col(type.id, '/get-by/nope/x'), as), 400, 'UNKNOWN_FIELD');
      });
    });

    describe('when the value cannot be a value of the property', () => {
      it('answers a 400 with a code, not 500', async () => {
        const res = await server.request('GET', col(type.id, '/get-by/rank/not-a-number'), as);
        expect(res.status).to.equal(400);
        expect(res.body.code).to.match(/^[A-Z_]+$/);
      });
    });
  });

  // ------------------------------------------------------------------ writes

  describe('POST /collection/{collection}', () => {
    it('answers 201 with the created item in output form, defaults applied', async () => {
      const owner = await anItem(server, person.id, { name: 'Owner' }, w);
      const before = Date.now();
      const res = await server.request('POST', col(task.systemName), {
        ...w,
        body: {
          title: 'Every kind',
          body: 'long text',
          count: 3,
          score: 2.5,
          due: '2024-05-01T10:00:00Z',
          day: '2024-02-29',
          month: '2024-11',
          labels: ['a', 'b'],
          code: `code-${randomUUID()}`,
          owner: owner.id,
          watchers: [owner.id],
        },
      });
      expect(res.status).to.equal(201);
      const item = res.body;
      expect(Object.keys(item)).to.deep.equal([...SYSTEM_KEYS, ...task.properties.map((p) => p.systemName)]);
      expect(item).to.include({ title: 'Every kind', body: 'long text', count: 3, score: 2.5, done: false, day: '2024-02-29', month: '2024-11', status: 'open', owner: owner.id });
      expect(item.labels).to.deep.equal(['a', 'b']);
      expect(item.watchers).to.deep.equal([owner.id]);
      expect(Date.parse(item.due)).to.equal(Date.parse('2024-05-01T10:00:00Z'));
      expect(item.due).to.match(INSTANT);
      expect(item.id).to.be.a('number');
      expect(item.uuid).to.match(UUID);
      expect(item.created_by).to.equal(writer.id);
      expect(item.updated_by).to.equal(writer.id);
      expect(item.created_on).to.match(INSTANT);
      expect(Date.parse(item.created_on)).to.be.within(before - 2000, Date.now() + 2000);
      expect(item.updated_on).to.equal(item.created_on);
      const read = await server.request('GET', col(task.id, `/${item.id}`), w);
      expect(read.body).to.deep.equal(item);
    });

    it('returns null for properties not sent and without a default, [] for multi values', async () => {
      const item = await anItem(server, task.id, { title: 'Minimal' }, w);
      expect(item).to.include({ body: null, count: null, score: null, done: false, due: null, day: null, month: null, status: 'open', code: null, owner: null });
      expect(item.labels).to.deep.equal([]);
      expect(item.watchers).to.deep.equal([]);
    });

    it('ignores id, uuid and the other system fields in the body', async () => {
      const uuid = randomUUID();
      const res = await server.request('POST', col(task.id), {
        ...w,
        body: { id: 424242, uuid, created_by: 999, updated_by: 999, created_on: '2000-01-01T00:00:00Z', updated_on: '2000-01-01T00:00:00Z', title: 'Ignored ids' },
      });
      expect(res.status).to.equal(201);
      expect(res.body.id).to.not.equal(424242);
      expect(res.body.uuid).to.not.equal(uuid);
      expect(res.body.uuid).to.match(UUID);
      expect(res.body.created_by).to.equal(writer.id);
      expect(res.body.updated_by).to.equal(writer.id);
      expect(res.body.created_on.startsWith('2000')).to.equal(false);
      expectError(await server.request('GET', col(task.id, `/${uuid}`), w), 404, 'NOT_FOUND');
    });

    it('adds the item to the list', async () => {
      const before = await countOf(server, task.id, w);
      await anItem(server, task.id, { title: 'Counted' }, w);
      expect(await countOf(server, task.id, w)).to.equal(before + 1);
    });
  });

  describe('PUT /collection/{collection}/{item}', () => {
    it('replaces the item: omitted properties are cleared or get their default', async () => {
      const editor = await aUserWithGrants(server, [{ typeId: task.id, show: true, edit: true }]);
      const item = await anItem(server, task.id, { title: 'Before', body: 'text', count: 4, done: true, status: 'done', labels: ['a'], day: '2024-01-01' }, w);
      const res = await server.request('PUT', col(task.id, `/${item.id}`), { key: editor.key, body: { title: 'After', count: 5 } });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: item.id, uuid: item.uuid, title: 'After', count: 5, body: null, day: null, done: false, status: 'open', created_by: writer.id, updated_by: editor.id });
      expect(res.body.labels).to.deep.equal([]);
      expect(res.body.created_on).to.equal(item.created_on);
      expect(Date.parse(res.body.updated_on)).to.be.at.least(Date.parse(item.updated_on));
      const read = await server.request('GET', col(task.id, `/${item.uuid}`), w);
      expect(read.body).to.deep.equal(res.body);
    });

    it('clears a defaulted property sent as null', async () => {
      const item = await anItem(server, task.id, { title: 'Null status' }, w);
      const res = await server.request('PUT', col(task.id, `/${item.id}`), { ...w, body: { title: 'Null status', status: null } });
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal(null);
    });

    it('ignores id and uuid in the body and accepts the UUID in the path', async () => {
      const item = await anItem(server, task.id, { title: 'By uuid' }, w);
      const res = await server.request('PUT', col(task.id, `/${item.uuid}`), { ...w, body: { id: 1, uuid: randomUUID(), title: 'Replaced' } });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: item.id, uuid: item.uuid, title: 'Replaced' });
    });

    describe('when a required property is left out', () => {
      it('answers 400 VALIDATION_FAILED naming it and changes nothing', async () => {
        const item = await anItem(server, task.id, { title: 'Keep me', count: 1 }, w);
        const res = await server.request('PUT', col(task.id, `/${item.id}`), { ...w, body: { count: 2 } });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(paths(res)).to.deep.equal(['body.title']);
        expect((await server.request('GET', col(task.id, `/${item.id}`), w)).body).to.deep.equal(item);
      });
    });

    describe('when the item does not exist', () => {
      it('answers 404 NOT_FOUND', async () => {
        expectError(await server.request('PUT', col(task.id, '/987654'), { ...w, body: { title: 'x' } }), 404, 'NOT_FOUND');
      });
    });
  });

  describe('PATCH /collection/{collection}/{item}', () => {
    const patch = (id: number, body: unknown) => server.request('PATCH', col(task.id, `/${id}`), { ...w, body });

    it('replaces only the properties sent', async () => {
      const item = await anItem(server, task.id, { title: 'Patch me', count: 1, labels: ['a'], status: 'done' }, w);
      const res = await patch(item.id, { count: 2 });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...item, count: 2, updated_on: res.body.updated_on });
    });

    it('clears a property sent as null', async () => {
      const item = await anItem(server, task.id, { title: 'Clear', count: 1, labels: ['a'] }, w);
      const res = await patch(item.id, { count: null, labels: null });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ count: null });
      expect(res.body.labels).to.deep.equal([]);
    });

    it('field+= appends to strings and texts, adds to integers and numbers, merges arrays', async () => {
      const item = await anItem(server, task.id, { title: 'Launch', body: 'a', count: 5, score: 1.5, labels: ['a', 'b'] }, w);
      const res = await patch(item.id, { 'title+=': ' (copy)', 'body+=': 'b', 'count+=': -7, 'score+=': 0.25, 'labels+=': ['b', 'c'] });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ title: 'Launch (copy)', body: 'ab', count: -2, score: 1.75 });
      expect(res.body.labels).to.deep.equal(['a', 'b', 'b', 'c']);
    });

    it('field+= starts from nothing when the item has no value', async () => {
      const item = await anItem(server, task.id, { title: 'Empty' }, w);
      const res = await patch(item.id, { 'body+=': 'x', 'count+=': 3, 'labels+=': ['z'] });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ body: 'x', count: 3 });
      expect(res.body.labels).to.deep.equal(['z']);
    });

    it('field+== adds only the values the array does not hold yet', async () => {
      const item = await anItem(server, task.id, { title: 'Labels', labels: ['a', 'b'] }, w);
      const res = await patch(item.id, { 'labels+==': ['b', 'c', 'c', 'a', 'd'] });
      expect(res.status).to.equal(200);
      expect(res.body.labels).to.deep.equal(['a', 'b', 'c', 'd']);
    });

    it('records the acting user as updated_by, created_by unchanged', async () => {
      // With show: a writer without it is answered only id and uuid.
      const editor = await aUserWithGrants(server, [{ typeId: task.id, show: true, edit: true }]);
      const item = await anItem(server, task.id, { title: 'Who' }, w);
      const res = await server.request('PATCH', col(task.id, `/${item.uuid}`), { key: editor.key, body: { count: 1 } });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ created_by: writer.id, updated_by: editor.id });
    });

    describe('when an additive operator does not apply to the property', () => {
      it('answers 400 VALIDATION_FAILED naming the key', async () => {
        const item = await anItem(server, task.id, { title: 'No ops' }, w);
        for (const body of [{ 'done+=': true }, { 'title+==': 'x' }, { 'status+=': 'done' }, { 'labels+=': 'not-an-array' }, { 'count+=': 'one' }]) {
          const res = await patch(item.id, body);
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res), JSON.stringify(body)).to.include(`body.${Object.keys(body)[0]}`);
        }
        expect((await server.request('GET', col(task.id, `/${item.id}`), w)).body).to.deep.equal(item);
      });
    });

    describe('when field+= makes a string longer than the kind allows', () => {
      it('answers 400 VALIDATION_FAILED and changes nothing', async () => {
        const item = await anItem(server, task.id, { title: 'x'.repeat(400) }, w);
        const res = await patch(item.id, { 'title+=': 'y'.repeat(200) });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(paths(res)).to.include('body.title');
        expect((await server.request('GET', col(task.id, `/${item.id}`), w)).body.title).to.have.length(400);
      });
    });

    describe('when a required property is set to null', () => {
      it('answers 400 VALIDATION_FAILED naming it', async () => {
        const item = await anItem(server, task.id, { title: 'Required' }, w);
        const res = await patch(item.id, { title: null });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(paths(res)).to.deep.equal(['body.title']);
      });
    });

    describe('when the item does not exist', () => {
      it('answers 404 NOT_FOUND', async () => {
        expectError(await patch(987654, { count: 1 }), 404, 'NOT_FOUND');
      });
    });
  });

  describe('DELETE /collection/{collection}/{item}', () => {
    it('answers 204 with an empty body; the item is gone from reads and the list', async () => {
      const item = await anItem(server, task.id, { title: 'Doomed' }, w);
      const before = await countOf(server, task.id, w);
      const res = await server.request('DELETE', col(task.id, `/${item.id}`), w);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expectError(await server.request('GET', col(task.id, `/${item.id}`), w), 404, 'NOT_FOUND');
      expectError(await server.request('GET', col(task.id, `/${item.uuid}`), w), 404, 'NOT_FOUND');
      expect(await countOf(server, task.id, w)).to.equal(before - 1);
      expectError(await server.request('DELETE', col(task.id, `/${item.id}`), w), 404, 'NOT_FOUND');
    });

    it('deletes by UUID and by system name', async () => {
      const item = await anItem(server, task.id, { title: 'Doomed by uuid' }, w);
      expect((await server.request('DELETE', col(task.systemName, `/${item.uuid}`), w)).status).to.equal(204);
      expectError(await server.request('GET', col(task.id, `/${item.id}`), w), 404, 'NOT_FOUND');
    });

    it('frees the values of unique properties', async () => {
      const code = `free-${randomUUID()}`;
      const item = await anItem(server, task.id, { title: 'Unique holder', code }, w);
      expect((await server.request('DELETE', col(task.id, `/${item.id}`), w)).status).to.equal(204);
      await anItem(server, task.id, { title: 'New holder', code }, w);
    });
  });

  describe('/collection/{collection}/{item}/relation/{relationType}/{relationRole}', () => {
    it('answers 501 NOT_IMPLEMENTED for GET, POST and DELETE', async () => {
      const item = await anItem(server, task.id, { title: 'Related' }, w);
      for (const method of ['GET', 'POST', 'DELETE']) {
        expectError(await server.request(method, col(task.id, `/${item.id}/relation/parent/child`), w), 501, 'NOT_IMPLEMENTED');
      }
    });
  });

  // ------------------------------------------------------------------ validation

  describe('when a write body is invalid', () => {
    const create = (body: unknown) => server.request('POST', col(task.id), { ...w, body });

    it('answers 400 VALIDATION_FAILED naming every failing field at once', async () => {
      const before = await countOf(server, task.id, w);
      const res = await create({
        body: 5,
        count: 'x',
        score: 'NaN',
        done: 'yes',
        due: 'tomorrow',
        status: 'nope',
        labels: 'a',
        owner: 'abc',
        watchers: [1, 'two'],
        nope: 1,
        other: 'x',
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(paths(res)).to.have.members([
        'body.title', 'body.body', 'body.count', 'body.score', 'body.done', 'body.due', 'body.status', 'body.labels', 'body.owner', 'body.watchers', 'body.nope', 'body.other',
      ]);
      const byPath = Object.fromEntries((res.body.details as { path: string; message: string }[]).map((d) => [d.path, d.message]));
      expect(byPath['body.title']).to.equal('is required');
      expect(byPath['body.nope']).to.equal('is not a property of this type');
      expect(await countOf(server, task.id, w)).to.equal(before);
    });

    it('names impossible calendar values together with the other failing fields', async () => {
      const res = await create({ title: 'Dates', count: 'x', day: '2024-02-30', month: '2024-13', due: '2024-99-99T10:00:00Z' });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(paths(res)).to.include.members(['body.count', 'body.day', 'body.month', 'body.due']);
    });

    it('names impossible calendar values on their own', async () => {
      const res = await create({ title: 'Dates', day: '2023-02-29', month: '2024-00' });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(paths(res)).to.have.members(['body.day', 'body.month']);
    });

    it('answers 400 for values out of range: too long strings, unsafe integers, non-positive references', async () => {
      for (const [body, path] of [
        [{ title: 'x'.repeat(501) }, 'body.title'],
        [{ title: 'x', count: 2 ** 60 }, 'body.count'],
        [{ title: 'x', count: 1.5 }, 'body.count'],
        [{ title: 'x', owner: 0 }, 'body.owner'],
        [{ title: 'x', watchers: [-1] }, 'body.watchers'],
      ] as [Record<string, unknown>, string][]) {
        const res = await create(body);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(paths(res).map((p) => String(p).replace(/\[\d+\]$/, '')), JSON.stringify(body).slice(0, 80)).to.deep.equal([path]);
      }
    });

    it('names a bad enum value with the allowed ones', async () => {
      const res = await create({ title: 'Enum', status: 'closed' });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(paths(res)).to.deep.equal(['body.status']);
    });

    it('answers 400 for a body that is not an object', async () => {
      for (const body of [[{ title: 'x' }], '"just a string"', '42', 'null']) {
        const res = await create(body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.be.oneOf(['VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_BODY']);
      }
    });

    it('answers 400 INVALID_JSON for a body that is not JSON', async () => {
      expectError(await create('{"title": "x",'), 400, 'INVALID_JSON');
      expectError(await server.request('PATCH', col(task.id, '/1'), { ...w, body: '{nope' }), 400, 'INVALID_JSON');
    });

    it('answers 400 on PUT and PATCH the same way, and changes nothing', async () => {
      const item = await anItem(server, task.id, { title: 'Unchanged', count: 1 }, w);
      const put = await server.request('PUT', col(task.id, `/${item.id}`), { ...w, body: { title: 'x', count: 'two', nope: 1 } });
      expectError(put, 400, 'VALIDATION_FAILED');
      expect(paths(put)).to.have.members(['body.count', 'body.nope']);
      const patched = await server.request('PATCH', col(task.id, `/${item.id}`), { ...w, body: { count: 'two', done: 3 } });
      expectError(patched, 400, 'VALIDATION_FAILED');
      expect(paths(patched)).to.have.members(['body.count', 'body.done']);
      expect((await server.request('GET', col(task.id, `/${item.id}`), w)).body).to.deep.equal(item);
    });
  });

  describe('unique properties', () => {
    it('answers 409 UNIQUE_VIOLATION naming the property on create, and creates nothing', async () => {
      const code = `u-${randomUUID()}`;
      await anItem(server, task.id, { title: 'First', code }, w);
      const before = await countOf(server, task.id, w);
      const res = await server.request('POST', col(task.id), { ...w, body: { title: 'Second', code } });
      expectError(res, 409, 'UNIQUE_VIOLATION');
      expect(res.body.message).to.contain('"code"');
      expect(await countOf(server, task.id, w)).to.equal(before);
    });

    it('answers 409 UNIQUE_VIOLATION on PATCH and PUT, and changes nothing', async () => {
      const code = `u-${randomUUID()}`;
      await anItem(server, task.id, { title: 'Holder', code }, w);
      const other = await anItem(server, task.id, { title: 'Other', code: `other-${randomUUID()}` }, w);
      expectError(await server.request('PATCH', col(task.id, `/${other.id}`), { ...w, body: { code, count: 9 } }), 409, 'UNIQUE_VIOLATION');
      expectError(await server.request('PUT', col(task.id, `/${other.id}`), { ...w, body: { title: 'Other', code } }), 409, 'UNIQUE_VIOLATION');
      expect((await server.request('GET', col(task.id, `/${other.id}`), w)).body).to.deep.equal(other);
    });

    it('lets an item keep its own value', async () => {
      const code = `u-${randomUUID()}`;
      const item = await anItem(server, task.id, { title: 'Mine', code }, w);
      const res = await server.request('PUT', col(task.id, `/${item.id}`), { ...w, body: { title: 'Still mine', code } });
      expect(res.status).to.equal(200);
      expect(res.body.code).to.equal(code);
    });

    it('compares values exactly: other case and other spacing are different values', async () => {
      const code = `Case-${randomUUID()}`;
      await anItem(server, task.id, { title: 'Case', code }, w);
      await anItem(server, task.id, { title: 'Case 2', code: code.toLowerCase() }, w);
      await anItem(server, task.id, { title: 'Case 3', code: ` ${code}` }, w);
    });

    describe('when several creates race for the same value', () => {
      it('creates exactly one; the others answer 409 UNIQUE_VIOLATION', async () => {
        const code = `race-${randomUUID()}`;
        const before = await countOf(server, task.id, w);
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, n) => server.request('POST', col(task.id), { ...w, body: { title: `Racer ${n}`, code } })),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses, JSON.stringify(results.map((r) => r.body))).to.deep.equal([201, 409, 409, 409, 409, 409]);
        for (const res of results.filter((r) => r.status === 409)) expect(res.body.code).to.equal('UNIQUE_VIOLATION');
        expect(await countOf(server, task.id, w)).to.equal(before + 1);
      });
    });
  });

  // ------------------------------------------------------------------ references

  describe('reference properties', () => {
    it('answers 400 REFERENCE_NOT_FOUND naming the property for a missing item, and creates nothing', async () => {
      const before = await countOf(server, task.id, w);
      const res = await server.request('POST', col(task.id), { ...w, body: { title: 'Dangling', owner: 987654 } });
      expectError(res, 400, 'REFERENCE_NOT_FOUND');
      expect(res.body.message).to.contain('"owner"').and.contain('987654');
      const multi = await server.request('POST', col(task.id), { ...w, body: { title: 'Dangling', watchers: [987655] } });
      expectError(multi, 400, 'REFERENCE_NOT_FOUND');
      expect(multi.body.message).to.contain('"watchers"');
      expect(await countOf(server, task.id, w)).to.equal(before);
    });

    it('answers 400 REFERENCE_NOT_FOUND for an existing item of another type', async () => {
      const notAPerson = await anItem(server, task.id, { title: 'Not a person' }, w);
      const res = await server.request('POST', col(task.id), { ...w, body: { title: 'Wrong type', owner: notAPerson.id } });
      expectError(res, 400, 'REFERENCE_NOT_FOUND');
    });

    it('answers 400 REFERENCE_NOT_FOUND on PATCH and leaves the item unchanged', async () => {
      const owner = await anItem(server, person.id, { name: 'Real' }, w);
      const item = await anItem(server, task.id, { title: 'Owned', owner: owner.id }, w);
      expectError(await server.request('PATCH', col(task.id, `/${item.id}`), { ...w, body: { owner: 987654, count: 5 } }), 400, 'REFERENCE_NOT_FOUND');
      expect((await server.request('GET', col(task.id, `/${item.id}`), w)).body).to.deep.equal(item);
    });

    describe('DELETE of a referenced item', () => {
      let comment: ItemTypeBody;
      let all: As;
      before(async () => {
        comment = await aType(server, [
          { systemName: 'text', kind: 'string' },
          { systemName: 'task', kind: 'reference', referenceType: task.id },
        ]);
        all = { key: (await aUserWithGrants(server, allGrants(person.id, task.id, comment.id))).key };
      });

      it('clears the references by default: single values become null, multi values drop the id', async () => {
        const [gone, kept] = [await anItem(server, person.id, { name: 'Gone' }, all), await anItem(server, person.id, { name: 'Kept' }, all)];
        const referencing = await anItem(server, task.id, { title: 'Refers', owner: gone.id, watchers: [kept.id, gone.id] }, all);
        const res = await server.request('DELETE', col(person.id, `/${gone.id}`), all);
        expect(res.status).to.equal(204);
        const after = await server.request('GET', col(task.id, `/${referencing.id}`), all);
        expect(after.status).to.equal(200);
        expect(after.body.owner).to.equal(null);
        expect(after.body.watchers).to.deep.equal([kept.id]);
        expect(after.body.title).to.equal('Refers');
        const filtered = await server.request('SEARCH', col(task.id), { ...all, body: { filters: [{ property: 'owner', type: 'eq', param: gone.id }] } });
        expect(filtered.status).to.equal(204);
      });

      it('strict=true answers 409 STILL_REFERENCED and deletes nothing', async () => {
        const target = await anItem(server, person.id, { name: 'Strict' }, all);
        const referencing = await anItem(server, task.id, { title: 'Strictly refers', owner: target.id }, all);
        const res = await server.request('DELETE', `${col(person.id, `/${target.id}`)}?strict=true`, all);
        expectError(res, 409, 'STILL_REFERENCED');
        expect((await server.request('GET', col(person.id, `/${target.id}`), all)).status).to.equal(200);
        expect((await server.request('GET', col(task.id, `/${referencing.id}`), all)).body).to.deep.equal(referencing);
      });

      it('strict=true deletes an item nobody references', async () => {
        const target = await anItem(server, person.id, { name: 'Lonely' }, all);
        expect((await server.request('DELETE', `${col(person.id, `/${target.id}`)}?strict=true`, all)).status).to.equal(204);
      });

      it('cascade=true deletes the referencing items, transitively', async () => {
        const target = await anItem(server, person.id, { name: 'Root' }, all);
        const bystander = await anItem(server, person.id, { name: 'Bystander' }, all);
        const owned = await anItem(server, task.id, { title: 'Owned by root', owner: target.id }, all);
        const watched = await anItem(server, task.id, { title: 'Watched by root', watchers: [bystander.id, target.id] }, all);
        const unrelated = await anItem(server, task.id, { title: 'Unrelated', owner: bystander.id }, all);
        const note = await anItem(server, comment.id, { text: 'On owned', task: owned.id }, all);
        const res = await server.request('DELETE', `${col(person.id, `/${target.id}`)}?cascade=true`, all);
        expect(res.status).to.equal(204);
        for (const [type, id] of [[person.id, target.id], [task.id, owned.id], [task.id, watched.id], [comment.id, note.id]]) {
          expectError(await server.request('GET', col(type, `/${id}`), all), 404, 'NOT_FOUND');
        }
        expect((await server.request('GET', col(task.id, `/${unrelated.id}`), all)).body).to.deep.equal(unrelated);
        expect((await server.request('GET', col(person.id, `/${bystander.id}`), all)).status).to.equal(200);
      });

      it('strict=true wins over cascade=true', async () => {
        const target = await anItem(server, person.id, { name: 'Both' }, all);
        await anItem(server, task.id, { title: 'Refers both', owner: target.id }, all);
        expectError(await server.request('DELETE', `${col(person.id, `/${target.id}`)}?strict=true&cascade=true`, all), 409, 'STILL_REFERENCED');
      });

      describe('when the caller may not delete the referencing items', () => {
        it('answers 403 PERMISSION_DENIED for cascade=true and deletes nothing', async () => {
          const limited = await aUserWithGrants(server, [{ typeId: person.id, show: true, create: true, delete: true }, { typeId: task.id, show: true, create: true }]);
          const target = await anItem(server, person.id, { name: 'Protected' }, all);
          const referencing = await anItem(server, task.id, { title: 'Protected ref', owner: target.id }, all);
          const res = await server.request('DELETE', `${col(person.id, `/${target.id}`)}?cascade=true`, { key: limited.key });
          expectError(res, 403, 'PERMISSION_DENIED');
          expect((await server.request('GET', col(person.id, `/${target.id}`), all)).status).to.equal(200);
          expect((await server.request('GET', col(task.id, `/${referencing.id}`), all)).body).to.deep.equal(referencing);
        });
      });

      describe('when strict or cascade is not a boolean', () => {
        it('answers 400 VALIDATION_FAILED', async () => {
          const target = await anItem(server, person.id, { name: 'Bad flag' }, all);
          expectError(await server.request('DELETE', `${col(person.id, `/${target.id}`)}?strict=maybe`, all), 400, 'VALIDATION_FAILED');
          expectError(await server.request('DELETE', `${col(person.id, `/${target.id}`)}?cascade=2`, all), 400, 'VALIDATION_FAILED');
          expect((await server.request('GET', col(person.id, `/${target.id}`), all)).status).to.equal(200);
        });
      });
    });

    it('a self-referencing type resolves references to its own items', async () => {
      const name = systemName('tree');
      const created = await aType(server, [{ systemName: 'label', kind: 'string' }, { systemName: 'parent', kind: 'reference', referenceType: name }], { systemName: name });
      const as = { key: (await aUserWithGrants(server, allGrants(created.id))).key };
      const root = await anItem(server, name, { label: 'root' }, as);
      const child = await anItem(server, name, { label: 'child', parent: root.id }, as);
      expect(child.parent).to.equal(root.id);
      expect((await server.request('DELETE', `${col(name, `/${root.id}`)}?strict=true`, as)).status).to.equal(409);
      expect((await server.request('DELETE', `${col(name, `/${root.id}`)}?cascade=true`, as)).status).to.equal(204);
      expectError(await server.request('GET', col(name, `/${child.id}`), as), 404, 'NOT_FOUND');
    });
  });

  // ------------------------------------------------------------------ permissions

  describe('per-type permissions', () => {
    let type: ItemTypeBody;
    let item: Record<string, any>;
    const users: Record<'none' | 'show' | 'create' | 'edit' | 'delete', TestUser> = {} as never;
    before(async () => {
      type = await aType(server, [{ systemName: 'title', kind: 'string' }]);
      users.none = await aUserWithGrants(server, []);
      for (const action of ['show', 'create', 'edit', 'delete'] as const) {
        users[action] = await aUserWithGrants(server, [{ typeId: type.id, [action]: true }]);
      }
      const owner = await aUserWithGrants(server, allGrants(type.id));
      item = await anItem(server, type.id, { title: 'Guarded' }, { key: owner.key });
    });
    const as = (who: keyof typeof users) => ({ key: users[who].key });

    describe('show', () => {
      const reads = () => [
        ['GET', col(type.id)],
        ['SEARCH', col(type.id)],
        ['POST', col(type.id, '/search')],
        ['GET', col(type.id, `/${item.id}`)],
        ['GET', col(type.systemName, `/${item.uuid}`)],
        ['GET', col(type.id, '/get-by/title/Guarded')],
      ];

      it('answers 403 PERMISSION_DENIED on every read for a user without show', async () => {
        for (const who of ['none', 'create', 'edit', 'delete'] as const) {
          for (const [method, path] of reads()) {
            const res = await server.request(method, path, { ...as(who), body: method === 'GET' ? undefined : {} });
            expectDenied(res, who === 'none');
            if (who !== 'none') expect(res.body.message, `${who} ${method} ${path}`).to.contain('show');
          }
        }
      });

      it('answers 200 on every read for a user with show', async () => {
        for (const [method, path] of reads()) {
          const res = await server.request(method, path, { ...as('show'), body: method === 'GET' ? undefined : {} });
          expect(res.status, `${method} ${path}`).to.equal(200);
        }
      });
    });

    describe('create', () => {
      it('answers 403 PERMISSION_DENIED without create and creates nothing', async () => {
        for (const who of ['none', 'show', 'edit', 'delete'] as const) {
          expectDenied(await server.request('POST', col(type.id), { ...as(who), body: { title: `by ${who}` } }), who === 'none');
        }
        const listed = await server.request('GET', col(type.id), as('show'));
        expect(listed.body.stats.total).to.equal(1);
      });

      it('answers 201 with create (only id and uuid without show)', async () => {
        const res = await server.request('POST', col(type.id), { ...as('create'), body: { title: 'by create' } });
        expect(res.status).to.equal(201);
        expect(Object.keys(res.body).sort()).to.deep.equal(['id', 'uuid']);
        expect((await server.request('GET', col(type.id, `/${res.body.id}`), as('show'))).body.created_by).to.equal(users.create.id);
        expect((await server.request('DELETE', col(type.id, `/${res.body.id}`), as('delete'))).status).to.equal(204);
      });
    });

    describe('edit', () => {
      it('answers 403 PERMISSION_DENIED on PUT and PATCH without edit, and changes nothing', async () => {
        for (const who of ['none', 'show', 'create', 'delete'] as const) {
          expectDenied(await server.request('PUT', col(type.id, `/${item.id}`), { ...as(who), body: { title: 'x' } }), who === 'none');
          expectDenied(await server.request('PATCH', col(type.id, `/${item.id}`), { ...as(who), body: { title: 'x' } }), who === 'none');
        }
        expect((await server.request('GET', col(type.id, `/${item.id}`), as('show'))).body.title).to.equal('Guarded');
      });

      it('answers 200 on PUT and PATCH with edit', async () => {
        expect((await server.request('PATCH', col(type.id, `/${item.id}`), { ...as('edit'), body: { 'title+=': '!' } })).status).to.equal(200);
        expect((await server.request('PUT', col(type.id, `/${item.id}`), { ...as('edit'), body: { title: 'Guarded' } })).status).to.equal(200);
      });
    });

    describe('delete', () => {
      it('answers 403 PERMISSION_DENIED without delete, and deletes nothing', async () => {
        for (const who of ['none', 'show', 'create', 'edit'] as const) {
          expectDenied(await server.request('DELETE', col(type.id, `/${item.id}`), as(who)), who === 'none');
        }
        expect((await server.request('GET', col(type.id, `/${item.id}`), as('show'))).status).to.equal(200);
      });

      it('answers 204 with delete', async () => {
        const doomed = await anItem(server, type.id, { title: 'Doomed' }, as('create'));
        expect((await server.request('DELETE', col(type.id, `/${doomed.id}`), as('delete'))).status).to.equal(204);
      });
    });

    describe('when the user holds grants on type B but none on type A', () => {
      it('answers 404 on A, as for an unknown type, and 200 on B', async () => {
        const b = await aType(server, [{ systemName: 'title', kind: 'string' }]);
        const onlyB = await aUserWithGrants(server, allGrants(b.id));
        const bItem = await anItem(server, b.id, { title: 'B item' }, { key: onlyB.key });
        expect((await server.request('GET', col(b.id), { key: onlyB.key })).status).to.equal(200);
        for (const [method, path, body] of [
          ['GET', col(type.id)],
          ['GET', col(type.id, `/${item.id}`)],
          ['POST', col(type.id), { title: 'x' }],
          ['PATCH', col(type.id, `/${item.id}`), { title: 'x' }],
          ['DELETE', col(type.id, `/${item.id}`)],
        ] as [string, string, unknown?][]) {
          expectError(await server.request(method, path, { key: onlyB.key, body }), 404, 'NOT_FOUND');
        }
        // B's item id through A's collection is not found either way.
        expect((await server.request('GET', col(b.id, `/${bItem.id}`), { key: onlyB.key })).status).to.equal(200);
        expect((await server.request('GET', col(type.id, `/${bItem.id}`), as('show'))).status).to.equal(404);
      });
    });

    describe('when a grant is revoked', () => {
      it('answers 404 (the type is hidden now) on the very next request', async () => {
        const reader = await aUserWithGrants(server, [{ typeId: type.id, show: true }]);
        expect((await server.request('GET', col(type.id), { key: reader.key })).status).to.equal(200);
        const patched = await server.request('PATCH', `/api/v1/admin/roles/${reader.roleId}`, { key: server.adminKey, body: { typePermissions: [] } });
        expect(patched.status).to.equal(200);
        expectError(await server.request('GET', col(type.id), { key: reader.key }), 404, 'NOT_FOUND');
        expectError(await server.request('GET', col(type.id, `/${item.id}`), { key: reader.key }), 404, 'NOT_FOUND');
      });
    });

    describe('when useApi is removed from the role', () => {
      it('answers 403 PERMISSION_DENIED despite the type grants', async () => {
        const reader = await aUserWithGrants(server, allGrants(type.id));
        const patched = await server.request('PATCH', `/api/v1/admin/roles/${reader.roleId}`, { key: server.adminKey, body: { permissions: [] } });
        expect(patched.status).to.equal(200);
        expectError(await server.request('GET', col(type.id), { key: reader.key }), 403, 'PERMISSION_DENIED');
      });
    });

    describe('without an API key', () => {
      it('answers 403 API_KEY_MISSING on every collection route', async () => {
        for (const [method, path] of [['GET', col(type.id)], ['SEARCH', col(type.id)], ['GET', col(type.id, `/${item.id}`)], ['POST', col(type.id)], ['DELETE', col(type.id, `/${item.id}`)]]) {
          expectError(await server.request(method, path, { body: method === 'POST' ? { title: 'x' } : undefined }), 403, 'API_KEY_MISSING');
        }
      });
    });
  });

  // ------------------------------------------------------------------ isolation

  describe('tenant isolation', () => {
    let b: TestTenant;
    let aType_: ItemTypeBody;
    let aItem: Record<string, any>;
    let aAs: As;
    let bType: ItemTypeBody;
    let bItem: Record<string, any>;
    let bAs: As;
    let sharedName: string;
    let aShared: ItemTypeBody;
    let bShared: ItemTypeBody;
    let aSharedItem: Record<string, any>;
    let bSharedItem: Record<string, any>;
    before(async () => {
      b = await aTenant(server);
      const bAdmin = { key: b.admin.key, host: b.host };
      sharedName = systemName('shared');
      aType_ = await aType(server, [{ systemName: 'title', kind: 'string' }, { systemName: 'ref', kind: 'reference', referenceType: person.id }]);
      aShared = await aType(server, [{ systemName: 'title', kind: 'string' }], { systemName: sharedName });
      bType = await aType(server, [{ systemName: 'title', kind: 'string' }], bAdmin);
      bShared = await aType(server, [{ systemName: 'title', kind: 'string' }], { ...bAdmin, systemName: sharedName });
      const bPerson = await aType(server, [{ systemName: 'name', kind: 'string' }], bAdmin);
      const bRef = await aType(server, [{ systemName: 'ref', kind: 'reference', referenceType: bPerson.id }], bAdmin);
      aAs = { key: (await aUserWithGrants(server, allGrants(aType_.id, aShared.id, person.id))).key };
      const bUser = await aUserWithGrants(server, allGrants(bType.id, bShared.id, bPerson.id, bRef.id), bAdmin);
      bAs = { key: bUser.key, host: b.host };
      aItem = await anItem(server, aType_.id, { title: 'A secret' }, aAs);
      bItem = await anItem(server, bType.id, { title: 'B secret' }, bAs);
      aSharedItem = await anItem(server, sharedName, { title: 'A shared' }, aAs);
      bSharedItem = await anItem(server, sharedName, { title: 'B shared' }, bAs);
      bRefType = bRef;
    });
    let bRefType: ItemTypeBody;

    const everyRoute = (type: string | number, item: Record<string, any>): [string, string, unknown?][] => [
      ['GET', col(type)],
      ['SEARCH', col(type), {}],
      ['POST', col(type, '/search'), {}],
      ['GET', col(type, `/${item.id}`)],
      ['GET', col(type, `/${item.uuid}`)],
      ['GET', col(type, '/get-by/title/x')],
      ['POST', col(type), { title: 'intruder' }],
      ['PUT', col(type, `/${item.id}`), { title: 'intruder' }],
      ['PATCH', col(type, `/${item.id}`), { title: 'intruder' }],
      ['DELETE', col(type, `/${item.id}`)],
    ];

    it("B cannot list, read, create, change or delete in A's types by id or name (404)", async () => {
      for (const collection of [aType_.id, aType_.systemName]) {
        for (const [method, path, body] of everyRoute(collection, aItem)) {
          const res = await server.request(method, path, { ...bAs, body });
          expect(res.status, `${method} ${path}`).to.be.oneOf([403, 404]);
          expect(res.body.code).to.be.oneOf(['NOT_FOUND', 'PERMISSION_DENIED']);
        }
      }
      expect((await server.request('GET', col(aType_.id, `/${aItem.id}`), aAs)).body).to.deep.equal(aItem);
    });

    it("A cannot list, read, create, change or delete in B's types by id or name (404)", async () => {
      for (const collection of [bType.id, bType.systemName]) {
        for (const [method, path, body] of everyRoute(collection, bItem)) {
          const res = await server.request(method, path, { ...aAs, body });
          expect(res.status, `${method} ${path}`).to.be.oneOf([403, 404]);
          expect(res.body.code).to.be.oneOf(['NOT_FOUND', 'PERMISSION_DENIED']);
        }
      }
      expect((await server.request('GET', col(bType.id, `/${bItem.id}`), bAs)).body).to.deep.equal(bItem);
    });

    it('with the same type name in both tenants, each sees only its own items', async () => {
      const aList = await server.request('GET', col(sharedName), aAs);
      expect(aList.body.data.map((i: { title: string }) => i.title)).to.deep.equal(['A shared']);
      const bList = await server.request('GET', col(sharedName), bAs);
      expect(bList.body.data.map((i: { title: string }) => i.title)).to.deep.equal(['B shared']);
      // Items of the other tenant through one's own type of that name: not found, both ways.
      for (const [item, as] of [[bSharedItem, aAs], [aSharedItem, bAs]] as const) {
        for (const ref of [item.id, item.uuid]) {
          expectError(await server.request('GET', col(sharedName, `/${ref}`), as), 404, 'NOT_FOUND');
          expectError(await server.request('PATCH', col(sharedName, `/${ref}`), { ...as, body: { title: 'x' } }), 404, 'NOT_FOUND');
          expectError(await server.request('DELETE', col(sharedName, `/${ref}`), as), 404, 'NOT_FOUND');
        }
        expectError(await server.request('GET', col(sharedName, `/get-by/id/${item.id}`), as), 404, 'NOT_FOUND');
      }
      expect((await server.request('GET', col(sharedName, `/${aSharedItem.id}`), aAs)).body).to.deep.equal(aSharedItem);
      expect((await server.request('GET', col(sharedName, `/${bSharedItem.id}`), bAs)).body).to.deep.equal(bSharedItem);
    });

    it("cannot reference the other tenant's items (400 REFERENCE_NOT_FOUND), both ways", async () => {
      const aPerson = await anItem(server, person.id, { name: 'A person' }, aAs);
      expectError(await server.request('POST', col(bRefType.id), { ...bAs, body: { ref: aPerson.id } }), 400, 'REFERENCE_NOT_FOUND');
      const bPersonItem = await anItem(server, bRefType.properties[0].referenceType!, { name: 'B person' }, bAs);
      expectError(await server.request('POST', col(aType_.id), { ...aAs, body: { title: 'x', ref: bPersonItem.id } }), 400, 'REFERENCE_NOT_FOUND');
    });

    it("a key of one tenant is refused on the other tenant's host, both ways", async () => {
      expectError(await server.request('GET', col(aType_.id), { key: bAs.key }), 403, 'API_KEY_INVALID');
      expectError(await server.request('GET', col(bType.id), { key: aAs.key, host: b.host }), 403, 'API_KEY_INVALID');
    });

    it("an operator cannot grant a role the other tenant's type", async () => {
      const res = await server.request('POST', '/api/v1/admin/roles', {
        key: b.admin.key,
        host: b.host,
        body: { name: 'greedy', permissions: ['useApi'], typePermissions: [{ typeId: aType_.id, show: true }] },
      });
      expect(res.status).to.be.oneOf([400, 404]);
      expect(res.body.code).to.be.oneOf(['VALIDATION_FAILED', 'NOT_FOUND']);
    });

    it("the read audit of one tenant holds none of the other's reads", async () => {
      const logged = await server.request('PATCH', `/api/v1/admin/types/${bType.id}`, { key: b.admin.key, host: b.host, body: { readLog: true } });
      expect(logged.status).to.equal(200);
      expect((await server.request('GET', col(bType.id, `/${bItem.id}`), bAs)).status).to.equal(200);
      const bAudit = await server.request('GET', `/api/v1/admin/read-audit?typeId=${bType.id}`, { key: b.admin.key, host: b.host });
      expect(bAudit.body.data).to.have.length(1);
      const aAudit = await server.request('GET', `/api/v1/admin/read-audit?typeId=${bType.id}`, { key: server.adminKey });
      expect(aAudit.status).to.equal(200);
      expect(aAudit.body.data).to.deep.equal([]);
    });
  });

  describe('user isolation', () => {
    it("one user's reads never answer another user who lacks the grant (no shared cached page)", async () => {
      const type = await aType(server, [{ systemName: 'title', kind: 'string' }]);
      const reader = await aUserWithGrants(server, [{ typeId: type.id, show: true, create: true }]);
      const outsider = await aUserWithGrants(server, [{ typeId: type.id, create: true }]);
      const item = await anItem(server, type.id, { title: 'Private' }, { key: reader.key });
      for (let round = 0; round < 2; round++) {
        expect((await server.request('GET', col(type.id), { key: reader.key })).status).to.equal(200);
        expect((await server.request('GET', col(type.id, `/${item.id}`), { key: reader.key })).status).to.equal(200);
        expectError(await server.request('GET', col(type.id), { key: outsider.key }), 403, 'PERMISSION_DENIED');
        expectError(await server.request('GET', col(type.id, `/${item.id}`), { key: outsider.key }), 403, 'PERMISSION_DENIED');
        expectError(await server.request('GET', col(type.id, '/get-by/title/Private'), { key: outsider.key }), 403, 'PERMISSION_DENIED');
      }
    });

    it('records each acting user in created_by and updated_by', async () => {
      const one = await aUserWithGrants(server, allGrants(task.id));
      const two = await aUserWithGrants(server, allGrants(task.id));
      const item = await anItem(server, task.id, { title: 'Two hands' }, { key: one.key });
      expect(item).to.include({ created_by: one.id, updated_by: one.id });
      const patched = await server.request('PATCH', col(task.id, `/${item.id}`), { key: two.key, body: { count: 1 } });
      expect(patched.body).to.include({ created_by: one.id, updated_by: two.id });
      const filtered = await server.request('SEARCH', col(task.id), { key: one.key, body: { filters: [{ property: 'created_by', type: 'eq', param: one.id }] } });
      expect(ids(filtered)).to.deep.equal([item.id]);
    });
  });

  // ------------------------------------------------------------------ read audit

  describe('types with read logging', () => {
    let type: ItemTypeBody;
    let reader: TestUser;
    let item: Record<string, any>;
    const audit = async (query = '') => {
      const res = await server.request('GET', `/api/v1/admin/read-audit?typeId=${type.id}${query}`, { key: server.adminKey });
      expect(res.status).to.equal(200);
      return res.body.data as { id: number; typeId: number; itemId: number; userId: number; at: string }[];
    };
    before(async () => {
      type = await aType(server, [{ systemName: 'title', kind: 'string' }]);
      reader = await aUserWithGrants(server, allGrants(type.id));
      item = await anItem(server, type.id, { title: 'Sensitive' }, { key: reader.key });
    });

    it('writes no entry while read logging is off', async () => {
      expect((await server.request('GET', col(type.id, `/${item.id}`), { key: reader.key })).status).to.equal(200);
      expect(await audit()).to.deep.equal([]);
    });

    it('writes one entry per single read once PATCH /admin/types/{id} {readLog:true}, and none for lists', async () => {
      const patched = await server.request('PATCH', `/api/v1/admin/types/${type.id}`, { key: server.adminKey, body: { readLog: true } });
      expect(patched.status).to.equal(200);
      expect(patched.body.readLog).to.equal(true);

      expect((await server.request('GET', col(type.id), { key: reader.key })).status).to.equal(200);
      expect((await server.request('SEARCH', col(type.id), { key: reader.key, body: {} })).status).to.equal(200);
      expect(await audit()).to.deep.equal([]);

      const before = Date.now();
      expect((await server.request('GET', col(type.id, `/${item.id}`), { key: reader.key })).status).to.equal(200);
      let entries = await audit();
      expect(entries).to.have.length(1);
      expect(entries[0]).to.include({ typeId: type.id, itemId: item.id, userId: reader.id });
      expect(entries[0].at).to.match(INSTANT);
      expect(Date.parse(entries[0].at)).to.be.within(before - 2000, Date.now() + 2000);

      // A second identical read is logged again (never answered from a cache).
      expect((await server.request('GET', col(type.id, `/${item.uuid}`), { key: reader.key })).status).to.equal(200);
      expect((await server.request('GET', col(type.id, '/get-by/title/Sensitive'), { key: reader.key })).status).to.equal(200);
      entries = await audit();
      expect(entries).to.have.length(3);
      expect(entries.map((e) => e.itemId)).to.deep.equal([item.id, item.id, item.id]);
      expect(entries[0].id).to.be.greaterThan(entries[2].id);
      expect(await audit(`&itemId=${item.id}&limit=2`)).to.have.length(2);
    });

    it('writes no entry for a denied or missing read', async () => {
      const count = (await audit()).length;
      const outsider = await aUserWithGrants(server, []);
      expectError(await server.request('GET', col(type.id, `/${item.id}`), { key: outsider.key }), 404, 'NOT_FOUND');
      expectError(await server.request('GET', col(type.id, '/987654'), { key: reader.key }), 404, 'NOT_FOUND');
      expect(await audit()).to.have.length(count);
    });

    it('answers 403 on /admin/read-audit without appManagement', async () => {
      expectError(await server.request('GET', '/api/v1/admin/read-audit', { key: reader.key }), 403, 'PERMISSION_DENIED');
    });
  });

  // ------------------------------------------------------------------ malformed input

  describe('malformed input', () => {
    let type: ItemTypeBody;
    let as: As;
    let injected: Record<string, any>;
    let plain: Record<string, any>;
    before(async () => {
      type = await aType(server, [
        { systemName: 'title', kind: 'string' },
        { systemName: 'rank', kind: 'integer' },
        { systemName: 'tags', kind: 'string', multiple: true },
      ]);
      as = { key: (await aUserWithGrants(server, allGrants(type.id))).key };
      plain = await anItem(server, type.id, { title: 'plain', rank: 1 }, as);
      injected = await anItem(server, type.id, { title: SQL, rank: 2, tags: [SQL, "' OR '1'='1"] }, as);
    });

    describe('when filters is not JSON', () => {
      it('answers 400 FILTER_INVALID', async () => {
        for (const filters of ['not-json', '[{"property":', '{"property":"title","type":"eq","param":"x"}', '"title"', '[1]', '[null]', '[{"type":"eq"}]', '[{"property":"title"}]']) {
          const res = await server.request('GET', `${col(type.id)}?filters=${encodeURIComponent(filters)}`, as);
          expectError(res, 400, 'FILTER_INVALID');
        }
      });
    });

    describe('when filters name unknown properties or operators', () => {
      it('answers 400 with a filter code, from the query string and from a SEARCH body', async () => {
        expectError(await server.request('GET', `${col(type.id)}${q({ filters: [{ property: 'nope', type: 'eq', param: 1 }] })}`, as), 400, 'FILTER_UNKNOWN_PROPERTY');
        expectError(await server.request('GET', `${col(type.id)}${q({ filters: [{ property: 'title', type: 'like', param: 1 }] })}`, as), 400, 'FILTER_UNKNOWN_OPERATOR');
        expectError(await server.request('SEARCH', col(type.id), { ...as, body: { filters: [{ property: 'nope', type: 'eq', param: 1 }] } }), 400, 'FILTER_UNKNOWN_PROPERTY');
        expectError(await server.request('SEARCH', col(type.id), { ...as, body: { filters: [{ property: 'title', type: 'like', param: 1 }] } }), 400, 'VALIDATION_FAILED');
      });
    });

    it('stores and returns SQL-looking strings literally', async () => {
      expect(injected.title).to.equal(SQL);
      expect(injected.tags).to.deep.equal([SQL, "' OR '1'='1"]);
      const read = await server.request('GET', col(type.id, `/${injected.id}`), as);
      expect(read.body).to.deep.equal(injected);
    });

    it('compares SQL-looking filter params literally', async () => {
      for (const [filter, expected] of [
        [{ property: 'title', type: 'eq', param: SQL }, [injected.id]],
        [{ property: 'title', type: 'neq', param: SQL }, [plain.id]],
        [{ property: 'title', type: 'contains', param: `'; DROP` }, [injected.id]],
        [{ property: 'title', type: 'contains', param: '%' }, []],
        [{ property: 'title', type: 'contains', param: '_' }, []],
        [{ property: 'title', type: 'startsWith', param: "x'" }, [injected.id]],
        [{ property: 'tags', type: 'eq', param: "' OR '1'='1" }, [injected.id]],
        [{ property: 'title', type: 'eq', param: "' OR '1'='1" }, []],
        [{ property: 'title', type: 'in', param: [SQL, "') OR 1=1 --"] }, [injected.id]],
        [{ property: 'uuid', type: 'eq', param: "' OR 1=1 --" }, []],
      ] as [Record<string, unknown>, number[]][]) {
        const viaGet = await server.request('GET', `${col(type.id)}${q({ filters: [filter] })}`, as);
        expect(viaGet.status, JSON.stringify(filter)).to.equal(expected.length ? 200 : 204);
        if (expected.length) expect(ids(viaGet), JSON.stringify(filter)).to.deep.equal(expected);
        const viaSearch = await server.request('SEARCH', col(type.id), { ...as, body: { filters: [filter] } });
        expect(viaSearch.status, JSON.stringify(filter)).to.equal(viaGet.status);
      }
    });

    it('refuses SQL-looking field names with 400, never 500', async () => {
      const checks: [string, string, string, unknown?][] = [
        ['GET', `${col(type.id)}?orderBy=${encodeURIComponent('title; DROP TABLE "Item"; --')}`, 'UNKNOWN_FIELD'],
        ['GET', `${col(type.id)}?orderBy=${encodeURIComponent('title" DESC, (SELECT 1) --')}`, 'UNKNOWN_FIELD'],
        ['GET', `${col(type.id)}?showFields=${encodeURIComponent(`title,${SQL}`)}`, 'UNKNOWN_FIELD'],
        ['GET', `${col(type.id)}?hideFields=${encodeURIComponent(SQL)}`, 'UNKNOWN_FIELD'],
        ['GET', `${col(type.id)}${q({ filters: [{ property: SQL, type: 'eq', param: 1 }] })}`, 'FILTER_UNKNOWN_PROPERTY'],
        ['GET', `${col(type.id)}${q({ filters: [{ property: 'title', type: SQL, param: 1 }] })}`, 'FILTER_UNKNOWN_OPERATOR'],
        ['GET', col(type.id, `/get-by/${encodeURIComponent(SQL)}/x`), 'UNKNOWN_FIELD'],
        ['SEARCH', col(type.id), 'UNKNOWN_FIELD', { orderBy: `rank ${SQL}` }],
        ['POST', col(type.id), 'VALIDATION_FAILED', { title: 'x', [SQL]: 1 }],
      ];
      for (const [method, path, code, body] of checks) {
        expectError(await server.request(method, path, { ...as, body }), 400, code);
      }
    });

    it('answers 404 for SQL-looking collection and item path segments', async () => {
      expectError(await server.request('GET', col(encodeURIComponent(SQL)), as), 404, 'NOT_FOUND');
      expectError(await server.request('GET', col(encodeURIComponent("1 OR 1=1"),), as), 404, 'NOT_FOUND');
      expectError(await server.request('GET', col(type.id, `/${encodeURIComponent("1 OR 1=1")}`), as), 404, 'NOT_FOUND');
      expectError(await server.request('GET', col(type.id, `/${encodeURIComponent(`${plain.id}' OR '1'='1`)}`), as), 404, 'NOT_FOUND');
      expectError(await server.request('DELETE', col(type.id, `/${encodeURIComponent("1; DELETE FROM \"Item\"")}`), as), 404, 'NOT_FOUND');
    });

    it('finds an item by a SQL-looking value through get-by', async () => {
      const res = await server.request('GET', col(type.id, `/get-by/title/${encodeURIComponent(SQL)}`), as);
      expect(res.status).to.equal(200);
      expect(res.body.id).to.equal(injected.id);
      expectError(await server.request('GET', col(type.id, `/get-by/title/${encodeURIComponent("' OR '1'='1")}`), as), 404, 'NOT_FOUND');
    });

    it('answers 201 or a 4xx, never 500, for a NUL character in a value, a filter param or a get-by value', async () => {
      const created = await server.request('POST', col(type.id), { ...as, body: { title: 'nul\u0000byte', tags: ['a\u0000'] } });
      const filtered = await server.request('GET', `${col(type.id)}${q({ filters: [{ property: 'title', type: 'eq', param: 'nul\u0000byte' }] })}`, as);
      const searched = await server.request('SEARCH', col(type.id), { ...as, body: { filters: [{ property: 'title', type: 'contains', param: '\u0000' }] } });
      const gotBy = await server.request('GET', col(type.id, '/get-by/title/nul%00byte'), as);
      const statuses = { created: created.status, filtered: filtered.status, searched: searched.status, gotBy: gotBy.status };
      expect(Object.values(statuses).every((s) => s < 500), JSON.stringify(statuses)).to.equal(true);
      if (created.status === 201) {
        expect(created.body.title).to.equal('nul\u0000byte');
        expect(filtered.status).to.equal(200);
        expect(ids(filtered)).to.deep.equal([created.body.id]);
        expect(gotBy.body.id).to.equal(created.body.id);
        expect((await server.request('DELETE', col(type.id, `/${created.body.id}`), as)).status).to.equal(204);
      } else {
        expect(created.body.code).to.equal('INVALID_CHARACTER');
      }
    });

    it('answers 400 for filter params of the wrong type, never 500', async () => {
      for (const filter of [
        { property: 'rank', type: 'eq', param: 'abc' },
        { property: 'rank', type: 'eq', param: { $gt: 1 } },
        { property: 'rank', type: 'in', param: 'not-a-list' },
        { property: 'rank', type: 'between', param: [1] },
        { property: 'rank', type: 'contains', param: '1' },
        { property: 'id', type: 'eq', param: '1 OR 1=1' },
        { property: 'created_on', type: 'gt', param: "2024-01-01' OR '1'='1" },
      ]) {
        const res = await server.request('SEARCH', col(type.id), { ...as, body: { filters: [filter] } });
        expect(res.status, JSON.stringify(filter)).to.equal(400);
        expect(res.body.code, JSON.stringify(filter)).to.match(/^FILTER_/);
      }
    });

    it('answers 400 VALIDATION_FAILED for more than 50 filters', async () => {
      const many = Array.from({ length: 51 }, () => ({ property: 'rank', type: 'eq', param: 1 }));
      expectError(await server.request('SEARCH', col(type.id), { ...as, body: { filters: many } }), 400, 'VALIDATION_FAILED');
      expectError(await server.request('GET', `${col(type.id)}${q({ filters: many })}`, as), 400, 'FILTER_INVALID');
    });

    it('answers 400 FILTER_INVALID_PARAM for a long param within the length limit of filters', async () => {
      const res = await server.request('GET', `${col(type.id)}${q({ filters: [{ property: 'title', type: 'eq', param: 'x'.repeat(12_000) }] })}`, as);
      expectError(res, 400, 'FILTER_INVALID_PARAM');
    });

    describe('when filters exceed their documented maxLength of 20000 characters', () => {
      it('answers 400 VALIDATION_FAILED with a JSON error body', async () => {
        const res = await server.request('GET', `${col(type.id)}?filters=${encodeURIComponent(JSON.stringify([{ property: 'title', type: 'eq', param: 'x'.repeat(20_001) }]))}`, as);
        expectError(res, 400, 'VALIDATION_FAILED');
      });
    });

    it('leaves the table working afterwards', async () => {
      const listed = await server.request('GET', `${col(type.id)}?_noCache=1`, as);
      expect(listed.status).to.equal(200);
      expect(ids(listed)).to.deep.equal([plain.id, injected.id]);
      const created = await anItem(server, type.id, { title: 'after the storm' }, as);
      expect((await server.request('GET', col(type.id, `/${created.id}`), as)).body).to.deep.equal(created);
      expect((await server.request('GET', col(task.id), w)).status).to.equal(200);
    });
  });
});
