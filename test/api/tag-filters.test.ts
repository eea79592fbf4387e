// The tag filters of collection lists (F6.1: `tags`, `tagsMode`, `includeTagDescendants`) through
// HTTP, by GET and by SEARCH body: any/all, descendants down to grandchildren, with `filters`
// and paging, totals, visibility of private tags, tenant isolation, malformed input, and the
// assignments of a deleted item.
import { expect } from 'chai';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aUser } from '../helpers/principals.ts';
import { aType, allGrants, anItem, type As, type ItemTypeBody } from '../helpers/collections.ts';
import { expectError } from '../helpers/expectations.ts';

const col = (collection: string | number, query = '') => `/api/v1/collection/${collection}${query}`;
const ids = (res: ApiResponse) => (res.status === 204 ? [] : (res.body.data as { id: number }[]).map((i) => i.id));

describe('collection list tag filters', () => {
  let server: TestServer;
  let type: ItemTypeBody;
  let u: As;
  let owner: As;
  const tag: Record<string, number> = {};
  const item: Record<string, number> = {};

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    type = await aType(server, [
      { systemName: 'title', kind: 'string' },
      { systemName: 'rank', kind: 'integer' },
    ]);
    const manager = { key: (await aUser(server, ['useApi', 'manageTags'])).key };
    u = { key: (await aUser(server, ['useApi'], { typePermissions: allGrants(type.id) })).key };
    owner = { key: (await aUser(server, ['useApi', 'createPrivateTags'], { typePermissions: allGrants(type.id) })).key };

    const aTag = async (as: As, name: string, parent?: string) => {
      const created = await server.request('POST', '/api/v1/collection/tags', { ...as, body: { name, ...(parent ? { parent: tag[parent] } : {}) } });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      tag[name] = created.body.id;
    };
    // fruit ─┬─ citrus ── lemon
    //        └─ apple          veg   red   (and mine: a private tag of `owner`)
    await aTag(manager, 'fruit');
    await aTag(manager, 'citrus', 'fruit');
    await aTag(manager, 'lemon', 'citrus');
    await aTag(manager, 'apple', 'fruit');
    await aTag(manager, 'veg');
    await aTag(manager, 'red');
    await aTag(owner, 'mine');

    const carrying: [string, number, string[]][] = [
      ['i1', 1, ['lemon']],
      ['i2', 2, ['citrus', 'red']],
      ['i3', 3, ['apple', 'red']],
      ['i4', 4, ['veg']],
      ['i5', 5, []],
      ['i6', 6, ['fruit']],
      ['i7', 7, ['red', 'veg']],
    ];
    for (const [name, rank, tags] of carrying) {
      const created = await anItem(server, type.id, { title: name, rank }, u);
      item[name] = created.id;
      const assigned = await server.request('POST', '/api/v1/app/tags.assign', { ...u, body: { type: type.id, item: created.id, operation: 'add', tags: tags.map((t) => tag[t]) } });
      expect(assigned.status, JSON.stringify(assigned.body)).to.equal(200);
    }
    const mine = await server.request('POST', '/api/v1/app/tags.assign', { ...owner, body: { type: type.id, item: item.i5, operation: 'add', tags: [tag.mine] } });
    expect(mine.status, JSON.stringify(mine.body)).to.equal(200);
  });
  after(() => server.stop());

  const list = (query: string, as: As = u) => server.request('GET', col(type.id, `?${query}`), as);
  const items = (...names: string[]) => names.map((n) => item[n]);
  const t = (...names: string[]) => names.map((n) => tag[n]).join(',');

  describe('GET with tags', () => {
    it('keeps the items carrying one tag, with the right total', async () => {
      const res = await list(`tags=${tag.red}`);
      expect(res.status).to.equal(200);
      expect(ids(res)).to.deep.equal(items('i2', 'i3', 'i7'));
      expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 25, fetched: 3, total: 3 });
    });

    it('takes several tags comma-separated or repeated; any (the default) keeps items with at least one', async () => {
      const expected = items('i2', 'i3', 'i4', 'i7');
      expect(ids(await list(`tags=${t('red', 'veg')}`))).to.deep.equal(expected);
      expect(ids(await list(`tags=${tag.red}&tags=${tag.veg}`))).to.deep.equal(expected);
      expect(ids(await list(`tags=${t('red', 'veg')}&tagsMode=any`))).to.deep.equal(expected);
      expect(ids(await list(`tags=${tag.red},${tag.red}`))).to.deep.equal(items('i2', 'i3', 'i7'));
      // i7 carries both tags: counted once.
      expect((await list(`tags=${t('red', 'veg')}`)).body.stats.total).to.equal(4);
      expect((await list(`tags=${t('red', 'veg')}&perPage=1&page=2`)).body.stats).to.deep.equal({ page: 2, itemsPerPage: 1, fetched: 1, total: 4 });
      expect((await list(`tags=${t('red', 'veg')}&tagsMode=all&tags=${tag.apple}&tagsMode=any`)).status).to.equal(400);
    });

    it('pages the same whether the page is found by probing items in order or by listing the tagged ones', async () => {
      // Small pages of common tags are probed in order; a whole page is listed and sorted.
      for (const order of ['orderBy=rank&orderDir=desc', 'orderBy=id']) {
        const whole = ids(await list(`tags=${t('red', 'veg', 'lemon')}&${order}`));
        const paged: number[] = [];
        for (let page = 1; page <= whole.length; page++) paged.push(...ids(await list(`tags=${t('red', 'veg', 'lemon')}&${order}&perPage=1&page=${page}`)));
        expect(paged).to.deep.equal(whole);
        expect((await list(`tags=${t('red', 'veg', 'lemon')}&${order}&perPage=1&page=${whole.length + 1}`)).status).to.equal(204);
      }
    });

    it('keeps with tagsMode=all only the items carrying every tag', async () => {
      const res = await list(`tags=${t('red', 'veg')}&tagsMode=all`);
      expect(ids(res)).to.deep.equal(items('i7'));
      expect(res.body.stats.total).to.equal(1);
      expect(ids(await list(`tags=${tag.red}&tags=${tag.apple}&tagsMode=all`))).to.deep.equal(items('i3'));
      expect((await list(`tags=${t('veg', 'apple')}&tagsMode=all`)).status).to.equal(204);
    });

    it('matches descendants down to grandchildren with includeTagDescendants=true', async () => {
      expect(ids(await list(`tags=${tag.fruit}`))).to.deep.equal(items('i6'));
      expect(ids(await list(`tags=${tag.fruit}&includeTagDescendants=false`))).to.deep.equal(items('i6'));
      const all = await list(`tags=${tag.fruit}&includeTagDescendants=true`);
      expect(ids(all)).to.deep.equal(items('i1', 'i2', 'i3', 'i6'));
      expect(all.body.stats.total).to.equal(4);
      expect(ids(await list(`tags=${tag.citrus}&includeTagDescendants=true`))).to.deep.equal(items('i1', 'i2'));
      expect(ids(await list(`tags=${t('fruit', 'red')}&tagsMode=all&includeTagDescendants=true`))).to.deep.equal(items('i2', 'i3'));
      expect(ids(await list(`tags=${t('citrus', 'veg')}&tagsMode=any&includeTagDescendants=true`))).to.deep.equal(items('i1', 'i2', 'i4', 'i7'));
    });

    it('combines with filters, ordering and paging, totals counting every match', async () => {
      const filters = encodeURIComponent(JSON.stringify([{ property: 'rank', type: 'gte', param: 3 }]));
      const res = await list(`tags=${t('red', 'veg')}&filters=${filters}`);
      expect(ids(res)).to.deep.equal(items('i3', 'i4', 'i7'));
      expect(res.body.stats.total).to.equal(3);
      const paged = await list(`tags=${t('red', 'veg')}&perPage=2&page=2&orderBy=rank&orderDir=desc`);
      expect(ids(paged)).to.deep.equal(items('i3', 'i2'));
      expect(paged.body.stats).to.deep.equal({ page: 2, itemsPerPage: 2, fetched: 2, total: 4 });
      const descendants = await list(`tags=${tag.fruit}&includeTagDescendants=true&filters=${filters}&perPage=1`);
      expect(ids(descendants)).to.deep.equal(items('i3'));
      expect(descendants.body.stats.total).to.equal(2);
    });

    it('never widens a match through descendants the caller cannot see', async () => {
      // `owner` hangs a private tag under citrus and puts it on i4 (which carries no citrus tag).
      const hiddenChild = await server.request('POST', '/api/v1/collection/tags', { ...owner, body: { name: 'my citrus', parent: tag.citrus } });
      expect(hiddenChild.status, JSON.stringify(hiddenChild.body)).to.equal(201);
      const put = await server.request('POST', '/api/v1/app/tags.assign', { ...owner, body: { type: type.id, item: item.i4, operation: 'add', tags: [hiddenChild.body.id] } });
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      try {
        expect(ids(await list(`tags=${tag.citrus}&includeTagDescendants=true`))).to.deep.equal(items('i1', 'i2'));
        expect(ids(await list(`tags=${tag.citrus}&includeTagDescendants=true`, owner))).to.deep.equal(items('i1', 'i2', 'i4'));
      } finally {
        await server.request('DELETE', `/api/v1/collection/tags/${hiddenChild.body.id}`, owner);
      }
    });

    it('answers 400 INVALID_TAGS when the tags and their descendants exceed 1000', async () => {
      const db = server.running.services.database.prisma;
      const wide = await db.tag.create({ data: { tenantId: 1, name: 'wide', nameFolded: 'wide' } });
      await db.tag.createMany({ data: Array.from({ length: 1000 }, (_, i) => ({ tenantId: 1, name: `w${i}`, nameFolded: `w${i}`, parentId: wide.id })) });
      expect((await list(`tags=${wide.id}`)).status).to.equal(204);
      const res = await list(`tags=${wide.id}&includeTagDescendants=true`);
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.code).to.equal('INVALID_TAGS');
      await db.tag.deleteMany({ where: { parentId: wide.id } });
      await db.tag.delete({ where: { id: wide.id } });
    });

    it('lets the owner of a private tag filter by it, and answers 400 UNKNOWN_TAG to anyone who cannot see it', async () => {
      expect(ids(await list(`tags=${tag.mine}`, owner))).to.deep.equal(items('i5'));
      const res = await list(`tags=${t('red', 'mine')}`);
      expectError(res, 400, 'UNKNOWN_TAG');
      expect(res.body.message).to.equal(`Tag ${tag.mine} does not exist or is not visible to you`);
      expectError(await list(`tags=${tag.mine}&includeTagDescendants=true`), 400, 'UNKNOWN_TAG');
      expectError(await list('tags=2000000000'), 400, 'UNKNOWN_TAG');
    });

    it('answers 400 INVALID_TAGS for a malformed tag id and 400 VALIDATION_FAILED for a bad mode or flag', async () => {
      for (const value of ['abc', '0', '-3', '1.5', `${tag.red},x`, '99999999999']) {
        const res = await list(`tags=${encodeURIComponent(value)}`);
        expectError(res, 400, 'INVALID_TAGS');
        expect(res.body.message).to.match(/^Invalid tags: /);
      }
      const many = Array.from({ length: 101 }, (_, n) => n + 1).join(',');
      expectError(await list(`tags=${many}`), 400, 'INVALID_TAGS');
      expectError(await list(`tags=${tag.red}&tagsMode=some`), 400, 'VALIDATION_FAILED');
      expectError(await list(`tags=${tag.red}&includeTagDescendants=maybe`), 400, 'VALIDATION_FAILED');
    });

    it('ignores an empty tags parameter', async () => {
      const res = await list('tags=');
      expect(res.body.stats.total).to.equal(7);
    });
  });

  describe('SEARCH with tags in the body', () => {
    const search = (body: Record<string, unknown>, query = '', as: As = u) => server.request('SEARCH', col(type.id, query), { ...as, body });

    it('takes tags as an array of ids or a comma-separated string', async () => {
      expect(ids(await search({ tags: [tag.red, tag.veg] }))).to.deep.equal(items('i2', 'i3', 'i4', 'i7'));
      expect(ids(await search({ tags: t('red', 'veg') }))).to.deep.equal(items('i2', 'i3', 'i4', 'i7'));
      const all = await search({ tags: [tag.red, tag.veg], tagsMode: 'all' });
      expect(ids(all)).to.deep.equal(items('i7'));
      expect(all.body.stats.total).to.equal(1);
    });

    it('takes includeTagDescendants and filters in the body, on every search route', async () => {
      const body = { tags: [tag.fruit], includeTagDescendants: true, filters: [{ property: 'rank', type: 'lte', param: 2 }] };
      expect(ids(await search(body))).to.deep.equal(items('i1', 'i2'));
      expect(ids(await server.request('POST', col(type.id, '/search'), { ...u, body }))).to.deep.equal(items('i1', 'i2'));
      expect(ids(await server.request('QUERY', col(type.id), { ...u, body }))).to.deep.equal(items('i1', 'i2'));
    });

    it('lets the body win over the query', async () => {
      expect(ids(await search({ tags: [tag.apple] }, `?tags=${tag.veg}`))).to.deep.equal(items('i3'));
      expect(ids(await search({ tagsMode: 'all' }, `?tags=${t('red', 'veg')}`))).to.deep.equal(items('i7'));
    });

    it('answers 400 for malformed or invisible tags', async () => {
      expectError(await search({ tags: ['red'] }), 400, 'VALIDATION_FAILED');
      expectError(await search({ tags: [0] }), 400, 'VALIDATION_FAILED');
      expectError(await search({ tags: { id: 1 } }), 400, 'VALIDATION_FAILED');
      expectError(await search({ tags: [tag.red], tagsMode: 'most' }), 400, 'VALIDATION_FAILED');
      expectError(await search({ tags: 'red,veg' }), 400, 'INVALID_TAGS');
      expectError(await search({ tags: [tag.mine] }), 400, 'UNKNOWN_TAG');
      expect(ids(await search({ tags: [tag.mine] }, '', owner))).to.deep.equal(items('i5'));
    });
  });

  it("answers 400 UNKNOWN_TAG for another tenant's tag, both ways", async () => {
    const tenant = await aTenant(server);
    const operator = { key: tenant.admin.key, host: tenant.host };
    const typeB = await aType(server, [{ systemName: 'title', kind: 'string' }], operator);
    const userB = { key: (await aUser(server, ['useApi', 'manageTags'], { ...operator, typePermissions: allGrants(typeB.id) })).key, host: tenant.host };
    const tagB = await server.request('POST', '/api/v1/collection/tags', { ...userB, body: { name: 'tenant b' } });
    const itemB = await anItem(server, typeB.id, { title: 'b' }, userB);
    await server.request('POST', '/api/v1/app/tags.assign', { ...userB, body: { type: typeB.id, item: itemB.id, operation: 'add', tags: [tagB.body.id] } });
    expect(ids(await server.request('GET', col(typeB.id, `?tags=${tagB.body.id}`), userB))).to.deep.equal([itemB.id]);
    expectError(await server.request('GET', col(typeB.id, `?tags=${tag.red}`), userB), 400, 'UNKNOWN_TAG');
    expectError(await list(`tags=${tagB.body.id}`), 400, 'UNKNOWN_TAG');
    expectError(await server.request('SEARCH', col(type.id), { ...u, body: { tags: [tagB.body.id] } }), 400, 'UNKNOWN_TAG');
  });

  it('removes the assignments of a deleted item', async () => {
    const doomed = await anItem(server, type.id, { title: 'doomed', rank: 9 }, u);
    await server.request('POST', '/api/v1/app/tags.assign', { ...u, body: { type: type.id, item: doomed.id, operation: 'add', tags: [tag.red, tag.veg] } });
    expect(ids(await list(`tags=${tag.red}`))).to.include(doomed.id);
    const db = server.running.services.database.prisma;
    expect(await db.itemTag.count({ where: { itemId: doomed.id } })).to.equal(2);
    expect((await server.request('DELETE', col(type.id, `/${doomed.id}`), u)).status).to.equal(204);
    // Not observable through the API: the ItemTag rows themselves must be gone (foreign key cascade).
    expect(await db.itemTag.count({ where: { itemId: doomed.id } })).to.equal(0);
    const after = await list(`tags=${tag.red}`);
    expect(ids(after)).to.deep.equal(items('i2', 'i3', 'i7'));
    expect(after.body.stats.total).to.equal(3);
    expectError(await server.request('GET', `/api/v1/app/tags.object?type=${type.id}&item=${doomed.id}`, u), 404, 'NOT_FOUND');
  });
});
