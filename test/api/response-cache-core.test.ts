// The response cache's core path through HTTP: MISS → HIT with the same bytes and ETag, 304 on
// If-None-Match (also with no-cache, as fetch sends it), and a write seen on the next read.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { aType, anItem } from '../helpers/filters.ts';

describe('response cache: the core path', () => {
  let server: TestServer;
  let collection: string;
  let item: Record<string, any>;
  before(async () => {
    server = await startTestServer();
    const type = await aType(server, { systemName: `core_${Date.now().toString(36)}`, name: 'Core', properties: [{ systemName: 'title', kind: 'string' }] });
    collection = `/api/v1/collection/${type.systemName}`;
    item = await anItem(server, type.systemName, { title: 'first' });
  });
  after(() => server.stop());

  for (const [name, path] of [['get one by id', () => `${collection}/${item.id}`], ['get one by UUID', () => `${collection}/${item.uuid}`], ['get-by', () => `${collection}/get-by/title/first`], ['list', () => `${collection}?perPage=5`]] as const) {
    it(`${name}: MISS, then HIT with the same bytes and ETag, 304 for that ETag even with no-cache`, async () => {
      const first = await server.request('GET', path(), { key: server.adminKey });
      expect(first.status, first.text).to.equal(200);
      expect(first.headers['x-cache']).to.equal('MISS');
      expect(first.headers.etag).to.match(/^"[0-9a-f]{32}"$/);
      expect(first.headers['cache-control']).to.equal('private, must-revalidate');
      const second = await server.request('GET', path(), { key: server.adminKey });
      expect(second.headers['x-cache']).to.equal('HIT');
      expect(second.text).to.equal(first.text);
      expect(second.headers.etag).to.equal(first.headers.etag);
      const conditional = await server.request('GET', path(), { key: server.adminKey, headers: { 'if-none-match': first.headers.etag, 'cache-control': 'no-cache', pragma: 'no-cache' } });
      expect(conditional.status).to.equal(304);
      expect(conditional.text).to.equal('');
      expect(conditional.headers.etag).to.equal(first.headers.etag);
    });
  }

  it('a PATCH is seen by the next get one (by id and by UUID), get-by and list', async () => {
    const paths = [`${collection}/${item.id}`, `${collection}/${item.uuid}`, `${collection}/get-by/title/first`, `${collection}?perPage=5`];
    const before = await Promise.all(paths.map((p) => server.request('GET', p, { key: server.adminKey })));
    const patched = await server.request('PATCH', `${collection}/${item.id}`, { key: server.adminKey, body: { title: 'first', 'title+=': '' } });
    expect(patched.status, patched.text).to.equal(200);
    const changed = await server.request('PATCH', `${collection}/${item.id}`, { key: server.adminKey, body: { title: 'second' } });
    expect(changed.status, changed.text).to.equal(200);
    const after = await Promise.all(paths.map((p) => server.request('GET', p, { key: server.adminKey })));
    expect(after[0].body.title).to.equal('second');
    expect(after[1].body.title).to.equal('second');
    expect(after[2].status).to.equal(404);
    expect(after[3].text).to.include('second');
    for (const i of [0, 1, 3]) expect(after[i].headers.etag).to.not.equal(before[i].headers.etag);
  });
});
