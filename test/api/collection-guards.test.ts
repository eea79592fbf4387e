import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { aUser } from '../helpers/principals.ts';

// Guards found by a review: grants on every type a write touches, references only to items
// the caller may see, 32-bit ids, long unique values, and request shapes that must stay 4xx.
describe('collection guards', () => {
  let server: TestServer;
  let people: number;
  let tasks: number;
  const admin = () => ({ key: server.adminKey });

  before(async () => {
    server = await startTestServer();
    people = (await server.request('POST', '/api/v1/admin/types', { ...admin(), body: { systemName: 'person', properties: [{ systemName: 'name', kind: 'string' }] } })).body.id;
    tasks = (
      await server.request('POST', '/api/v1/admin/types', {
        ...admin(),
        body: {
          systemName: 'task',
          properties: [
            { systemName: 'owner', kind: 'reference', referenceType: 'person' },
            { systemName: 'code', kind: 'text', unique: true },
          ],
        },
      })
    ).body.id;
    const all = [people, tasks].map((typeId) => ({ typeId, show: true, create: true, edit: true, delete: true }));
    await server.request('PATCH', '/api/v1/admin/roles/1', { ...admin(), body: { typePermissions: all } });
  });
  after(() => server.stop());

  describe('when deleting an item others reference (default: clear references)', () => {
    it('answers 403 without edit on the referencing type, and deletes nothing', async () => {
      const person = (await server.request('POST', '/api/v1/collection/person', { ...admin(), body: { name: 'Ada' } })).body;
      await server.request('POST', '/api/v1/collection/task', { ...admin(), body: { owner: person.id } });
      const deleter = await aUser(server, ['useApi'], { typePermissions: [{ typeId: people, show: true, delete: true }, { typeId: tasks, show: true }] });
      const res = await server.request('DELETE', `/api/v1/collection/person/${person.id}`, { key: deleter.key });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('PERMISSION_DENIED');
      expect((await server.request('GET', `/api/v1/collection/person/${person.id}`, admin())).status).to.equal(200);
    });
  });

  describe('when a reference names a type the caller may not show', () => {
    it('answers 403 instead of telling whether the item exists', async () => {
      const writer = await aUser(server, ['useApi'], { typePermissions: [{ typeId: tasks, show: true, create: true }] });
      const res = await server.request('POST', '/api/v1/collection/task', { key: writer.key, body: { owner: 1 } });
      expect(res.status).to.equal(403);
    });
  });

  describe('when a reference default names no item', () => {
    it('answers 400 naming body.default', async () => {
      const res = await server.request('POST', `/api/v1/admin/types/${tasks}/properties`, {
        ...admin(),
        body: { systemName: 'reviewer', kind: 'reference', referenceType: 'person', default: 777 },
      });
      expect(res.status).to.equal(400);
      expect(res.body.details[0].path).to.equal('body.default');
    });
  });

  describe('when ids do not fit 32 bits', () => {
    it('answers 404 for an item, 400 for a reference value and for admin path ids', async () => {
      expect((await server.request('GET', '/api/v1/collection/task/99999999999', admin())).status).to.equal(404);
      const reference = await server.request('POST', '/api/v1/collection/task', { ...admin(), body: { owner: 99999999999 } });
      expect(reference.status).to.equal(400);
      expect((await server.request('GET', '/api/v1/admin/users/99999999999', admin())).status).to.equal(400);
      const filter = encodeURIComponent(JSON.stringify([{ property: 'id', type: 'eq', param: 99999999999 }]));
      expect((await server.request('GET', `/api/v1/collection/task?filters=${filter}`, admin())).body.code).to.equal('FILTER_INVALID_PARAM');
    });
  });

  describe('when a unique value is long', () => {
    it('stores it and refuses a duplicate with 409 UNIQUE_VIOLATION', async () => {
      const code = 'x'.repeat(3000);
      expect((await server.request('POST', '/api/v1/collection/task', { ...admin(), body: { code } })).status).to.equal(201);
      const again = await server.request('POST', '/api/v1/collection/task', { ...admin(), body: { code } });
      expect(again.status).to.equal(409);
      expect(again.body.code).to.equal('UNIQUE_VIOLATION');
    });
  });

  describe('when a filter carries nested or unknown structure', () => {
    it('answers 400, never 500', async () => {
      const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
      const res = await server.request('SEARCH', '/api/v1/collection/task', { ...admin(), body: `{"filters":[{"property":"code","type":"eq","param":${deep}}]}` });
      expect(res.status).to.equal(400);
      const junk = encodeURIComponent(JSON.stringify([{ property: 'code', type: 'eq', param: 'a', junk: { a: { b: 1 } } }]));
      expect((await server.request('GET', `/api/v1/collection/task?filters=${junk}`, admin())).status).to.be.oneOf([200, 204]);
    });
  });
});
