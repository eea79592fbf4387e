import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { aUser, type TestUser } from '../helpers/principals.ts';

// List totals come from exact counters for the commonest shapes (no filter, one eq/in on a
// single-valued property) and from the rows otherwise; both must agree after every write.
describe('list totals', () => {
  let server: TestServer;
  let user: TestUser;
  let typeId: number;

  const total = async (filters?: unknown[]) => {
    const query = filters ? `?filters=${encodeURIComponent(JSON.stringify(filters))}` : '';
    const res = await server.request('GET', `/api/v1/collection/task${query}`, { key: user.key });
    return res.status === 204 ? 0 : res.body.stats.total;
  };
  const status = (param: string | string[]) => [{ property: 'status', type: Array.isArray(param) ? 'in' : 'eq', param }];

  before(async () => {
    server = await startTestServer();
    const created = await server.request('POST', '/api/v1/admin/types', {
      key: server.adminKey,
      body: {
        systemName: 'task',
        properties: [
          { systemName: 'status', kind: 'enum', enumValues: ['open', 'done'], default: 'open' },
          { systemName: 'points', kind: 'integer' },
          { systemName: 'tags', kind: 'string', multiple: true },
        ],
      },
    });
    typeId = created.body.id;
    user = await aUser(server, ['useApi'], { typePermissions: [{ typeId, show: true, create: true, edit: true, delete: true }] });
  });
  after(() => server.stop());

  it('agree with the rows through creates, updates, replaces and deletes', async () => {
    const ids: number[] = [];
    for (const body of [{ status: 'open', points: 1 }, { status: 'done', points: 2 }, { points: 3 }, { status: 'done', tags: ['a', 'b'] }]) {
      ids.push((await server.request('POST', '/api/v1/collection/task', { key: user.key, body })).body.id);
    }
    expect(await total()).to.equal(4);
    expect(await total(status('open'))).to.equal(2);
    expect(await total(status(['open', 'done']))).to.equal(4);
    expect(await total([{ property: 'points', type: 'eq', param: 3 }])).to.equal(1);

    await server.request('PATCH', `/api/v1/collection/task/${ids[0]}`, { key: user.key, body: { status: 'done', 'points+=': 2 } });
    expect(await total(status('open'))).to.equal(1);
    expect(await total(status('done'))).to.equal(3);
    expect(await total([{ property: 'points', type: 'eq', param: 3 }])).to.equal(2);

    await server.request('PUT', `/api/v1/collection/task/${ids[1]}`, { key: user.key, body: { points: 9 } });
    expect(await total(status('open'))).to.equal(2);

    await server.request('DELETE', `/api/v1/collection/task/${ids[2]}`, { key: user.key });
    expect(await total()).to.equal(3);
    expect(await total(status('open'))).to.equal(1);
    expect(await total([{ property: 'tags', type: 'in', param: ['a', 'b'] }])).to.equal(1);
  });

  it('leave the counters untouched when a write fails', async () => {
    const before = await total(status('open'));
    const failed = await server.request('POST', '/api/v1/collection/task', { key: user.key, body: { status: 'open', points: 'x' } });
    expect(failed.status).to.equal(400);
    expect(await total(status('open'))).to.equal(before);
  });

  it('follow a property turned multi-valued and back', async () => {
    const property = (await server.request('GET', `/api/v1/admin/types/${typeId}`, { key: server.adminKey })).body.properties.find(
      (p: { systemName: string }) => p.systemName === 'points',
    );
    const expected = await total([{ property: 'points', type: 'gte', param: 0 }]);
    await server.request('PATCH', `/api/v1/admin/types/${typeId}/properties/${property.id}`, { key: server.adminKey, body: { multiple: true } });
    expect(await total([{ property: 'points', type: 'gte', param: 0 }])).to.equal(expected);
    await server.request('PATCH', `/api/v1/admin/types/${typeId}/properties/${property.id}`, { key: server.adminKey, body: { multiple: false } });
    expect(await total([{ property: 'points', type: 'in', param: [3, 4, 9] }])).to.equal(expected);
  });
});
