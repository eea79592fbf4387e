// Operator management of types and properties (/admin/types...): every kind and flag, the
// validation of definitions, and changes that must never lose or invalidate stored values
// silently (409 naming the property instead, or a migration in the same transaction).
import { expect } from 'chai';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aUser, type TestUser } from '../helpers/principals.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import { aType, aUserWithGrants, allGrants, anItem, systemName, type As, type ItemTypeBody, type PropertySpec } from '../helpers/collections.ts';
import { expectError } from '../helpers/expectations.ts';

const col = (collection: string | number, rest = '') => `/api/v1/collection/${collection}${rest}`;
const paths = (res: ApiResponse) => ((res.body.details ?? []) as { path?: string }[]).map((d) => d.path);

describe('/admin/types', () => {
  let server: TestServer;
  let operator: TestUser;
  let op: As;
  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    operator = await aUser(server, ['useApi', 'appManagement']);
    op = { key: operator.key };
  });
  after(() => server.stop());

  const createType = (body: unknown, as: As = op) => server.request('POST', '/api/v1/admin/types', { ...as, body });
  const getType = (id: number, as: As = op) => server.request('GET', `/api/v1/admin/types/${id}`, as);
  const addProperty = (typeId: number, body: unknown) => server.request('POST', `/api/v1/admin/types/${typeId}/properties`, { ...op, body });
  const patchProperty = (typeId: number, propertyId: number, body: unknown) =>
    server.request('PATCH', `/api/v1/admin/types/${typeId}/properties/${propertyId}`, { ...op, body });
  const deleteProperty = (typeId: number, propertyId: number, query = '') =>
    server.request('DELETE', `/api/v1/admin/types/${typeId}/properties/${propertyId}${query}`, op);
  const propertyOf = (type: ItemTypeBody, name: string) => type.properties.find((p) => p.systemName === name)!;

  /** A type with `properties`, a user with every grant on it, and `items` created through the API. */
  async function typeWithItems(properties: PropertySpec[], items: Record<string, unknown>[] = []) {
    const type = await aType(server, properties, op);
    const as = { key: (await aUserWithGrants(server, allGrants(type.id))).key };
    const created: Record<string, any>[] = [];
    for (const body of items) created.push(await anItem(server, type.id, body, as));
    return { type, as, items: created };
  }
  const read = async (typeId: number, id: number, as: As) => {
    const res = await server.request('GET', col(typeId, `/${id}`), as);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as Record<string, any>;
  };

  // ------------------------------------------------------------------ types

  describe('POST /admin/types', () => {
    it('answers 201 with a property of every kind, its flags and defaults', async () => {
      const target = await aType(server, [{ systemName: 'name', kind: 'string' }], op);
      const name = systemName('every');
      const res = await createType({
        systemName: name,
        name: 'Every kind',
        readLog: true,
        properties: [
          { systemName: 'title', name: 'Title', kind: 'string', required: true, unique: true },
          { systemName: 'body', kind: 'text' },
          { systemName: 'count', kind: 'integer', default: 3 },
          { systemName: 'score', kind: 'number', default: 1.5 },
          { systemName: 'done', kind: 'boolean', default: true },
          { systemName: 'due', kind: 'datetime', default: '2024-01-01T10:00:00Z' },
          { systemName: 'day', kind: 'date', default: '2024-02-29' },
          { systemName: 'month', kind: 'month', default: '2024-11' },
          { systemName: 'status', kind: 'enum', enumValues: ['open', 'done'], default: 'open' },
          { systemName: 'owner', kind: 'reference', referenceType: target.id },
          { systemName: 'owner_by_name', kind: 'reference', referenceType: target.systemName },
          { systemName: 'parent', kind: 'reference', referenceType: name },
          { systemName: 'labels', kind: 'string', multiple: true, default: ['a', 'b'] },
        ],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const type = res.body as ItemTypeBody;
      expect(type).to.include({ systemName: name, name: 'Every kind', readLog: true });
      expect(type.properties.map((p) => p.systemName)).to.deep.equal([
        'title', 'body', 'count', 'score', 'done', 'due', 'day', 'month', 'status', 'owner', 'owner_by_name', 'parent', 'labels',
      ]);
      const by = (n: string) => propertyOf(type, n);
      expect(by('title')).to.deep.equal({ id: by('title').id, systemName: 'title', name: 'Title', kind: 'string', required: true, unique: true, multiple: false, default: null });
      expect(by('body')).to.include({ name: 'body', kind: 'text', required: false, unique: false, multiple: false, default: null });
      expect(by('count').default).to.equal(3);
      expect(by('score').default).to.equal(1.5);
      expect(by('done').default).to.equal(true);
      expect(Date.parse(by('due').default as string)).to.equal(Date.parse('2024-01-01T10:00:00Z'));
      expect(by('day').default).to.equal('2024-02-29');
      expect(by('month').default).to.equal('2024-11');
      expect(by('status')).to.include({ kind: 'enum', default: 'open' });
      expect(by('status').enumValues).to.deep.equal(['open', 'done']);
      expect(by('owner')).to.include({ kind: 'reference', referenceType: target.id });
      expect(by('owner_by_name').referenceType).to.equal(target.id);
      expect(by('parent').referenceType, 'self-reference by system name').to.equal(type.id);
      expect(by('labels')).to.include({ multiple: true });
      expect(by('labels').default).to.deep.equal(['a', 'b']);
      for (const p of type.properties) {
        if (p.kind !== 'enum') expect(p, p.systemName).to.not.have.property('enumValues');
        if (p.kind !== 'reference') expect(p, p.systemName).to.not.have.property('referenceType');
      }

      expect((await getType(type.id)).body).to.deep.equal(type);
      const listed = await server.request('GET', '/api/v1/admin/types', op);
      expect(listed.status).to.equal(200);
      expect(listed.body.data.find((t: { id: number }) => t.id === type.id)).to.deep.equal(type);

      // The defaults are what an item gets for what it leaves out.
      const as = { key: (await aUserWithGrants(server, allGrants(type.id))).key };
      const item = await anItem(server, type.id, { title: 'defaults' }, as);
      expect(item).to.include({ count: 3, score: 1.5, done: true, day: '2024-02-29', month: '2024-11', status: 'open', owner: null, parent: null });
      expect(Date.parse(item.due)).to.equal(Date.parse('2024-01-01T10:00:00Z'));
      expect(item.labels).to.deep.equal(['a', 'b']);
      const child = await anItem(server, name, { title: 'child', parent: item.id }, as);
      expect(child.parent).to.equal(item.id);
    });

    it('defaults name to the system name, readLog to false and properties to none', async () => {
      const name = systemName('bare');
      const res = await createType({ systemName: name });
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.equal({ id: res.body.id, systemName: name, name, readLog: false, properties: [] });
    });

    describe('when a property takes the name of a system field', () => {
      it('answers 400 VALIDATION_FAILED naming the property', async () => {
        for (const field of ['id', 'uuid', 'created_on', 'created_by', 'updated_on', 'updated_by']) {
          const res = await createType({ systemName: systemName(), properties: [{ systemName: 'title', kind: 'string' }, { systemName: field, kind: 'string' }] });
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res), field).to.deep.equal(['body.properties[1].systemName']);
        }
      });
    });

    describe('when an enum property has no values', () => {
      it('answers 400 VALIDATION_FAILED naming enumValues', async () => {
        const missing = await createType({ systemName: systemName(), properties: [{ systemName: 'status', kind: 'enum' }] });
        expectError(missing, 400, 'VALIDATION_FAILED');
        expect(paths(missing)).to.deep.equal(['body.properties[0].enumValues']);
        const empty = await createType({ systemName: systemName(), properties: [{ systemName: 'status', kind: 'enum', enumValues: [] }] });
        expectError(empty, 400, 'VALIDATION_FAILED');
        expect(paths(empty).join(' ')).to.contain('enumValues');
        const duplicated = await createType({ systemName: systemName(), properties: [{ systemName: 'status', kind: 'enum', enumValues: ['a', 'a'] }] });
        expectError(duplicated, 400, 'VALIDATION_FAILED');
      });
    });

    describe('when a property that is not an enum has enumValues', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        const res = await createType({ systemName: systemName(), properties: [{ systemName: 'title', kind: 'string', enumValues: ['a'] }] });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(paths(res)).to.deep.equal(['body.properties[0].enumValues']);
      });
    });

    describe('when a reference names no type of this tenant', () => {
      let other: TestTenant;
      let foreign: ItemTypeBody;
      before(async () => {
        other = await aTenant(server);
        foreign = await aType(server, [{ systemName: 'name', kind: 'string' }], { key: other.admin.key, host: other.host });
      });

      it('answers 400 VALIDATION_FAILED naming referenceType for an unknown id or name', async () => {
        for (const referenceType of [987654, 'no_such_type']) {
          const res = await createType({ systemName: systemName(), properties: [{ systemName: 'ref', kind: 'reference', referenceType }] });
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res), String(referenceType)).to.deep.equal(['body.properties[0].referenceType']);
        }
      });

      it("answers 400 VALIDATION_FAILED for another tenant's type id or name", async () => {
        for (const referenceType of [foreign.id, foreign.systemName]) {
          const res = await createType({ systemName: systemName(), properties: [{ systemName: 'ref', kind: 'reference', referenceType }] });
          expectError(res, 400, 'VALIDATION_FAILED');
        }
      });

      it('answers 400 VALIDATION_FAILED for a reference without referenceType, or referenceType on another kind', async () => {
        const missing = await createType({ systemName: systemName(), properties: [{ systemName: 'ref', kind: 'reference' }] });
        expectError(missing, 400, 'VALIDATION_FAILED');
        expect(paths(missing)).to.deep.equal(['body.properties[0].referenceType']);
        const misplaced = await createType({ systemName: systemName(), properties: [{ systemName: 'ref', kind: 'integer', referenceType: foreign.id }] });
        expectError(misplaced, 400, 'VALIDATION_FAILED');
      });
    });

    describe('when two properties share a system name', () => {
      it('answers 400 VALIDATION_FAILED naming the properties', async () => {
        const res = await createType({ systemName: systemName(), properties: [{ systemName: 'title', kind: 'string' }, { systemName: 'title', kind: 'text' }] });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(paths(res)).to.deep.equal(['body.properties']);
        expect(res.body.details[0].message).to.contain('title');
      });
    });

    describe('when the system name is taken in this tenant', () => {
      it('answers 409 CONFLICT; the same name in another tenant is fine', async () => {
        const name = systemName('taken');
        expect((await createType({ systemName: name })).status).to.equal(201);
        expectError(await createType({ systemName: name, properties: [{ systemName: 'x', kind: 'string' }] }), 409, 'CONFLICT');
        const other = await aTenant(server);
        expect((await createType({ systemName: name }, { key: other.admin.key, host: other.host })).status).to.equal(201);
      });
    });

    describe('when a name or kind is malformed', () => {
      it('answers 400 VALIDATION_FAILED naming the field', async () => {
        for (const [body, path] of [
          [{ systemName: 'Has Space' }, 'body.systemName'],
          [{ systemName: 'UPPER' }, 'body.systemName'],
          [{ systemName: '1abc' }, 'body.systemName'],
          [{ systemName: `a${'b'.repeat(63)}` }, 'body.systemName'],
          [{ systemName: 'ok_name', properties: [{ systemName: 'Bad-Name', kind: 'string' }] }, 'body.properties.0.systemName'],
          [{ systemName: 'ok_name', properties: [{ systemName: 'x', kind: 'blob' }] }, 'body.properties.0.kind'],
          [{ systemName: 'ok_name', properties: [{ systemName: 'x' }] }, 'body.properties.0.kind'],
          [{ systemName: 'ok_name', color: 'red' }, 'body.color'],
          [{ name: 'No system name' }, 'body.systemName'],
        ] as [Record<string, unknown>, string][]) {
          const res = await createType(body);
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res), JSON.stringify(body)).to.include(path);
        }
      });
    });

    describe('when a name or value holds a NUL character', () => {
      it('answers 201 or 400, never 500', async () => {
        for (const body of [
          { systemName: systemName(), name: 'nul\u0000name' },
          { systemName: systemName(), properties: [{ systemName: 'p', kind: 'string', name: 'nul\u0000' }] },
          { systemName: systemName(), properties: [{ systemName: 'p', kind: 'string', default: 'nul\u0000' }] },
          { systemName: systemName(), properties: [{ systemName: 'p', kind: 'enum', enumValues: ['nul\u0000'] }] },
        ]) {
          const res = await createType(body);
          expect(res.status, JSON.stringify(body)).to.be.oneOf([201, 400]);
        }
      });
    });

    describe('when a default does not fit its property', () => {
      it('answers 400 VALIDATION_FAILED naming the default', async () => {
        for (const property of [
          { systemName: 'p', kind: 'integer', default: 'x' },
          { systemName: 'p', kind: 'integer', default: 1.5 },
          { systemName: 'p', kind: 'boolean', default: 'yes' },
          { systemName: 'p', kind: 'date', default: '2024-02-30' },
          { systemName: 'p', kind: 'month', default: '2024-13' },
          { systemName: 'p', kind: 'datetime', default: 'soon' },
          { systemName: 'p', kind: 'enum', enumValues: ['a'], default: 'b' },
          { systemName: 'p', kind: 'string', multiple: true, default: 'not-an-array' },
          { systemName: 'p', kind: 'string', default: 'x'.repeat(501) },
        ]) {
          const res = await createType({ systemName: systemName(), properties: [property] });
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(paths(res), JSON.stringify(property).slice(0, 80)).to.deep.equal(['body.properties[0].default']);
        }
      });
    });

    describe('when a later property fails', () => {
      it('creates nothing: the system name stays free', async () => {
        const name = systemName('half');
        const res = await createType({ systemName: name, properties: [{ systemName: 'ok', kind: 'string' }, { systemName: 'ref', kind: 'reference', referenceType: 'missing_type' }] });
        expectError(res, 400, 'VALIDATION_FAILED');
        const listed = await server.request('GET', '/api/v1/admin/types', op);
        expect(listed.body.data.map((t: { systemName: string }) => t.systemName)).to.not.include(name);
        expectError(await server.request('GET', col(name), { key: server.adminKey }), 404, 'NOT_FOUND');
        expect((await createType({ systemName: name })).status).to.equal(201);
      });
    });
  });

  describe('GET, PATCH and DELETE /admin/types/{typeId}', () => {
    it('changes name and readLog, nothing else', async () => {
      const type = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
      const res = await server.request('PATCH', `/api/v1/admin/types/${type.id}`, { ...op, body: { name: 'Renamed', readLog: true } });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...type, name: 'Renamed', readLog: true });
      const off = await server.request('PATCH', `/api/v1/admin/types/${type.id}`, { ...op, body: { readLog: false } });
      expect(off.body).to.deep.equal({ ...type, name: 'Renamed', readLog: false });
    });

    describe('when the patch is empty or names other fields', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        const type = await aType(server, [], op);
        for (const body of [{}, { systemName: 'other_name' }, { properties: [] }, { name: '' }]) {
          expectError(await server.request('PATCH', `/api/v1/admin/types/${type.id}`, { ...op, body }), 400, 'VALIDATION_FAILED');
        }
        expect((await getType(type.id)).body).to.deep.equal(type);
      });
    });

    it('deletes a type without items (204); its collection is gone', async () => {
      const type = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
      const res = await server.request('DELETE', `/api/v1/admin/types/${type.id}`, op);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expectError(await getType(type.id), 404, 'NOT_FOUND');
      expectError(await server.request('GET', col(type.systemName), { key: server.adminKey }), 404, 'NOT_FOUND');
      // The system name can be used again.
      expect((await createType({ systemName: type.systemName })).status).to.equal(201);
    });

    describe('when the type has items', () => {
      it('answers 409 CONFLICT and keeps type and items; force=true deletes both', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'title', kind: 'string' }], [{ title: 'a' }, { title: 'b' }]);
        const refused = await server.request('DELETE', `/api/v1/admin/types/${type.id}`, op);
        expectError(refused, 409, 'CONFLICT');
        expect(refused.body.message).to.contain(type.systemName);
        expect((await getType(type.id)).status).to.equal(200);
        expect((await server.request('GET', col(type.id), as)).body.stats.total).to.equal(2);
        expectError(await server.request('DELETE', `/api/v1/admin/types/${type.id}?force=false`, op), 409, 'CONFLICT');

        expect((await server.request('DELETE', `/api/v1/admin/types/${type.id}?force=true`, op)).status).to.equal(204);
        expectError(await getType(type.id), 404, 'NOT_FOUND');
        expectError(await server.request('GET', col(type.id, `/${items[0].id}`), as), 404, 'NOT_FOUND');
      });
    });

    describe("when another type's property references the type", () => {
      it('answers 409 CONFLICT naming the property, even with force=true', async () => {
        const target = await aType(server, [{ systemName: 'name', kind: 'string' }], op);
        const referencing = await aType(server, [{ systemName: 'link', kind: 'reference', referenceType: target.id }], op);
        for (const query of ['', '?force=true']) {
          const res = await server.request('DELETE', `/api/v1/admin/types/${target.id}${query}`, op);
          expectError(res, 409, 'CONFLICT');
          expect(res.body.message).to.contain(`${referencing.systemName}.link`);
        }
        expect((await deleteProperty(referencing.id, propertyOf(referencing, 'link').id)).status).to.equal(200);
        expect((await server.request('DELETE', `/api/v1/admin/types/${target.id}`, op)).status).to.equal(204);
      });
    });

    it('deletes a self-referencing type with items with force=true', async () => {
      const name = systemName('tree');
      const type = await aType(server, [{ systemName: 'parent', kind: 'reference', referenceType: name }], { ...op, systemName: name });
      const as = { key: (await aUserWithGrants(server, allGrants(type.id))).key };
      const root = await anItem(server, type.id, {}, as);
      await anItem(server, type.id, { parent: root.id }, as);
      expectError(await server.request('DELETE', `/api/v1/admin/types/${type.id}`, op), 409, 'CONFLICT');
      expect((await server.request('DELETE', `/api/v1/admin/types/${type.id}?force=true`, op)).status).to.equal(204);
    });

    it('deletes a type that roles grant and whose reads were audited; the grants go with it', async () => {
      const type = await aType(server, [{ systemName: 'title', kind: 'string' }], { ...op, readLog: true });
      const reader = await aUserWithGrants(server, allGrants(type.id));
      const item = await anItem(server, type.id, { title: 'audited' }, { key: reader.key });
      await read(type.id, item.id, { key: reader.key });
      expect((await server.request('DELETE', `/api/v1/admin/types/${type.id}?force=true`, op)).status).to.equal(204);
      const role = await server.request('GET', `/api/v1/admin/roles/${reader.roleId}`, op);
      expect(role.status).to.equal(200);
      expect(role.body.typePermissions).to.deep.equal([]);
      expectError(await server.request('GET', col(type.id), { key: reader.key }), 404, 'NOT_FOUND');
    });

    describe('when the type does not exist', () => {
      it('answers 404 NOT_FOUND on every route', async () => {
        for (const [method, path, body] of [
          ['GET', '/api/v1/admin/types/987654'],
          ['PATCH', '/api/v1/admin/types/987654', { name: 'x' }],
          ['DELETE', '/api/v1/admin/types/987654'],
          ['POST', '/api/v1/admin/types/987654/properties', { systemName: 'x', kind: 'string' }],
          ['PATCH', '/api/v1/admin/types/987654/properties/1', { name: 'x' }],
          ['DELETE', '/api/v1/admin/types/987654/properties/1'],
        ] as [string, string, unknown?][]) {
          expectError(await server.request(method, path, { ...op, body }), 404, 'NOT_FOUND');
        }
      });

      it('answers 400 VALIDATION_FAILED for a type id that is not a positive integer', async () => {
        for (const id of ['abc', '0', '-1']) {
          expectError(await server.request('GET', `/api/v1/admin/types/${id}`, op), 400, 'VALIDATION_FAILED');
        }
      });
    });
  });

  // ------------------------------------------------------------------ properties

  describe('POST /admin/types/{typeId}/properties', () => {
    it('adds an optional property to a type with items (201); items read null for it', async () => {
      const { type, as, items } = await typeWithItems([{ systemName: 'title', kind: 'string' }], [{ title: 'a' }]);
      const res = await addProperty(type.id, { systemName: 'rank', name: 'Rank', kind: 'integer' });
      expect(res.status).to.equal(201);
      expect(res.body.properties.map((p: { systemName: string }) => p.systemName)).to.deep.equal(['title', 'rank']);
      expect(propertyOf(res.body, 'rank')).to.include({ name: 'Rank', kind: 'integer', required: false, default: null });
      expect((await read(type.id, items[0].id, as)).rank).to.equal(null);
      const created = await anItem(server, type.id, { title: 'b', rank: 4 }, as);
      expect(created.rank).to.equal(4);
    });

    it('adds a required property without a default to a type without items', async () => {
      const type = await aType(server, [], op);
      const res = await addProperty(type.id, { systemName: 'title', kind: 'string', required: true });
      expect(res.status).to.equal(201);
      expect(propertyOf(res.body, 'title').required).to.equal(true);
    });

    describe('when a required property without a default is added to a type with items', () => {
      it('answers 409 CONFLICT naming the property and adds nothing', async () => {
        const { type } = await typeWithItems([{ systemName: 'title', kind: 'string' }], [{ title: 'a' }]);
        const res = await addProperty(type.id, { systemName: 'rank', kind: 'integer', required: true });
        expectError(res, 409, 'CONFLICT');
        expect(res.body.message).to.contain('rank');
        expect((await getType(type.id)).body.properties.map((p: { systemName: string }) => p.systemName)).to.deep.equal(['title']);
      });
    });

    describe('when a required property with a default is added to a type with items', () => {
      it('answers 201 and the existing items hold the default', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'title', kind: 'string' }], [{ title: 'a' }]);
        expect((await addProperty(type.id, { systemName: 'rank', kind: 'integer', required: true, default: 5 })).status).to.equal(201);
        expect((await read(type.id, items[0].id, as)).rank).to.equal(5);
        const filtered = await server.request('SEARCH', col(type.id), { ...as, body: { filters: [{ property: 'rank', type: 'eq', param: 5 }] } });
        expect(filtered.status).to.equal(200);
        // Editing another field must not fail on a value the item was never asked for.
        expect((await server.request('PATCH', col(type.id, `/${items[0].id}`), { ...as, body: { title: 'b' } })).status).to.equal(200);
      });
    });

    describe('when the property name is taken, a system field or malformed', () => {
      it('answers 409 CONFLICT for a taken name and 400 VALIDATION_FAILED for the others', async () => {
        const type = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
        expectError(await addProperty(type.id, { systemName: 'title', kind: 'text' }), 409, 'CONFLICT');
        expectError(await addProperty(type.id, { systemName: 'uuid', kind: 'string' }), 400, 'VALIDATION_FAILED');
        expectError(await addProperty(type.id, { systemName: 'Bad', kind: 'string' }), 400, 'VALIDATION_FAILED');
        expectError(await addProperty(type.id, { systemName: 'e', kind: 'enum' }), 400, 'VALIDATION_FAILED');
        expectError(await addProperty(type.id, { systemName: 'r', kind: 'reference', referenceType: 987654 }), 400, 'VALIDATION_FAILED');
        expect((await getType(type.id)).body).to.deep.equal(type);
      });
    });
  });

  describe('PATCH /admin/types/{typeId}/properties/{propertyId}', () => {
    it('renames a property', async () => {
      const type = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
      const res = await patchProperty(type.id, type.properties[0].id, { name: 'Headline' });
      expect(res.status).to.equal(200);
      expect(res.body.properties[0]).to.include({ systemName: 'title', name: 'Headline' });
    });

    describe('when the kind or system name would change, or the patch is empty', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        const type = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
        for (const body of [{ kind: 'integer' }, { systemName: 'other' }, { referenceType: 1 }, {}]) {
          expectError(await patchProperty(type.id, type.properties[0].id, body), 400, 'VALIDATION_FAILED');
        }
        expectError(await patchProperty(type.id, type.properties[0].id, { enumValues: ['a'] }), 400, 'VALIDATION_FAILED');
        expect((await getType(type.id)).body).to.deep.equal(type);
      });
    });

    describe('when the property does not belong to the type', () => {
      it('answers 404 NOT_FOUND', async () => {
        const one = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
        const two = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
        expectError(await patchProperty(one.id, two.properties[0].id, { name: 'x' }), 404, 'NOT_FOUND');
        expectError(await deleteProperty(one.id, two.properties[0].id), 404, 'NOT_FOUND');
        expectError(await patchProperty(one.id, 987654, { name: 'x' }), 404, 'NOT_FOUND');
      });
    });

    describe('required', () => {
      it('answers 409 CONFLICT while items lack a value and there is no default; nothing changes', async () => {
        const { type, as } = await typeWithItems([{ systemName: 'title', kind: 'string' }, { systemName: 'rank', kind: 'integer' }], [{ title: 'a', rank: 1 }, { title: 'b' }]);
        const rank = propertyOf(type, 'rank');
        const res = await patchProperty(type.id, rank.id, { required: true });
        expectError(res, 409, 'CONFLICT');
        expect(res.body.message).to.contain('rank');
        expect(propertyOf((await getType(type.id)).body, 'rank').required).to.equal(false);
        expect((await server.request('POST', col(type.id), { ...as, body: { title: 'c' } })).status).to.equal(201);
      });

      it('becomes required when every item has a value; later writes without it answer 400', async () => {
        const { type, as } = await typeWithItems([{ systemName: 'title', kind: 'string' }, { systemName: 'rank', kind: 'integer' }], [{ title: 'a', rank: 1 }, { title: 'b', rank: 2 }]);
        const res = await patchProperty(type.id, propertyOf(type, 'rank').id, { required: true });
        expect(res.status).to.equal(200);
        expect(propertyOf(res.body, 'rank').required).to.equal(true);
        const refused = await server.request('POST', col(type.id), { ...as, body: { title: 'c' } });
        expectError(refused, 400, 'VALIDATION_FAILED');
        expect(paths(refused)).to.deep.equal(['body.rank']);
      });

      it('becomes required with a default while items lack a value; those items then hold the default', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'title', kind: 'string' }, { systemName: 'rank', kind: 'integer' }], [{ title: 'a' }]);
        const res = await patchProperty(type.id, propertyOf(type, 'rank').id, { required: true, default: 9 });
        expect(res.status).to.equal(200);
        expect(propertyOf(res.body, 'rank')).to.include({ required: true, default: 9 });
        expect((await read(type.id, items[0].id, as)).rank).to.equal(9);
        expect((await server.request('PATCH', col(type.id, `/${items[0].id}`), { ...as, body: { title: 'b' } })).status).to.equal(200);
      });

      it('answers 409 for a multi-value property while an item holds an empty list', async () => {
        const { type } = await typeWithItems([{ systemName: 'tags', kind: 'string', multiple: true }], [{ tags: ['a'] }, { tags: [] }]);
        expectError(await patchProperty(type.id, type.properties[0].id, { required: true }), 409, 'CONFLICT');
      });
    });

    describe('unique', () => {
      it('answers 409 CONFLICT while two items share a value; nothing changes', async () => {
        const { type, as } = await typeWithItems([{ systemName: 'code', kind: 'string' }], [{ code: 'x' }, { code: 'x' }, { code: 'y' }]);
        const res = await patchProperty(type.id, type.properties[0].id, { unique: true });
        expectError(res, 409, 'CONFLICT');
        expect(res.body.message).to.contain('code');
        expect(type.properties[0].unique).to.equal(false);
        expect((await getType(type.id)).body.properties[0].unique).to.equal(false);
        await anItem(server, type.id, { code: 'y' }, as);
      });

      it('answers 409 CONFLICT when two items share one value of a multi-value property', async () => {
        const { type } = await typeWithItems([{ systemName: 'tags', kind: 'string', multiple: true }], [{ tags: ['a', 'b'] }, { tags: ['c', 'b'] }]);
        expectError(await patchProperty(type.id, type.properties[0].id, { unique: true }), 409, 'CONFLICT');
      });

      it('becomes unique when values are distinct; later duplicates answer 409 UNIQUE_VIOLATION', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'code', kind: 'string' }], [{ code: 'x' }, { code: 'y' }, {}]);
        const res = await patchProperty(type.id, type.properties[0].id, { unique: true });
        expect(res.status).to.equal(200);
        expect(res.body.properties[0].unique).to.equal(true);
        const dup = await server.request('POST', col(type.id), { ...as, body: { code: 'x' } });
        expectError(dup, 409, 'UNIQUE_VIOLATION');
        expect(dup.body.message).to.contain('"code"');
        expectError(await server.request('PATCH', col(type.id, `/${items[2].id}`), { ...as, body: { code: 'y' } }), 409, 'UNIQUE_VIOLATION');
        await anItem(server, type.id, { code: 'z' }, as);
      });

      it('stops refusing duplicates once unique is turned off', async () => {
        const { type, as } = await typeWithItems([{ systemName: 'code', kind: 'string', unique: true }], [{ code: 'x' }]);
        expect((await patchProperty(type.id, type.properties[0].id, { unique: false })).status).to.equal(200);
        await anItem(server, type.id, { code: 'x' }, as);
        // Turning it back on now finds the duplicate.
        expectError(await patchProperty(type.id, type.properties[0].id, { unique: true }), 409, 'CONFLICT');
      });
    });

    describe('multiple', () => {
      it('answers 409 CONFLICT for multiple → single while an item holds two values; nothing changes', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'tags', kind: 'string', multiple: true }], [{ tags: ['a'] }, { tags: ['b', 'c'] }]);
        const res = await patchProperty(type.id, type.properties[0].id, { multiple: false });
        expectError(res, 409, 'CONFLICT');
        expect(res.body.message).to.contain('tags');
        expect((await getType(type.id)).body.properties[0].multiple).to.equal(true);
        expect((await read(type.id, items[1].id, as)).tags).to.deep.equal(['b', 'c']);
      });

      it('turns multiple → single when every item holds at most one value: values become scalars', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'tags', kind: 'string', multiple: true }], [{ tags: ['a'] }, { tags: [] }, {}]);
        expect((await patchProperty(type.id, type.properties[0].id, { multiple: false })).status).to.equal(200);
        expect((await read(type.id, items[0].id, as)).tags).to.equal('a');
        expect((await read(type.id, items[1].id, as)).tags).to.equal(null);
        expect((await read(type.id, items[2].id, as)).tags).to.equal(null);
        const filtered = await server.request('SEARCH', col(type.id), { ...as, body: { filters: [{ property: 'tags', type: 'eq', param: 'a' }] } });
        expect(filtered.body.data.map((i: { id: number }) => i.id)).to.deep.equal([items[0].id]);
        expectError(await server.request('POST', col(type.id), { ...as, body: { tags: ['x'] } }), 400, 'VALIDATION_FAILED');
      });

      it('migrates values to arrays for single → multiple', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'tag', kind: 'string' }], [{ tag: 'a' }, {}]);
        const res = await patchProperty(type.id, type.properties[0].id, { multiple: true });
        expect(res.status).to.equal(200);
        expect(res.body.properties[0].multiple).to.equal(true);
        expect((await read(type.id, items[0].id, as)).tag).to.deep.equal(['a']);
        expect((await read(type.id, items[1].id, as)).tag).to.deep.equal([]);
        const patched = await server.request('PATCH', col(type.id, `/${items[0].id}`), { ...as, body: { 'tag+==': ['a', 'b'] } });
        expect(patched.status).to.equal(200);
        expect(patched.body.tag).to.deep.equal(['a', 'b']);
        const filtered = await server.request('SEARCH', col(type.id), { ...as, body: { filters: [{ property: 'tag', type: 'eq', param: 'b' }] } });
        expect(filtered.body.data.map((i: { id: number }) => i.id)).to.deep.equal([items[0].id]);
      });

      it('keeps the default usable across single ↔ multiple', async () => {
        const { type, as } = await typeWithItems([{ systemName: 'tag', kind: 'string', default: 'd' }, { systemName: 'n', kind: 'integer' }]);
        const tag = propertyOf(type, 'tag');
        const toMultiple = await patchProperty(type.id, tag.id, { multiple: true });
        expect(toMultiple.status).to.equal(200);
        expect(propertyOf(toMultiple.body, 'tag').default).to.deep.equal(['d']);
        expect((await anItem(server, type.id, { n: 1 }, as)).tag).to.deep.equal(['d']);
        const toSingle = await patchProperty(type.id, tag.id, { multiple: false });
        expect(toSingle.status).to.equal(200);
        expect(propertyOf(toSingle.body, 'tag').default).to.equal('d');
      });
    });

    describe('enumValues', () => {
      it('answers 409 CONFLICT when a removed value is in use; nothing changes', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'status', kind: 'enum', enumValues: ['open', 'done', 'void'] }], [{ status: 'done' }]);
        const res = await patchProperty(type.id, type.properties[0].id, { enumValues: ['open', 'void'] });
        expectError(res, 409, 'CONFLICT');
        expect(res.body.message).to.contain('done');
        expect((await getType(type.id)).body.properties[0].enumValues).to.deep.equal(['open', 'done', 'void']);
        expect((await read(type.id, items[0].id, as)).status).to.equal('done');
      });

      it('answers 409 when the value in use sits in a multi-value property', async () => {
        const { type } = await typeWithItems([{ systemName: 'flags', kind: 'enum', enumValues: ['a', 'b'], multiple: true }], [{ flags: ['a', 'b'] }]);
        expectError(await patchProperty(type.id, type.properties[0].id, { enumValues: ['a'] }), 409, 'CONFLICT');
      });

      it('removes unused values and adds new ones; removed values are refused afterwards', async () => {
        const { type, as } = await typeWithItems([{ systemName: 'status', kind: 'enum', enumValues: ['open', 'done', 'void'] }], [{ status: 'open' }]);
        const res = await patchProperty(type.id, type.properties[0].id, { enumValues: ['open', 'done', 'archived'] });
        expect(res.status).to.equal(200);
        expect(res.body.properties[0].enumValues).to.deep.equal(['open', 'done', 'archived']);
        expectError(await server.request('POST', col(type.id), { ...as, body: { status: 'void' } }), 400, 'VALIDATION_FAILED');
        expect((await anItem(server, type.id, { status: 'archived' }, as)).status).to.equal('archived');
      });

      it('refuses to remove the value that is the default', async () => {
        const { type, as } = await typeWithItems([{ systemName: 'status', kind: 'enum', enumValues: ['open', 'done'], default: 'open' }, { systemName: 'n', kind: 'integer' }]);
        const res = await patchProperty(type.id, propertyOf(type, 'status').id, { enumValues: ['done'] });
        expect(res.status, JSON.stringify(res.body)).to.be.oneOf([400, 409]);
        // Whatever the answer, no new item may get a value outside enumValues.
        const item = await anItem(server, type.id, { n: 1 }, as);
        const now = (await getType(type.id)).body;
        expect(propertyOf(now, 'status').enumValues).to.include(item.status);
      });
    });

    describe('default', () => {
      it('changes the default for new items only, and refuses a default that does not fit', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'rank', kind: 'integer', default: 1 }, { systemName: 'n', kind: 'integer' }], [{ n: 0 }]);
        const rank = propertyOf(type, 'rank');
        expect((await patchProperty(type.id, rank.id, { default: 2 })).body.properties[0].default).to.equal(2);
        expect((await anItem(server, type.id, { n: 1 }, as)).rank).to.equal(2);
        expect((await read(type.id, items[0].id, as)).rank).to.equal(1);
        const bad = await patchProperty(type.id, rank.id, { default: 'two' });
        expectError(bad, 400, 'VALIDATION_FAILED');
        expect(paths(bad)).to.deep.equal(['body.default']);
        expect((await patchProperty(type.id, rank.id, { default: null })).body.properties[0].default).to.equal(null);
        expect((await anItem(server, type.id, { n: 2 }, as)).rank).to.equal(null);
      });
    });
  });

  describe('DELETE /admin/types/{typeId}/properties/{propertyId}', () => {
    it('removes a property without values (200)', async () => {
      const { type } = await typeWithItems([{ systemName: 'title', kind: 'string' }, { systemName: 'rank', kind: 'integer' }], [{ title: 'a' }]);
      const res = await deleteProperty(type.id, propertyOf(type, 'rank').id);
      expect(res.status).to.equal(200);
      expect(res.body.properties.map((p: { systemName: string }) => p.systemName)).to.deep.equal(['title']);
    });

    describe('when items hold values for it', () => {
      it('answers 409 CONFLICT naming the property and keeps the values', async () => {
        const { type, as, items } = await typeWithItems([{ systemName: 'title', kind: 'string' }, { systemName: 'rank', kind: 'integer' }], [{ title: 'a', rank: 3 }]);
        const res = await deleteProperty(type.id, propertyOf(type, 'rank').id);
        expectError(res, 409, 'CONFLICT');
        expect(res.body.message).to.contain('rank');
        expect((await read(type.id, items[0].id, as)).rank).to.equal(3);
        expectError(await deleteProperty(type.id, propertyOf(type, 'rank').id, '?dropValues=false'), 409, 'CONFLICT');
      });

      it('removes property and values with dropValues=true; a new property of that name starts empty', async () => {
        const { type, as, items } = await typeWithItems(
          [{ systemName: 'title', kind: 'string' }, { systemName: 'code', kind: 'string', unique: true }],
          [{ title: 'a', code: 'x' }],
        );
        const res = await deleteProperty(type.id, propertyOf(type, 'code').id, '?dropValues=true');
        expect(res.status).to.equal(200);
        expect(res.body.properties.map((p: { systemName: string }) => p.systemName)).to.deep.equal(['title']);
        const after = await read(type.id, items[0].id, as);
        expect(after).to.not.have.property('code');
        expectError(await server.request('GET', `${col(type.id)}?orderBy=code`, as), 400, 'UNKNOWN_FIELD');
        expectError(await server.request('POST', col(type.id), { ...as, body: { title: 'b', code: 'x' } }), 400, 'VALIDATION_FAILED');

        expect((await addProperty(type.id, { systemName: 'code', kind: 'string', unique: true })).status).to.equal(201);
        expect((await read(type.id, items[0].id, as)).code).to.equal(null);
        const filtered = await server.request('SEARCH', col(type.id), { ...as, body: { filters: [{ property: 'code', type: 'eq', param: 'x' }] } });
        expect(filtered.status).to.equal(204);
        await anItem(server, type.id, { title: 'c', code: 'x' }, as);
      });
    });
  });

  // ------------------------------------------------------------------ access

  describe('without appManagement', () => {
    it('answers 403 PERMISSION_DENIED on every /admin/types route, even with every type grant', async () => {
      const type = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
      const user = await aUserWithGrants(server, allGrants(type.id));
      const routes: [string, string, unknown?][] = [
        ['GET', '/api/v1/admin/types'],
        ['POST', '/api/v1/admin/types', { systemName: systemName() }],
        ['GET', `/api/v1/admin/types/${type.id}`],
        ['PATCH', `/api/v1/admin/types/${type.id}`, { name: 'x' }],
        ['DELETE', `/api/v1/admin/types/${type.id}`],
        ['POST', `/api/v1/admin/types/${type.id}/properties`, { systemName: 'x', kind: 'string' }],
        ['PATCH', `/api/v1/admin/types/${type.id}/properties/${type.properties[0].id}`, { name: 'x' }],
        ['DELETE', `/api/v1/admin/types/${type.id}/properties/${type.properties[0].id}`],
      ];
      for (const [method, path, body] of routes) {
        const res = await server.request(method, path, { key: user.key, body });
        expectError(res, 403, 'PERMISSION_DENIED');
        expect(res.body.message, `${method} ${path}`).to.contain('appManagement');
      }
      expect((await getType(type.id)).body).to.deep.equal(type);
    });
  });

  describe('tenant isolation', () => {
    it("an operator of another tenant gets 404 for this tenant's types, both ways", async () => {
      const other = await aTenant(server);
      const otherAs = { key: other.admin.key, host: other.host };
      const mine = await aType(server, [{ systemName: 'title', kind: 'string' }], op);
      const theirs = await aType(server, [{ systemName: 'title', kind: 'string' }], otherAs);
      for (const [type, as] of [[mine, otherAs], [theirs, op]] as const) {
        for (const [method, path, body] of [
          ['GET', `/api/v1/admin/types/${type.id}`],
          ['PATCH', `/api/v1/admin/types/${type.id}`, { name: 'x' }],
          ['DELETE', `/api/v1/admin/types/${type.id}?force=true`],
          ['POST', `/api/v1/admin/types/${type.id}/properties`, { systemName: 'x', kind: 'string' }],
          ['PATCH', `/api/v1/admin/types/${type.id}/properties/${type.properties[0].id}`, { name: 'x' }],
          ['DELETE', `/api/v1/admin/types/${type.id}/properties/${type.properties[0].id}?dropValues=true`],
        ] as [string, string, unknown?][]) {
          expectError(await server.request(method, path, { ...as, body }), 404, 'NOT_FOUND');
        }
        const listed = await server.request('GET', '/api/v1/admin/types', as);
        expect(listed.body.data.map((t: { id: number }) => t.id)).to.not.include(type.id);
      }
      expect((await getType(mine.id)).body).to.deep.equal(mine);
      expect((await getType(theirs.id, otherAs)).body).to.deep.equal(theirs);
    });
  });
});
