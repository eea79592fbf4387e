// The tags collection (seed 004 "tags", F6.1) and the tags.object / tags.assign commands (F5.5)
// through HTTP: every route and status, who sees which tag (plain user, owner, manageTags),
// createPrivateTags forcing private, the tree rules (parent, cycles, children, cascade), list
// parameters, assignments with per-type grants, tenant isolation and malformed input.
// The tag filters of collection lists live in tag-filters.test.ts.
import { expect } from 'chai';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import { aUser, type TestUser } from '../helpers/principals.ts';
import { aType, allGrants, anItem, type As, type ItemTypeBody } from '../helpers/collections.ts';
import { expectError } from '../helpers/expectations.ts';

const TAGS = '/api/v1/collection/tags';
const OBJECT = '/api/v1/app/tags.object';
const ASSIGN = '/api/v1/app/tags.assign';
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2})$/;
const PUBLIC_KEYS = ['id', 'name', 'description', 'parent', 'private'];
const FULL_KEYS = [...PUBLIC_KEYS, 'owner', 'created_on', 'created_by', 'updated_on'];

interface Tag {
  id: number;
  name: string;
  description: string | null;
  parent: number | null;
  private: boolean;
  owner?: number | null;
}

const tag = (id: number | string, query = '') => `${TAGS}/${id}${query}`;
const ids = (res: ApiResponse) => (res.body.data as { id: number }[]).map((t) => t.id);
const tagIds = (res: ApiResponse) => (res.body.tags as { id: number }[]).map((t) => t.id);
/** A tag as a caller without manageTags sees it. */
const seen = (t: Tag) => ({ id: t.id, name: t.name, description: t.description, parent: t.parent, private: t.private });

describe('/collection/tags and tags.object / tags.assign', () => {
  let server: TestServer;
  let manager: TestUser;
  let creator: TestUser;
  let otherCreator: TestUser;
  let plain: TestUser;
  let m: As;
  let c: As;
  let c2: As;
  let p: As;

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    manager = await aUser(server, ['useApi', 'manageTags'], { user: { timezone: 'Europe/Prague' } });
    creator = await aUser(server, ['useApi', 'createPrivateTags']);
    otherCreator = await aUser(server, ['useApi', 'createPrivateTags']);
    plain = await aUser(server, ['useApi']);
    [m, c, c2, p] = [manager, creator, otherCreator, plain].map((u) => ({ key: u.key }));
  });
  after(() => server.stop());

  async function aTag(as: As, body: Record<string, unknown>): Promise<Tag> {
    const created = await server.request('POST', TAGS, { ...as, body });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body as Tag;
  }

  async function read(id: number | string, as: As = m): Promise<ApiResponse> {
    return server.request('GET', tag(id), as);
  }

  // ------------------------------------------------------------------ create

  describe('POST /collection/tags', () => {
    it('answers 201 with every field for a tag manager, the name trimmed, instants in their zone', async () => {
      const res = await server.request('POST', TAGS, { ...m, body: { name: '  Backend  ', description: 'Server side' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.have.all.keys(FULL_KEYS);
      expect(res.body).to.deep.include({ name: 'Backend', description: 'Server side', parent: null, private: false, owner: manager.id, created_by: manager.id });
      expect(res.body.created_on).to.match(INSTANT).and.to.match(/\+0[12]:00$/);
      expect(res.body.updated_on).to.equal(res.body.created_on);
      expect((await read(res.body.id)).body).to.deep.equal(res.body);
    });

    it('creates a private tag under a parent for a manager', async () => {
      const parent = await aTag(m, { name: 'Parent' });
      const res = await server.request('POST', TAGS, { ...m, body: { name: 'Secret child', parent: parent.id, private: true, description: null } });
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.include({ parent: parent.id, private: true, description: null });
    });

    it('forces private for a holder of createPrivateTags alone and hides the manager fields', async () => {
      for (const body of [{ name: 'Mine' }, { name: 'Mine too', private: false }]) {
        const res = await server.request('POST', TAGS, { ...c, body });
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body).to.have.all.keys(PUBLIC_KEYS);
        expect(res.body.private).to.equal(true);
        expect((await read(res.body.id)).body.owner).to.equal(creator.id);
      }
    });

    it('lets a private-tag creator hang a tag under a public one', async () => {
      const parent = await aTag(m, { name: 'Public parent' });
      const child = await aTag(c, { name: 'Private child', parent: parent.id });
      expect(child).to.deep.include({ parent: parent.id, private: true });
    });

    it('answers 403 PERMISSION_DENIED to a user with neither tag permission, and creates nothing', async () => {
      const res = await server.request('POST', TAGS, { ...p, body: { name: 'Nope-403' } });
      expectError(res, 403, 'PERMISSION_DENIED');
      expect(res.body.message).to.contain('manageTags or createPrivateTags');
      expect((await server.request('GET', `${TAGS}?search=Nope-403`, m)).status).to.equal(204);
    });

    it('answers 400 UNKNOWN_TAG for a parent that does not exist or that the caller cannot see', async () => {
      const hidden = await aTag(c2, { name: 'Hidden of other creator' });
      for (const parent of [2_000_000_000, hidden.id]) {
        const res = await server.request('POST', TAGS, { ...c, body: { name: 'Orphan', parent } });
        expectError(res, 400, 'UNKNOWN_TAG');
        expect(res.body.message).to.contain(String(parent));
        expect(res.body.details).to.deep.equal([{ path: 'body.parent', message: 'not a tag you see' }]);
      }
    });

    it('answers 409 CONFLICT for a public tag under a private parent', async () => {
      const parent = await aTag(m, { name: 'Private parent', private: true });
      const res = await server.request('POST', TAGS, { ...m, body: { name: 'Public child', parent: parent.id } });
      expectError(res, 409, 'CONFLICT');
      expect(res.body.message).to.equal(`Tag ${parent.id} is private; a public tag cannot have a private parent`);
    });

    it('answers 400 for malformed bodies', async () => {
      const cases: [unknown, string][] = [
        [{ name: '   ' }, 'VALIDATION_FAILED'],
        [{}, 'VALIDATION_FAILED'],
        [{ name: 'x'.repeat(201) }, 'VALIDATION_FAILED'],
        [{ name: 'ok', colour: 'red' }, 'VALIDATION_FAILED'],
        [{ name: 42 }, 'VALIDATION_FAILED'],
        [{ name: 'ok', parent: 'abc' }, 'VALIDATION_FAILED'],
        [{ name: 'ok', parent: 0 }, 'VALIDATION_FAILED'],
        [{ name: 'ok', private: 'yes' }, 'VALIDATION_FAILED'],
        [[{ name: 'ok' }], 'VALIDATION_FAILED'],
        ['{"name":', 'INVALID_JSON'],
      ];
      for (const [body, code] of cases) expectError(await server.request('POST', TAGS, { ...m, body }), 400, code);
      const blank = await server.request('POST', TAGS, { ...m, body: { name: '   ' } });
      expect(blank.body.details).to.deep.equal([{ path: 'body.name', message: 'must hold 1 to 200 characters besides surrounding spaces' }]);
    });

    it('answers 403 API_KEY_MISSING without a key', async () => {
      expectError(await server.request('POST', TAGS, { body: { name: 'anon' } }), 403, 'API_KEY_MISSING');
      expectError(await server.request('GET', TAGS), 403, 'API_KEY_MISSING');
    });
  });

  // ------------------------------------------------------------------ read one

  describe('GET /collection/tags/{item}', () => {
    let pub: Tag;
    let mine: Tag;
    let managers: Tag;

    before(async () => {
      pub = await aTag(m, { name: 'Readable', description: 'for everyone' });
      mine = await aTag(c, { name: 'Creator private' });
      managers = await aTag(m, { name: 'Manager private', private: true });
    });

    it('answers a public tag to any user, without the manager fields', async () => {
      const res = await read(pub.id, p);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ id: pub.id, name: 'Readable', description: 'for everyone', parent: null, private: false });
    });

    it('answers a private tag to its owner and to managers, 404 NOT_FOUND to everyone else', async () => {
      expect((await read(mine.id, c)).body).to.deep.equal({ id: mine.id, name: 'Creator private', description: null, parent: null, private: true });
      const full = await read(mine.id, m);
      expect(full.status).to.equal(200);
      expect(full.body).to.have.all.keys(FULL_KEYS);
      expect(full.body).to.deep.include({ owner: creator.id, created_by: creator.id });
      for (const as of [p, c2]) expectError(await read(mine.id, as), 404, 'NOT_FOUND');
      for (const as of [p, c, c2]) expectError(await read(managers.id, as), 404, 'NOT_FOUND');
    });

    it('applies showFields and hideFields, always keeping id', async () => {
      expect((await server.request('GET', tag(pub.id, '?showFields=name,private'), p)).body).to.deep.equal({ id: pub.id, name: 'Readable', private: false });
      expect((await server.request('GET', tag(pub.id, '?hideFields=description,parent,id'), p)).body).to.deep.equal({ id: pub.id, name: 'Readable', private: false });
      expect((await server.request('GET', tag(pub.id, '?showFields=id'), m)).body).to.deep.equal({ id: pub.id });
      const managerOnly = await server.request('GET', tag(pub.id, '?showFields=owner,created_by'), m);
      expect(managerOnly.body).to.deep.equal({ id: pub.id, owner: manager.id, created_by: manager.id });
      // Manager-only names are known fields: a plain user simply does not get them.
      expect((await server.request('GET', tag(pub.id, '?showFields=owner'), p)).body).to.deep.equal({ id: pub.id });
    });

    it('answers 400 UNKNOWN_FIELD for an unknown field name', async () => {
      for (const query of ['?showFields=name,colour', '?hideFields=colour']) {
        const res = await server.request('GET', tag(pub.id, query), p);
        expectError(res, 400, 'UNKNOWN_FIELD');
        expect(res.body.message).to.contain('"colour"');
      }
    });

    it('answers 400 INVALID_PATH for an id that is not a number, 404 for one that names no tag', async () => {
      for (const id of ['abc', '1.5', '-1', `${pub.id}x`]) expectError(await read(id, p), 400, 'INVALID_PATH');
      for (const id of ['0', '2147483647', '99999999999']) expectError(await read(id, p), 404, 'NOT_FOUND');
    });
  });

  // ------------------------------------------------------------------ list

  describe('GET /collection/tags (in a tenant of its own)', () => {
    let tenant: TestTenant;
    let admin: As;
    let user: As;
    let owner: As;
    let names: Record<string, Tag>;

    before(async () => {
      tenant = await aTenant(server, { settings: { apiMaxPageLength: 4 } });
      admin = { key: tenant.admin.key, host: tenant.host };
      user = { key: (await aUser(server, ['useApi'], admin)).key, host: tenant.host };
      owner = { key: (await aUser(server, ['useApi', 'createPrivateTags'], admin)).key, host: tenant.host };
    });

    it('answers 204 while the tenant has no tag', async () => {
      const res = await server.request('GET', TAGS, user);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
    });

    describe('with tags', () => {
      before(async () => {
        names = {};
        const make = async (as: As, key: string, body: Record<string, unknown>) => (names[key] = await aTag(as, body));
        await make(admin, 'beta', { name: 'beta' });
        await make(admin, 'alpha1', { name: 'alpha' });
        await make(admin, 'alpha2', { name: 'alpha' });
        await make(admin, 'delta', { name: 'delta', parent: names.beta.id });
        await make(admin, 'epsilon', { name: 'epsilon', parent: names.delta.id });
        await make(admin, 'secret', { name: 'gamma secret', private: true });
        await make(owner, 'own', { name: 'gamma own' });
        await make(admin, 'percent', { name: '100% done' });
        await make(admin, 'under', { name: 'a_b' });
      });

      const publicOrder = () => ['percent', 'under', 'alpha1', 'alpha2', 'beta', 'delta', 'epsilon'].map((k) => names[k].id);

      it('lists the visible tags by name then id: public ones to a plain user', async () => {
        const res = await server.request('GET', `${TAGS}?perPage=4`, user);
        expect(res.status).to.equal(200);
        expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 4, fetched: 4, total: 7 });
        expect(ids(res)).to.deep.equal(publicOrder().slice(0, 4));
        for (const row of res.body.data) expect(row).to.have.all.keys(PUBLIC_KEYS);
        const second = await server.request('GET', `${TAGS}?perPage=4&page=2`, user);
        expect(second.body.stats).to.deep.equal({ page: 2, itemsPerPage: 4, fetched: 3, total: 7 });
        expect(ids(second)).to.deep.equal(publicOrder().slice(4));
      });

      it('adds the own private tags for their owner and every tag, with full fields, for a manager', async () => {
        const own = await server.request('GET', `${TAGS}?search=gamma`, owner);
        expect(ids(own)).to.deep.equal([names.own.id]);
        expect(own.body.stats.total).to.equal(1);
        const all = await server.request('GET', `${TAGS}?search=gamma`, admin);
        expect(ids(all)).to.deep.equal([names.own.id, names.secret.id]);
        expect(all.body.data[0]).to.have.all.keys(FULL_KEYS);
        expect((await server.request('GET', `${TAGS}?search=gamma`, user)).status).to.equal(204);
        expect((await server.request('GET', `${TAGS}?page=1&perPage=1`, admin)).body.stats.total).to.equal(9);
      });

      it('caps perPage at the tenant API max page length; a page past the end answers 204', async () => {
        const res = await server.request('GET', `${TAGS}?perPage=100`, user);
        expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 4, fetched: 4, total: 7 });
        expect((await server.request('GET', `${TAGS}?perPage=4&page=3`, user)).status).to.equal(204);
      });

      it('searches a case-insensitive part of the name, wildcards taken literally', async () => {
        expect(ids(await server.request('GET', `${TAGS}?search=ALPH`, user))).to.deep.equal([names.alpha1.id, names.alpha2.id]);
        expect(ids(await server.request('GET', `${TAGS}?search=${encodeURIComponent('%')}`, user))).to.deep.equal([names.percent.id]);
        expect(ids(await server.request('GET', `${TAGS}?search=_`, user))).to.deep.equal([names.under.id]);
        expect(ids(await server.request('GET', `${TAGS}?search=LTA`, user))).to.deep.equal([names.delta.id]);
        expect((await server.request('GET', `${TAGS}?search=${encodeURIComponent("' OR 1=1 --")}`, user)).status).to.equal(204);
      });

      it('lists the children of a parent, and the top level with parent=0 or parent=root', async () => {
        expect(ids(await server.request('GET', `${TAGS}?parent=${names.beta.id}`, user))).to.deep.equal([names.delta.id]);
        expect(ids(await server.request('GET', `${TAGS}?parent=${names.delta.id}`, user))).to.deep.equal([names.epsilon.id]);
        expect((await server.request('GET', `${TAGS}?parent=${names.epsilon.id}`, user)).status).to.equal(204);
        const top = ['percent', 'under', 'alpha1', 'alpha2', 'beta'].map((k) => names[k].id);
        for (const parent of ['0', 'root']) {
          const first = await server.request('GET', `${TAGS}?parent=${parent}`, user);
          expect(first.body.stats).to.deep.equal({ page: 1, itemsPerPage: 4, fetched: 4, total: 5 });
          const second = await server.request('GET', `${TAGS}?parent=${parent}&page=2`, user);
          expect([...ids(first), ...ids(second)]).to.deep.equal(top);
        }
        expect(ids(await server.request('GET', `${TAGS}?parent=root&search=a`, user))).to.deep.equal(top.slice(1));
      });

      it('answers 400 INVALID_TAGS for a malformed parent and 400 UNKNOWN_TAG for one the caller cannot see', async () => {
        for (const parent of ['abc', '-1', '1.5', 'roots']) {
          const res = await server.request('GET', `${TAGS}?parent=${parent}`, user);
          expectError(res, 400, 'INVALID_TAGS');
          expect(res.body.message).to.equal('Invalid parent: must be a tag id, 0 or root');
        }
        for (const parent of [names.secret.id, 2_000_000_000]) expectError(await server.request('GET', `${TAGS}?parent=${parent}`, user), 400, 'UNKNOWN_TAG');
        expect((await server.request('GET', `${TAGS}?parent=${names.secret.id}`, admin)).status).to.equal(204);
      });

      it('applies showFields and hideFields to every row; unknown names answer 400 UNKNOWN_FIELD', async () => {
        const res = await server.request('GET', `${TAGS}?search=delta&showFields=name,parent`, user);
        expect(res.body.data).to.deep.equal([{ id: names.delta.id, name: 'delta', parent: names.beta.id }]);
        const hidden = await server.request('GET', `${TAGS}?search=delta&hideFields=owner,created_on,created_by,updated_on,description`, admin);
        expect(hidden.body.data).to.deep.equal([{ id: names.delta.id, name: 'delta', parent: names.beta.id, private: false }]);
        expectError(await server.request('GET', `${TAGS}?showFields=name,nope`, user), 400, 'UNKNOWN_FIELD');
      });

      it('answers 400 VALIDATION_FAILED for malformed paging', async () => {
        for (const query of ['page=0', 'page=abc', 'perPage=0', 'perPage=-3', `search=${'x'.repeat(201)}`]) {
          expectError(await server.request('GET', `${TAGS}?${query}`, user), 400, 'VALIDATION_FAILED');
        }
      });

      describe('SEARCH, QUERY and POST /collection/tags/search', () => {
        it('answers the list of GET with the parameters in a JSON body', async () => {
          const get = await server.request('GET', `${TAGS}?search=alpha&perPage=1&page=2`, user);
          for (const [method, path] of [['SEARCH', TAGS], ['QUERY', TAGS], ['POST', `${TAGS}/search`]]) {
            const res = await server.request(method, path, { ...user, body: { search: 'alpha', perPage: 1, page: 2 } });
            expect(res.status, `${method} ${JSON.stringify(res.body)}`).to.equal(200);
            expect(res.body).to.deep.equal(get.body);
            expect(ids(res)).to.deep.equal([names.alpha2.id]);
          }
        });

        it('lets the body win over the query', async () => {
          const res = await server.request('SEARCH', `${TAGS}?perPage=1&search=zzz`, { ...user, body: { perPage: 2, search: 'alpha' } });
          expect(res.body.stats).to.deep.equal({ page: 1, itemsPerPage: 2, fetched: 2, total: 2 });
          const queryOnly = await server.request('POST', `${TAGS}/search?search=delta`, { ...user, body: {} });
          expect(ids(queryOnly)).to.deep.equal([names.delta.id]);
        });

        it('takes parent as a number, as root, or null (top level), and field lists as arrays', async () => {
          expect(ids(await server.request('SEARCH', TAGS, { ...user, body: { parent: names.beta.id } }))).to.deep.equal([names.delta.id]);
          const top = await server.request('SEARCH', TAGS, { ...user, body: { parent: 'root', search: 'alpha' } });
          expect(ids(top)).to.deep.equal([names.alpha1.id, names.alpha2.id]);
          expect(ids(await server.request('SEARCH', TAGS, { ...user, body: { parent: null, search: 'alpha' } }))).to.deep.equal(ids(top));
          expect((await server.request('SEARCH', TAGS, { ...user, body: { parent: 0, search: 'delta' } })).status).to.equal(204);
          const shaped = await server.request('SEARCH', TAGS, { ...user, body: { search: 'delta', showFields: ['name'], hideFields: [] } });
          expect(shaped.body.data).to.deep.equal([{ id: names.delta.id, name: 'delta' }]);
        });

        it('answers 400 for unknown body fields, wrong types and bad values', async () => {
          expectError(await server.request('SEARCH', TAGS, { ...user, body: { colour: 'red' } }), 400, 'VALIDATION_FAILED');
          expectError(await server.request('SEARCH', TAGS, { ...user, body: { perPage: 'ten' } }), 400, 'VALIDATION_FAILED');
          expectError(await server.request('SEARCH', TAGS, { ...user, body: { parent: -1 } }), 400, 'VALIDATION_FAILED');
          expectError(await server.request('SEARCH', TAGS, { ...user, body: { parent: 'top' } }), 400, 'INVALID_TAGS');
          expectError(await server.request('SEARCH', TAGS, { ...user, body: { showFields: ['colour'] } }), 400, 'UNKNOWN_FIELD');
        });
      });
    });
  });

  // ------------------------------------------------------------------ change

  describe('PUT and PATCH /collection/tags/{item}', () => {
    it('changes the fields sent (PATCH) and answers the tag after the change', async () => {
      const parent = await aTag(m, { name: 'Patch parent' });
      const t = await aTag(m, { name: 'Patch me', description: 'old', parent: parent.id });
      const res = await server.request('PATCH', tag(t.id), { ...m, body: { name: '  Patched  ' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.include({ id: t.id, name: 'Patched', description: 'old', parent: parent.id, private: false, owner: manager.id });
      expect((await read(t.id)).body).to.deep.equal(res.body);
      const cleared = await server.request('PATCH', tag(t.id), { ...m, body: { description: null, parent: null } });
      expect(cleared.body).to.deep.include({ name: 'Patched', description: null, parent: null });
    });

    it('replaces the whole tag (PUT): description and parent left out are cleared, private defaults to false', async () => {
      const parent = await aTag(m, { name: 'Put parent', private: true });
      const t = await aTag(m, { name: 'Put me', description: 'old', parent: parent.id, private: true });
      const res = await server.request('PUT', tag(t.id), { ...m, body: { name: 'Put done' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.include({ id: t.id, name: 'Put done', description: null, parent: null, private: false, owner: manager.id });
    });

    it('lets a manager change any tag, including a private tag of another user', async () => {
      const theirs = await aTag(c, { name: 'Creator tag' });
      const res = await server.request('PATCH', tag(theirs.id), { ...m, body: { name: 'Renamed by manager', private: false } });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ name: 'Renamed by manager', private: false, owner: creator.id });
    });

    it('lets a private-tag creator change its own private tags, which stay private', async () => {
      const own = await aTag(c, { name: 'Own tag' });
      const patched = await server.request('PATCH', tag(own.id), { ...c, body: { name: 'Own renamed', description: 'd' } });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.deep.equal({ id: own.id, name: 'Own renamed', description: 'd', parent: null, private: true });
      const put = await server.request('PUT', tag(own.id), { ...c, body: { name: 'Own replaced' } });
      expect(put.body).to.deep.equal({ id: own.id, name: 'Own replaced', description: null, parent: null, private: true });
    });

    it('answers 403 PERMISSION_DENIED when a private-tag creator asks to make its tag public', async () => {
      const own = await aTag(c, { name: 'Stays private' });
      for (const [method, body] of [['PATCH', { private: false }], ['PUT', { name: 'Public now', private: false }]] as const) {
        const res = await server.request(method, tag(own.id), { ...c, body });
        expectError(res, 403, 'PERMISSION_DENIED');
        expect(res.body.message).to.contain('manageTags');
      }
      expect((await read(own.id)).body).to.deep.include({ name: 'Stays private', private: true });
    });

    it('answers 403 for visible tags the caller may not change and 404 for tags it cannot see', async () => {
      const pub = await aTag(m, { name: 'Managed public' });
      const othersPrivate = await aTag(c2, { name: 'Other creator private' });
      expectError(await server.request('PATCH', tag(pub.id), { ...c, body: { name: 'x' } }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('PUT', tag(pub.id), { ...c, body: { name: 'x' } }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('PATCH', tag(pub.id), { ...p, body: { name: 'x' } }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('PATCH', tag(othersPrivate.id), { ...c, body: { name: 'x' } }), 404, 'NOT_FOUND');
      expectError(await server.request('PATCH', tag(2_000_000_000), { ...m, body: { name: 'x' } }), 404, 'NOT_FOUND');
      expect((await read(pub.id)).body.name).to.equal('Managed public');
      expect((await read(othersPrivate.id)).body.name).to.equal('Other creator private');
    });

    describe('the tree rules', () => {
      let a: Tag;
      let b: Tag;
      let cc: Tag;

      beforeEach(async () => {
        a = await aTag(m, { name: 'Tree A' });
        b = await aTag(m, { name: 'Tree B', parent: a.id });
        cc = await aTag(m, { name: 'Tree C', parent: b.id });
      });

      it('answers 409 CONFLICT for a move under the tag itself or one of its descendants', async () => {
        for (const parent of [a.id, b.id, cc.id]) {
          const res = await server.request('PATCH', tag(a.id), { ...m, body: { parent } });
          expectError(res, 409, 'CONFLICT');
          expect(res.body.message).to.contain('cannot move under itself');
        }
        expectError(await server.request('PUT', tag(b.id), { ...m, body: { name: 'Tree B', parent: cc.id } }), 409, 'CONFLICT');
        expect((await read(a.id)).body.parent).to.equal(null);
      });

      it('moves a tag anywhere else, the subtree with it', async () => {
        const other = await aTag(m, { name: 'Tree other' });
        const res = await server.request('PATCH', tag(b.id), { ...m, body: { parent: other.id } });
        expect(res.status).to.equal(200);
        expect(res.body.parent).to.equal(other.id);
        expect((await read(cc.id)).body.parent).to.equal(b.id);
        expect((await server.request('PATCH', tag(cc.id), { ...m, body: { parent: a.id } })).body.parent).to.equal(a.id);
      });

      it('never lets two concurrent moves build a cycle', async () => {
        for (let round = 0; round < 5; round++) {
          const x = await aTag(m, { name: `Race x${round}` });
          const y = await aTag(m, { name: `Race y${round}` });
          const results = await Promise.all([
            server.request('PATCH', tag(x.id), { ...m, body: { parent: y.id } }),
            server.request('PATCH', tag(y.id), { ...m, body: { parent: x.id } }),
          ]);
          const statuses = results.map((r) => r.status).sort();
          expect(statuses, JSON.stringify(results.map((r) => r.body))).to.deep.equal([200, 409]);
          const parents = [(await read(x.id)).body.parent, (await read(y.id)).body.parent];
          expect(parents.filter((parent) => parent === null)).to.have.length(1);
        }
      });

      it('answers 400 UNKNOWN_TAG for a new parent the caller cannot see', async () => {
        const own = await aTag(c, { name: 'Creator tree' });
        const hidden = await aTag(m, { name: 'Hidden parent', private: true });
        expectError(await server.request('PATCH', tag(own.id), { ...c, body: { parent: hidden.id } }), 400, 'UNKNOWN_TAG');
        expectError(await server.request('PATCH', tag(own.id), { ...c, body: { parent: 2_000_000_000 } }), 400, 'UNKNOWN_TAG');
        expect((await server.request('PATCH', tag(own.id), { ...c, body: { parent: a.id } })).body.parent).to.equal(a.id);
      });

      it('keeps public tags out from under private ones (409 CONFLICT) in every direction', async () => {
        const privateTag = await aTag(m, { name: 'Private holder', private: true });
        const move = await server.request('PATCH', tag(a.id), { ...m, body: { parent: privateTag.id } });
        expectError(move, 409, 'CONFLICT');
        expect(move.body.message).to.contain('a public tag cannot have a private parent');
        const hide = await server.request('PATCH', tag(b.id), { ...m, body: { private: true } });
        expectError(hide, 409, 'CONFLICT');
        expect(hide.body.message).to.equal(`Tag ${b.id} has public child tag ${cc.id}; a public tag cannot have a private parent`);
        // Private from the leaf up is fine; making a tag under a private one public again is not.
        expect((await server.request('PATCH', tag(cc.id), { ...m, body: { private: true } })).status).to.equal(200);
        expect((await server.request('PATCH', tag(b.id), { ...m, body: { private: true } })).status).to.equal(200);
        expectError(await server.request('PATCH', tag(cc.id), { ...m, body: { private: false } }), 409, 'CONFLICT');
        expect((await server.request('PATCH', tag(b.id), { ...m, body: { private: false } })).status).to.equal(200);
        expect((await server.request('PATCH', tag(cc.id), { ...m, body: { private: false } })).status).to.equal(200);
      });
    });

    it('answers 400 for malformed bodies and ids', async () => {
      const t = await aTag(m, { name: 'Malformed target' });
      for (const body of [{}, { name: '' }, { name: ' ' }, { parent: 'x' }, { private: 1 }, { owner: 5 }, { description: 5 }]) {
        expectError(await server.request('PATCH', tag(t.id), { ...m, body }), 400, 'VALIDATION_FAILED');
      }
      for (const body of [{}, { description: 'no name' }, { name: '  ' }]) {
        expectError(await server.request('PUT', tag(t.id), { ...m, body }), 400, 'VALIDATION_FAILED');
      }
      expectError(await server.request('PATCH', tag('abc'), { ...m, body: { name: 'x' } }), 400, 'INVALID_PATH');
      expect((await read(t.id)).body.name).to.equal('Malformed target');
    });
  });

  // ------------------------------------------------------------------ delete

  describe('limits and unusual input', () => {
    it('finds names case-insensitively beyond ASCII', async () => {
      const umlaut = await aTag(m, { name: 'Ärger Über Straße' });
      for (const search of ['ärger', 'ÄRGER', 'über', 'ÜBER STRASSE'.slice(0, 4), 'straße']) {
        const res = await server.request('GET', `${TAGS}?search=${encodeURIComponent(search)}`, p);
        expect(res.status, search).to.equal(200);
        expect(ids(res), search).to.include(umlaut.id);
      }
    });

    it('counts a name\'s length in characters, not UTF-16 units', async () => {
      const emoji = '😀'.repeat(200);
      expect((await aTag(m, { name: emoji })).name).to.equal(emoji);
      expectError(await server.request('POST', TAGS, { ...m, body: { name: `${emoji}😀` } }), 400, 'VALIDATION_FAILED');
    });

    it(`nests tags at most 32 levels deep, on create and on move`, async () => {
      let parent = await aTag(m, { name: 'Depth 1' });
      const top = parent;
      for (let depth = 2; depth <= 32; depth++) parent = await aTag(m, { name: `Depth ${depth}`, parent: parent.id });
      const tooDeep = await server.request('POST', TAGS, { ...m, body: { name: 'Depth 33', parent: parent.id } });
      expectError(tooDeep, 409, 'CONFLICT');
      expect(tooDeep.body.message).to.include('at most 32 levels');
      const pair = await aTag(m, { name: 'Pair top' });
      await aTag(m, { name: 'Pair bottom', parent: pair.id });
      const depth31 = (await server.request('GET', `${TAGS}?search=${encodeURIComponent('Depth 31')}`, m)).body.data[0];
      expectError(await server.request('PATCH', tag(pair.id), { ...m, body: { parent: depth31.id } }), 409, 'CONFLICT');
      const depth30 = (await server.request('GET', `${TAGS}?search=${encodeURIComponent('Depth 30')}`, m)).body.data[0];
      expect((await server.request('PATCH', tag(pair.id), { ...m, body: { parent: depth30.id } })).status).to.equal(200);
      expect((await server.request('DELETE', tag(top.id, '?cascade=true'), m)).status).to.equal(204);
      expectError(await read(parent.id), 404, 'NOT_FOUND');
    });

    it('routes the special collection away from the generic item routes', async () => {
      expectError(await server.request('GET', '/api/v1/collection/tags/get-by/name/x', m), 400, 'BAD_REQUEST');
      expectError(await server.request('GET', '/api/v1/collection/%74ags/get-by/name/x', m), 400, 'BAD_REQUEST');
      expectError(await server.request('SEARCH', tag(1), m), 400, 'SEARCH_NOT_ALLOWED');
    });

    it('lets a tenant with a tag tree be deleted', async () => {
      const doomed = await aTenant(server);
      const admin = { key: doomed.admin.key, host: doomed.host };
      const root = await server.request('POST', TAGS, { ...admin, body: { name: 'root' } });
      const child = await server.request('POST', TAGS, { ...admin, body: { name: 'child', parent: root.body.id } });
      expect(child.status, JSON.stringify(child.body)).to.equal(201);
      expect((await server.request('DELETE', `/api/v1/admin/tenants/${doomed.id}`, { key: server.adminKey })).status).to.equal(204);
      expect(await server.running.services.database.prisma.tag.count({ where: { tenantId: doomed.id } })).to.equal(0);
    });
  });

  describe('DELETE /collection/tags/{item}', () => {
    it('deletes a leaf (204); it is gone', async () => {
      const t = await aTag(m, { name: 'Delete me' });
      const res = await server.request('DELETE', tag(t.id), m);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expectError(await read(t.id), 404, 'NOT_FOUND');
      expectError(await server.request('DELETE', tag(t.id), m), 404, 'NOT_FOUND');
    });

    it('answers 409 CONFLICT for a tag with children, and deletes the whole subtree with cascade=true', async () => {
      const root = await aTag(m, { name: 'Cascade root' });
      const child = await aTag(m, { name: 'Cascade child', parent: root.id });
      const grandchildren = [await aTag(m, { name: 'Cascade gc1', parent: child.id }), await aTag(c, { name: 'Cascade gc2', parent: child.id })];
      const sibling = await aTag(m, { name: 'Cascade sibling' });
      const res = await server.request('DELETE', tag(root.id), m);
      expectError(res, 409, 'CONFLICT');
      // The message names no count: children the caller cannot see are not disclosed.
      expect(res.body.message).to.equal(`Tag ${root.id} has child tags; delete them first or use cascade=true`);
      expectError(await server.request('DELETE', tag(root.id, '?cascade=false'), m), 409, 'CONFLICT');
      expect((await read(grandchildren[1].id)).status).to.equal(200);
      expect((await server.request('DELETE', tag(root.id, '?cascade=true'), m)).status).to.equal(204);
      for (const gone of [root, child, ...grandchildren]) expectError(await read(gone.id), 404, 'NOT_FOUND');
      expect((await read(sibling.id)).status).to.equal(200);
    });

    it('lets a private-tag creator delete its own private tags only', async () => {
      const own = await aTag(c, { name: 'Own to delete' });
      const pub = await aTag(m, { name: 'Public not theirs' });
      const others = await aTag(c2, { name: 'Others to keep' });
      expectError(await server.request('DELETE', tag(pub.id), c), 403, 'PERMISSION_DENIED');
      expectError(await server.request('DELETE', tag(others.id), c), 404, 'NOT_FOUND');
      expectError(await server.request('DELETE', tag(pub.id), p), 403, 'PERMISSION_DENIED');
      expect((await server.request('DELETE', tag(own.id), c)).status).to.equal(204);
      expect((await read(pub.id)).status).to.equal(200);
      expect((await read(others.id)).status).to.equal(200);
    });

    it('answers 403 to a private-tag creator whose cascade would take a tag not its own', async () => {
      const own = await aTag(c, { name: 'Own cascade root' });
      const ownChild = await aTag(c, { name: 'Own cascade child', parent: own.id });
      const managersChild = await aTag(m, { name: 'Manager child of creator tag', parent: own.id, private: true });
      expectError(await server.request('DELETE', tag(own.id, '?cascade=true'), c), 403, 'PERMISSION_DENIED');
      for (const kept of [own, ownChild, managersChild]) expect((await read(kept.id)).status).to.equal(200);
      expect((await server.request('DELETE', tag(managersChild.id), m)).status).to.equal(204);
      expect((await server.request('DELETE', tag(own.id, '?cascade=true'), c)).status).to.equal(204);
      expectError(await read(ownChild.id), 404, 'NOT_FOUND');
    });

    it('answers 400 for a malformed id or cascade value', async () => {
      const t = await aTag(m, { name: 'Delete malformed' });
      expectError(await server.request('DELETE', tag('x1'), m), 400, 'INVALID_PATH');
      expectError(await server.request('DELETE', tag(t.id, '?cascade=maybe'), m), 400, 'VALIDATION_FAILED');
      expect((await read(t.id)).status).to.equal(200);
    });
  });

  // ------------------------------------------------------------------ assignments

  describe('tags.object and tags.assign', () => {
    let project: ItemTypeBody;
    let other: ItemTypeBody;
    let editor: TestUser;
    let e: As;
    let privateEditor: TestUser;
    let viewer: TestUser;
    let stranger: TestUser;
    let tagAdmin: TestUser;
    let item: Record<string, any>;
    let t1: Tag;
    let t2: Tag;
    let t3: Tag;
    let hidden: Tag;

    const assign = (as: As, body: Record<string, unknown>) => server.request('POST', ASSIGN, { ...as, body });
    const objectTags = (as: As, type: string | number, id: string | number) =>
      server.request('GET', `${OBJECT}?type=${encodeURIComponent(String(type))}&item=${encodeURIComponent(String(id))}`, as);

    before(async () => {
      project = await aType(server, [{ systemName: 'title', kind: 'string' }]);
      other = await aType(server, [{ systemName: 'title', kind: 'string' }]);
      const grant = (g: Record<string, boolean>) => [{ typeId: project.id, show: false, create: false, edit: false, delete: false, ...g }];
      editor = await aUser(server, ['useApi'], { typePermissions: grant({ show: true, create: true, edit: true, delete: true }) });
      privateEditor = await aUser(server, ['useApi', 'createPrivateTags'], { typePermissions: grant({ show: true, edit: true }) });
      viewer = await aUser(server, ['useApi'], { typePermissions: grant({ show: true }) });
      stranger = await aUser(server, ['useApi']);
      tagAdmin = await aUser(server, ['useApi', 'manageTags'], { typePermissions: allGrants(project.id, other.id) });
      e = { key: editor.key };
      item = await anItem(server, project.id, { title: 'Launch' }, e);
      t1 = await aTag(m, { name: 'Assign one' });
      t2 = await aTag(m, { name: 'Assign two' });
      t3 = await aTag(m, { name: 'Assign three' });
      hidden = await aTag({ key: privateEditor.key }, { name: 'Assign hidden' });
    });

    it('answers no tags for an untagged item', async () => {
      const res = await objectTags(e, project.id, item.id);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ typeId: project.id, objectId: item.id, tags: [] });
    });

    it('adds (idempotently), removes and replaces, answering the tags after the change by name', async () => {
      const added = await assign(e, { type: project.systemName, item: item.id, operation: 'add', tags: [t2.id, t1.id, t1.id] });
      expect(added.status, JSON.stringify(added.body)).to.equal(200);
      expect(added.body).to.deep.equal({ typeId: project.id, objectId: item.id, operation: 'add', tags: [seen(t1), seen(t2)] });
      const again = await assign(e, { type: project.id, item: item.uuid, operation: 'add', tags: [t2.id, t3.id] });
      expect(tagIds(again)).to.deep.equal([t1.id, t3.id, t2.id]);
      const removed = await assign(e, { type: String(project.id), item: String(item.id), operation: 'remove', tags: [t1.id, t3.id] });
      expect(removed.body).to.deep.include({ operation: 'remove' });
      expect(tagIds(removed)).to.deep.equal([t2.id]);
      const replaced = await assign(e, { type: project.systemName, item: item.id, operation: 'replace', tags: [t3.id, t1.id] });
      expect(tagIds(replaced)).to.deep.equal([t1.id, t3.id]);
      expect((await objectTags(e, project.systemName, item.uuid)).body.tags).to.deep.equal([seen(t1), seen(t3)]);
      expect(tagIds(await assign(e, { type: project.id, item: item.id, operation: 'replace', tags: [] }))).to.deep.equal([]);
    });

    it('leaves the tags the caller cannot see alone on replace, and shows each caller only what it sees', async () => {
      const pe = { key: privateEditor.key };
      expect(tagIds(await assign(pe, { type: project.id, item: item.id, operation: 'replace', tags: [hidden.id, t1.id] }))).to.deep.equal([hidden.id, t1.id]);
      const replaced = await assign(e, { type: project.id, item: item.id, operation: 'replace', tags: [t2.id] });
      expect(tagIds(replaced)).to.deep.equal([t2.id]);
      expect(tagIds(await objectTags(pe, project.id, item.id))).to.deep.equal([hidden.id, t2.id]);
      // manageTags does not stand in for the type's show grant: without any grant the type is hidden (404 as unknown).
      expectError(await objectTags(m, project.id, item.id), 404, 'NOT_FOUND');
      const full = await objectTags({ key: tagAdmin.key }, project.id, item.id);
      expect(tagIds(full)).to.deep.equal([hidden.id, t2.id]);
      expect(full.body.tags[0]).to.have.all.keys(FULL_KEYS);
      expect(full.body.tags[0].owner).to.equal(privateEditor.id);
      expectError(await assign(e, { type: project.id, item: item.id, operation: 'remove', tags: [hidden.id] }), 400, 'UNKNOWN_TAG');
      expect(tagIds(await assign(pe, { type: project.id, item: item.id, operation: 'remove', tags: [hidden.id] }))).to.deep.equal([t2.id]);
    });

    it('applies concurrent replaces one after the other: the item ends with exactly one of the sets', async () => {
      const sets = [[t1.id], [t2.id], [t3.id]];
      for (let round = 0; round < 5; round++) {
        const answers = await Promise.all(sets.map((tags) => assign(e, { type: project.id, item: item.id, operation: 'replace', tags })));
        for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
        const now = tagIds(await objectTags(e, project.id, item.id));
        expect(sets.map((set) => JSON.stringify(set))).to.include(JSON.stringify(now));
      }
      await assign(e, { type: project.id, item: item.id, operation: 'replace', tags: [] });
    });

    it('answers every one of concurrent identical adds', async () => {
      const racing = await anItem(server, project.id, { title: 'Racing' }, e);
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() => assign(e, { type: project.id, item: racing.id, operation: 'add', tags: [t1.id, t2.id] })),
      );
      for (const res of results) expect(tagIds(res), JSON.stringify(res.body)).to.deep.equal([t1.id, t2.id]);
    });

    it('answers 400 UNKNOWN_TAG naming the first tag the caller cannot see, and changes nothing', async () => {
      await assign(e, { type: project.id, item: item.id, operation: 'replace', tags: [t1.id] });
      for (const unknown of [hidden.id, 2_000_000_000]) {
        const res = await assign(e, { type: project.id, item: item.id, operation: 'replace', tags: [t2.id, unknown] });
        expectError(res, 400, 'UNKNOWN_TAG');
        expect(res.body.message).to.equal(`Tag ${unknown} does not exist or is not visible to you`);
      }
      expect(tagIds(await objectTags(e, project.id, item.id))).to.deep.equal([t1.id]);
    });

    it('requires the show grant for tags.object and the edit grant for tags.assign (403 PERMISSION_DENIED)', async () => {
      expect((await objectTags({ key: viewer.key }, project.id, item.id)).status).to.equal(200);
      const denied = await assign({ key: viewer.key }, { type: project.id, item: item.id, operation: 'add', tags: [t2.id] });
      expectError(denied, 403, 'PERMISSION_DENIED');
      expect(denied.body.message).to.contain(`edit on ${project.systemName}`);
      // Without any grant on the type it is hidden: 404, as for an unknown type (issue 7).
      expectError(await objectTags({ key: stranger.key }, project.id, item.id), 404, 'NOT_FOUND');
      expectError(await assign({ key: stranger.key }, { type: project.id, item: item.id, operation: 'add', tags: [t2.id] }), 404, 'NOT_FOUND');
      expect(tagIds(await objectTags(e, project.id, item.id))).to.deep.equal([t1.id]);
    });

    it('answers 404 NOT_FOUND for an unknown type or an item that is not of the type', async () => {
      const foreign = await anItem(server, other.id, { title: 'Other' }, { key: tagAdmin.key });
      expectError(await objectTags(e, 'no_such_type', item.id), 404, 'NOT_FOUND');
      expectError(await objectTags(e, 987654, item.id), 404, 'NOT_FOUND');
      for (const id of [foreign.id, 2_000_000_000, '99999999999', '00000000-0000-4000-8000-000000000000', 'nope']) {
        expectError(await objectTags(e, project.id, id), 404, 'NOT_FOUND');
        expectError(await assign(e, { type: project.id, item: id, operation: 'add', tags: [t1.id] }), 404, 'NOT_FOUND');
      }
      expectError(await assign(e, { type: 'no_such_type', item: item.id, operation: 'add', tags: [t1.id] }), 404, 'NOT_FOUND');
    });

    it('answers 400 VALIDATION_FAILED for malformed commands', async () => {
      const bodies: unknown[] = [
        {},
        { type: project.id, item: item.id, operation: 'toggle', tags: [t1.id] },
        { type: project.id, item: item.id, operation: 'add' },
        { type: project.id, item: item.id, operation: 'add', tags: t1.id },
        { type: project.id, item: item.id, operation: 'add', tags: ['one'] },
        { type: project.id, item: item.id, operation: 'add', tags: [0] },
        { type: project.id, item: 0, operation: 'add', tags: [] },
        { type: project.id, item: item.id, operation: 'add', tags: [], extra: true },
        { type: '', item: item.id, operation: 'add', tags: [] },
      ];
      for (const body of bodies) expectError(await assign(e, body as Record<string, unknown>), 400, 'VALIDATION_FAILED');
      expectError(await server.request('GET', `${OBJECT}?type=${project.id}`, e), 400, 'VALIDATION_FAILED');
      expectError(await server.request('GET', `${OBJECT}?item=${item.id}`, e), 400, 'VALIDATION_FAILED');
    });

    it('drops the assignments of a deleted tag', async () => {
      const doomed = await aTag(m, { name: 'Assign doomed' });
      await assign(e, { type: project.id, item: item.id, operation: 'add', tags: [doomed.id] });
      expect(tagIds(await objectTags(e, project.id, item.id))).to.include(doomed.id);
      expect((await server.request('DELETE', tag(doomed.id), m)).status).to.equal(204);
      expect(tagIds(await objectTags(e, project.id, item.id))).to.not.include(doomed.id);
    });

    it('drops the assignments of every tag a cascade deletes, and only those', async () => {
      const top = await aTag(m, { name: 'Assign cascade top' });
      const middle = await aTag(m, { name: 'Assign cascade middle', parent: top.id });
      const leaf = await aTag(m, { name: 'Assign cascade leaf', parent: middle.id });
      const kept = await aTag(m, { name: 'Assign cascade kept' });
      await assign(e, { type: project.id, item: item.id, operation: 'add', tags: [middle.id, leaf.id, kept.id] });
      expect((await server.request('DELETE', tag(top.id, '?cascade=true'), m)).status).to.equal(204);
      const left = tagIds(await objectTags(e, project.id, item.id));
      expect(left).to.include(kept.id).and.not.include.members([top.id, middle.id, leaf.id]);
      const db = server.running.services.database.prisma;
      expect(await db.itemTag.count({ where: { tagId: { in: [top.id, middle.id, leaf.id] } } })).to.equal(0);
      await assign(e, { type: project.id, item: item.id, operation: 'remove', tags: [kept.id] });
    });
  });

  // ------------------------------------------------------------------ tenants

  describe('tenant isolation', () => {
    let tenant: TestTenant;
    let a: As;
    let b: As;
    let tagA: Tag;
    let tagB: Tag;
    let typeB: ItemTypeBody;
    let itemB: Record<string, any>;
    let typeA: ItemTypeBody;
    let itemA: Record<string, any>;

    before(async () => {
      tenant = await aTenant(server);
      const operatorB = { key: tenant.admin.key, host: tenant.host };
      typeA = await aType(server, [{ systemName: 'title', kind: 'string' }]);
      typeB = await aType(server, [{ systemName: 'title', kind: 'string' }], operatorB);
      // In each tenant, a tag manager holding every grant on that tenant's type.
      a = { key: (await aUser(server, ['useApi', 'manageTags'], { typePermissions: allGrants(typeA.id) })).key };
      const userB = await aUser(server, ['useApi', 'manageTags'], { ...operatorB, typePermissions: allGrants(typeB.id) });
      b = { key: userB.key, host: tenant.host };
      tagA = await aTag(a, { name: 'Tenant A tag' });
      tagB = await aTag(b, { name: 'Tenant B tag' });
      itemA = await anItem(server, typeA.id, { title: 'A' }, a);
      itemB = await anItem(server, typeB.id, { title: 'B' }, b);
    });

    it("hides each tenant's tags from the other's reads and lists", async () => {
      expectError(await server.request('GET', tag(tagA.id), b), 404, 'NOT_FOUND');
      expectError(await server.request('GET', tag(tagB.id), a), 404, 'NOT_FOUND');
      const listB = await server.request('GET', `${TAGS}?perPage=100`, b);
      expect(ids(listB)).to.deep.equal([tagB.id]);
      expect(listB.body.stats.total).to.equal(1);
      expect(ids(await server.request('GET', `${TAGS}?search=Tenant`, a))).to.deep.equal([tagA.id]);
      expectError(await server.request('GET', `${TAGS}?parent=${tagA.id}`, b), 400, 'UNKNOWN_TAG');
    });

    it("refuses to change, delete or hang tags under the other tenant's tags", async () => {
      expectError(await server.request('PATCH', tag(tagA.id), { ...b, body: { name: 'hijack' } }), 404, 'NOT_FOUND');
      expectError(await server.request('PUT', tag(tagB.id), { ...a, body: { name: 'hijack' } }), 404, 'NOT_FOUND');
      expectError(await server.request('DELETE', tag(tagA.id), b), 404, 'NOT_FOUND');
      expectError(await server.request('DELETE', tag(tagB.id), a), 404, 'NOT_FOUND');
      expectError(await server.request('POST', TAGS, { ...b, body: { name: 'child', parent: tagA.id } }), 400, 'UNKNOWN_TAG');
      expectError(await server.request('PATCH', tag(tagA.id), { ...a, body: { parent: tagB.id } }), 400, 'UNKNOWN_TAG');
      expect((await server.request('GET', tag(tagA.id), a)).body).to.deep.include({ name: 'Tenant A tag', parent: null });
      expect((await server.request('GET', tag(tagB.id), b)).body).to.deep.include({ name: 'Tenant B tag', parent: null });
    });

    it("refuses to assign the other tenant's tags, or to reach its items", async () => {
      expectError(await assign(b, typeB.id, itemB.id, [tagA.id]), 400, 'UNKNOWN_TAG');
      expectError(await assign(a, typeA.id, itemA.id, [tagB.id]), 400, 'UNKNOWN_TAG');
      expectError(await assign(b, typeA.id, itemA.id, [tagB.id]), 404, 'NOT_FOUND');
      expect(tagIds(await assign(b, typeB.id, itemB.id, [tagB.id]))).to.deep.equal([tagB.id]);
      expectError(await server.request('GET', `${OBJECT}?type=${typeB.id}&item=${itemB.id}`, a), 404, 'NOT_FOUND');
    });

    function assign(as: As, type: number, item: number, tags: number[]) {
      return server.request('POST', ASSIGN, { ...as, body: { type, item, operation: 'add', tags } });
    }
  });
});
