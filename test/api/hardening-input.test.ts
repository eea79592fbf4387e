// Bad input of issue 7 (hardening) findings 11, 13, 14 and 15: each answers a 4xx with a code,
// never a 500, on SQLite and PostgreSQL alike, and a refused write changes nothing.
import { expect } from 'chai';
import { startTestServer, ADMIN, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aRole, aUser, type TestUser } from '../helpers/principals.ts';
import { aType, aUserWithGrants, allGrants, anItem, systemName, type As, type ItemTypeBody } from '../helpers/collections.ts';
import { assertMatchesContract } from '../helpers/contract.ts';
import { expectError } from '../helpers/expectations.ts';

/** A request with a body of exact bytes (the helper sends strings as UTF-8), checked against the contract. */
async function rawRequest(server: TestServer, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<ApiResponse> {
  const { request } = await import('node:http');
  const res = await new Promise<{ status: number; headers: Record<string, string>; text: string }>((resolve, reject) => {
    const req = request(new URL(path, server.url), { method, headers: { ...headers, 'content-length': String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers as Record<string, string>, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const parsed = res.text ? JSON.parse(res.text) : '';
  await assertMatchesContract({ method, path, status: res.status, headers: res.headers, body: parsed });
  return { status: res.status, headers: res.headers, body: parsed, text: res.text, bytes: Buffer.from(res.text) };
}

/** A JSON text with `value` (JSON source, e.g. `"\\ud800"`) where the template says VALUE. */
const json = (template: string, value: string) => template.replaceAll('VALUE', value);

describe('hardening: bad input answers 4xx (issue 7)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let task: ItemTypeBody;
  let writer: TestUser;
  let w: As;
  let item: Record<string, any>;
  let tagId: number;
  let roleId: number;
  let userId: number;
  let groupId: number;
  let tenantId: number;
  const admin = () => ({ key: server.adminKey });
  const col = (suffix = '') => `/api/v1/collection/${task.systemName}${suffix}`;

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    task = await aType(server, [
      { systemName: 'title', kind: 'string' },
      { systemName: 'count', kind: 'integer' },
      { systemName: 'score', kind: 'number' },
      { systemName: 'labels', kind: 'string', multiple: true },
      { systemName: 'status', kind: 'enum', enumValues: ['open', 'done'], default: 'open' },
    ]);
    const ref = await server.request('POST', `/api/v1/admin/types/${task.id}/properties`, { ...admin(), body: { systemName: 'ref', kind: 'reference', referenceType: task.id } });
    expect(ref.status, JSON.stringify(ref.body)).to.equal(201);
    task = ref.body;
    writer = await aUserWithGrants(server, allGrants(task.id), { permissions: ['useApi', 'manageTags'] });
    w = { key: writer.key };
    item = await anItem(server, task.id, { title: 'First', count: 1, score: 1.5, labels: ['a'] }, w);
    const tag = await server.request('POST', '/api/v1/collection/tags', { ...w, body: { name: `tag-${systemName()}` } });
    expect(tag.status, JSON.stringify(tag.body)).to.equal(201);
    tagId = tag.body.id;
    roleId = (await aRole(server, ['useApi'])).id;
    userId = (await aUser(server, ['useApi'])).id;
    const group = await server.request('POST', '/api/v1/admin/groups', { ...admin(), body: { name: `group-${systemName()}` } });
    expect(group.status, JSON.stringify(group.body)).to.equal(201);
    groupId = group.body.id;
    const tenant = await server.request('POST', '/api/v1/admin/tenants', { ...admin(), body: { slug: `t-${systemName().replaceAll('_', '-')}`, name: 'Other' } });
    expect(tenant.status, JSON.stringify(tenant.body)).to.equal(201);
    tenantId = tenant.body.id;
  });

  after(() => server?.stop());

  describe('finding 11: lone UTF-16 surrogates in JSON strings', () => {
    /** Every write route, and the read routes whose body or query carries JSON text. */
    const cases = (): { name: string; method: string; path: string; body: string; as?: As }[] => [
      { name: 'POST /auth (user), unauthenticated', method: 'POST', path: '/api/v1/auth', body: json('{"user":VALUE,"password":"password-1"}', '"\\ud800"') },
      { name: 'POST /auth (password), unauthenticated', method: 'POST', path: '/api/v1/auth', body: json(`{"user":"${ADMIN.email}","password":VALUE}`, '"x\\udfffy"') },
      { name: 'POST /deauth, unauthenticated', method: 'POST', path: '/api/v1/deauth', body: json('{"key":VALUE}', '"\\ud800"') },
      { name: 'POST /deauth (a key-like string)', method: 'POST', path: '/api/v1/deauth', body: json('{"key":VALUE}', '"jk_x\\udfffy"') },
      { name: 'POST /admin/roles', method: 'POST', path: '/api/v1/admin/roles', body: json('{"name":VALUE,"permissions":[],"typePermissions":[]}', '"\\ud800"'), as: admin() },
      { name: 'PATCH /admin/roles/{id}', method: 'PATCH', path: `/api/v1/admin/roles/${roleId}`, body: json('{"name":VALUE}', '"x\\udfffy"'), as: admin() },
      { name: 'POST /admin/users', method: 'POST', path: '/api/v1/admin/users', body: json('{"login":"s1@example.com","name":VALUE,"password":"password-1"}', '"\\ud800"'), as: admin() },
      { name: 'PATCH /admin/users/{id}', method: 'PATCH', path: `/api/v1/admin/users/${userId}`, body: json('{"name":VALUE}', '"x\\udfffy"'), as: admin() },
      { name: 'POST /admin/groups', method: 'POST', path: '/api/v1/admin/groups', body: json('{"name":VALUE}', '"\\ud800"'), as: admin() },
      { name: 'PATCH /admin/groups/{id}', method: 'PATCH', path: `/api/v1/admin/groups/${groupId}`, body: json('{"name":VALUE}', '"x\\udfffy"'), as: admin() },
      { name: 'POST /admin/types (name)', method: 'POST', path: '/api/v1/admin/types', body: json('{"systemName":"sur_type","name":VALUE}', '"\\ud800"'), as: admin() },
      { name: 'POST /admin/types (a property default)', method: 'POST', path: '/api/v1/admin/types', body: json('{"systemName":"sur_type","properties":[{"systemName":"t","kind":"string","default":VALUE}]}', '"\\ud800"'), as: admin() },
      { name: 'POST /admin/types (enumValues)', method: 'POST', path: '/api/v1/admin/types', body: json('{"systemName":"sur_type","properties":[{"systemName":"e","kind":"enum","enumValues":[VALUE]}]}', '"x\\udfffy"'), as: admin() },
      { name: 'PATCH /admin/types/{id}', method: 'PATCH', path: `/api/v1/admin/types/${task.id}`, body: json('{"name":VALUE}', '"\\ud800"'), as: admin() },
      { name: 'POST /admin/types/{id}/properties', method: 'POST', path: `/api/v1/admin/types/${task.id}/properties`, body: json('{"systemName":"sur","kind":"string","default":VALUE}', '"\\ud800"'), as: admin() },
      { name: 'PATCH /admin/types/{id}/properties/{id} (default)', method: 'PATCH', path: `/api/v1/admin/types/${task.id}/properties/${task.properties[0].id}`, body: json('{"default":VALUE}', '"x\\udfffy"'), as: admin() },
      { name: 'PATCH /admin/settings', method: 'PATCH', path: '/api/v1/admin/settings', body: json('{"registrationEnvelope":{"allowedDomains":[VALUE],"allowedRoles":[],"allowedGroups":[]}}', '"\\ud800"'), as: admin() },
      { name: 'POST /admin/tenants', method: 'POST', path: '/api/v1/admin/tenants', body: json('{"slug":"sur-tenant","name":VALUE}', '"\\ud800"'), as: admin() },
      { name: 'PATCH /admin/tenants/{id}', method: 'PATCH', path: `/api/v1/admin/tenants/${tenantId}`, body: json('{"name":VALUE}', '"x\\udfffy"'), as: admin() },
      { name: 'POST /collection/{c}', method: 'POST', path: col(), body: json('{"title":VALUE}', '"\\ud800"'), as: w },
      { name: 'POST /collection/{c} (in a key)', method: 'POST', path: col(), body: '{"title":"ok","\\ud800":1}', as: w },
      { name: 'POST /collection/{c} (in a multi value)', method: 'POST', path: col(), body: json('{"title":"ok","labels":["a",VALUE]}', '"x\\udfffy"'), as: w },
      { name: 'PUT /collection/{c}/{item}', method: 'PUT', path: col(`/${item.id}`), body: json('{"title":VALUE}', '"x\\udfffy"'), as: w },
      { name: 'PATCH /collection/{c}/{item}', method: 'PATCH', path: col(`/${item.id}`), body: json('{"title":VALUE}', '"\\ud800"'), as: w },
      { name: 'PATCH /collection/{c}/{item} (+=)', method: 'PATCH', path: col(`/${item.id}`), body: json('{"title+=":VALUE}', '"\\udfff"'), as: w },
      { name: 'POST /collection/{c}/search (filter param)', method: 'POST', path: col('/search'), body: json('{"filters":[{"property":"title","type":"eq","param":VALUE}]}', '"\\ud800"'), as: w },
      { name: 'SEARCH /collection/{c} (filter param)', method: 'SEARCH', path: col(), body: json('{"filters":[{"property":"title","type":"in","param":["a",VALUE]}]}', '"x\\udfffy"'), as: w },
      { name: 'SEARCH /collection/{c} (filter property)', method: 'SEARCH', path: col(), body: json('{"filters":[{"property":VALUE,"type":"eq","param":"a"}]}', '"\\ud800"'), as: w },
      { name: 'SEARCH /collection/{c} (orderBy)', method: 'SEARCH', path: col(), body: json('{"orderBy":VALUE}', '"\\ud800"'), as: w },
      { name: 'POST /collection/tags', method: 'POST', path: '/api/v1/collection/tags', body: json('{"name":VALUE}', '"\\ud800"'), as: w },
      { name: 'PUT /collection/tags/{id}', method: 'PUT', path: `/api/v1/collection/tags/${tagId}`, body: json('{"name":VALUE}', '"x\\udfffy"'), as: w },
      { name: 'PATCH /collection/tags/{id}', method: 'PATCH', path: `/api/v1/collection/tags/${tagId}`, body: json('{"description":VALUE}', '"\\ud800"'), as: w },
      { name: 'POST /collection/tags/search', method: 'POST', path: '/api/v1/collection/tags/search', body: json('{"search":VALUE}', '"\\ud800"'), as: w },
      { name: 'SEARCH /collection/tags', method: 'SEARCH', path: '/api/v1/collection/tags', body: json('{"search":VALUE}', '"x\\udfffy"'), as: w },
      { name: 'POST /app/tags.assign', method: 'POST', path: '/api/v1/app/tags.assign', body: json('{"type":VALUE,"item":1,"operation":"add","tags":[1]}', '"\\ud800"'), as: w },
    ];

    it('answers 400 INVALID_CHARACTER on every write route and SEARCH body, naming where', async () => {
      const failures: string[] = [];
      for (const c of cases()) {
        const res = await server.request(c.method, c.path, { ...c.as, body: c.body });
        if (res.status !== 400 || res.body.code !== 'INVALID_CHARACTER' || !/^body/.test(res.body.message)) failures.push(`${c.name}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      expect(failures).to.deep.equal([]);
    });

    it('answers 400 INVALID_CHARACTER for a JSON escape inside the filters query parameter', async () => {
      for (const param of ['"\\ud800"', '"x\\udfffy"', '["a","\\udbff"]']) {
        const filters = `[{"property":"title","type":"${param.startsWith('[') ? 'in' : 'eq'}","param":${param}}]`;
        const res = await server.request('GET', col(`?filters=${encodeURIComponent(filters)}`), w);
        expectError(res, 400, 'INVALID_CHARACTER');
        expect(res.body.message).to.match(/^filters/);
      }
    });

    it('changes nothing: a refused default leaves the type writable, a refused create creates nothing', async () => {
      const property = task.properties.find((p) => p.systemName === 'title')!;
      const before = (await server.request('GET', col('?_noCache=1'), w)).body.stats.total;
      expectError(await server.request('PATCH', `/api/v1/admin/types/${task.id}/properties/${property.id}`, { ...admin(), body: '{"default":"\\ud800"}' }), 400, 'INVALID_CHARACTER');
      expectError(await server.request('POST', col(), { ...w, body: '{"title":"\\ud800"}' }), 400, 'INVALID_CHARACTER');
      expect((await server.request('GET', col('?_noCache=1'), w)).body.stats.total).to.equal(before);
      const type = await server.request('GET', `/api/v1/admin/types/${task.id}`, admin());
      expect(type.body.properties.find((p: { id: number }) => p.id === property.id).default).to.equal(null);
      await anItem(server, task.id, { count: 2 }, w);
      expect((await server.request('GET', col('?_noCache=1'), w)).body.stats.total).to.equal(before + 1);
    });

    it('accepts well-formed surrogate pairs (emoji) and stores them unchanged', async () => {
      const created = await server.request('POST', col(), { ...w, body: '{"title":"rocket \\ud83d\\ude80","labels":["\\ud83d\\ude00"]}' });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.body.title).to.equal('rocket \u{1F680}');
      const found = await server.request('SEARCH', col(), { ...w, body: { filters: [{ property: 'title', type: 'eq', param: 'rocket \u{1F680}' }] } });
      expect(found.status, JSON.stringify(found.body)).to.equal(200);
      expect(found.body.data.map((i: { id: number }) => i.id)).to.deep.equal([created.body.id]);
    });

    it('refuses a form-encoded POST /auth or /deauth carrying a %u escape or broken UTF-8 with a 4xx', async () => {
      for (const [path, form] of [
        ['/api/v1/auth', 'user=%uD800&password=password-1'],
        ['/api/v1/auth', 'user=%ED%A0%80&password=password-1'],
        ['/api/v1/deauth', 'key=%uDFFF'],
        ['/api/v1/deauth', 'key=%ED%B0%80'],
      ]) {
        const res = await server.request('POST', path, { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        expect(res.status, `${path} ${form}: ${JSON.stringify(res.body)}`).to.be.within(400, 499);
      }
    });

    it('refuses surrogate bytes in a key header with 403, not 500 (headers are bytes, never lone surrogates)', async () => {
      const res = await server.request('GET', col(), { headers: { key: Buffer.from([0x6a, 0x6b, 0xed, 0xa0, 0x80]).toString('latin1') } });
      expectError(res, 403, 'API_KEY_INVALID');
    });

    it('answers 400 INVALID_CHARACTER for a multipart file name or field that decodes to a lone surrogate (and 400 for a nameless part)', async () => {
      const upload = await aType(server, [{ systemName: 'f', kind: 'file', multiple: true }]);
      const uploader = await aUserWithGrants(server, allGrants(upload.id));
      const boundary = 'XyZboundary';
      const part = (headers: string, content: Buffer | string) => Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')]);
      const file = part('Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain', 'hello');
      const bodies: [Buffer, string][] = [
        // An RFC 5987 file name in UTF-16LE: the bytes 00 D8 are a lone high surrogate.
        [part(`Content-Disposition: form-data; name="file"; filename*=utf-16le''%00%D8\r\nContent-Type: text/plain`, 'hello'), 'INVALID_CHARACTER'],
        // A field value in UTF-16LE ending in a lone surrogate.
        [Buffer.concat([part('Content-Disposition: form-data; name="note"\r\nContent-Type: text/plain; charset=utf-16le', Buffer.from([0x78, 0x00, 0x00, 0xd8])), file]), 'INVALID_CHARACTER'],
        // busboy reads no `name*=`: multer answers "field name missing", which is the client's error too.
        [Buffer.concat([part(`Content-Disposition: form-data; name*=utf-16le''%00%DC`, 'v'), file]), 'INVALID_UPLOAD'],
      ];
      for (const [body, code] of bodies) {
        const res = await rawRequest(server, 'POST', `/api/v1/upload/${upload.systemName}/f`, { key: uploader.key, 'content-type': `multipart/form-data; boundary=${boundary}` }, Buffer.concat([body, Buffer.from(`--${boundary}--\r\n`)]));
        expectError(res, 400, code);
      }
    });
  });

  describe('finding 13: Object.prototype names as orderBy, filter property, get-by property or system name', () => {
    const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

    it('answers 400 UNKNOWN_FIELD for orderBy, on GET and SEARCH', async () => {
      for (const name of NAMES) {
        expectError(await server.request('GET', col(`?orderBy=${name}`), w), 400, 'UNKNOWN_FIELD');
        expectError(await server.request('SEARCH', col(), { ...w, body: { orderBy: name } }), 400, 'UNKNOWN_FIELD');
      }
    });

    it('answers 400 FILTER_UNKNOWN_PROPERTY for a filter property', async () => {
      for (const name of NAMES) {
        const filters = JSON.stringify([{ property: name, type: 'eq', param: 'a' }]);
        expectError(await server.request('GET', col(`?filters=${encodeURIComponent(filters)}`), w), 400, 'FILTER_UNKNOWN_PROPERTY');
        expectError(await server.request('SEARCH', col(), { ...w, body: { filters: JSON.parse(filters) } }), 400, 'FILTER_UNKNOWN_PROPERTY');
      }
    });

    it('answers 400 UNKNOWN_FIELD for a get-by property', async () => {
      for (const name of NAMES) expectError(await server.request('GET', col(`/get-by/${name}/a`), w), 400, 'UNKNOWN_FIELD');
    });

    it('answers 400 UNKNOWN_FIELD for showFields, hideFields and wrapFields', async () => {
      for (const name of NAMES) {
        for (const parameter of ['showFields', 'hideFields', 'wrapFields']) expectError(await server.request('GET', col(`?${parameter}=${name}`), w), 400, 'UNKNOWN_FIELD');
      }
    });

    it('answers 404 for a collection, a schema or a type named like one', async () => {
      for (const name of NAMES) {
        expectError(await server.request('GET', `/api/v1/collection/${name}`, w), 404, 'NOT_FOUND');
        expectError(await server.request('GET', `/api/v1/schema/${name}`, w), 404, 'NOT_FOUND');
      }
    });

    it('refuses them as type and property system names with 400 VALIDATION_FAILED, creating nothing', async () => {
      const types = (await server.request('GET', '/api/v1/admin/types', admin())).body.length;
      expectError(await server.request('POST', '/api/v1/admin/types', { ...admin(), body: { systemName: 'constructor' } }), 400, 'VALIDATION_FAILED');
      for (const name of NAMES) {
        const res = await server.request('POST', '/api/v1/admin/types', { ...admin(), body: { systemName: systemName(), properties: [{ systemName: name, kind: 'string' }] } });
        expectError(res, 400, 'VALIDATION_FAILED');
        expectError(await server.request('POST', `/api/v1/admin/types/${task.id}/properties`, { ...admin(), body: { systemName: name, kind: 'string' } }), 400, 'VALIDATION_FAILED');
      }
      expect((await server.request('GET', '/api/v1/admin/types', admin())).body.length).to.equal(types);
      const type = await server.request('GET', `/api/v1/admin/types/${task.id}`, admin());
      expect(type.body.properties.map((p: { systemName: string }) => p.systemName)).to.not.include('constructor');
    });

    it('answers 400 for such keys in an item body, and leaves the item as it was', async () => {
      for (const name of NAMES) {
        const body = `{"title":"changed",${JSON.stringify(name)}:{"title":"x"}}`;
        // The body parser itself refuses a "__proto__" key (prototype poisoning).
        const code = name === '__proto__' ? 'INVALID_BODY' : 'VALIDATION_FAILED';
        expectError(await server.request('POST', col(), { ...w, body }), 400, code);
        expectError(await server.request('PATCH', col(`/${item.id}`), { ...w, body }), 400, code);
      }
      expect((await server.request('GET', col(`/${item.id}`), w)).body.title).to.equal('First');
    });
  });

  describe('finding 14: integers at or beyond 2^53, 1e308 and 1e400 in ids and number filters', () => {
    const HUGE = ['2147483648', '9007199254740992', '9007199254740993', '1e308', '1e400', '-1e400'];

    it('answers 400 VALIDATION_FAILED for every id array and id of the admin routes', async () => {
      const failures: string[] = [];
      for (const n of HUGE) {
        const routes: [string, string, string][] = [
          ['POST', '/api/v1/admin/users', `{"login":"big${Math.random().toString(36).slice(2)}@example.com","name":"Big","password":"password-1","roles":[${n}]}`],
          ['POST', '/api/v1/admin/users', `{"login":"big${Math.random().toString(36).slice(2)}@example.com","name":"Big","password":"password-1","groups":[${n}]}`],
          ['PATCH', `/api/v1/admin/users/${userId}`, `{"roles":[${n}]}`],
          ['PATCH', `/api/v1/admin/users/${userId}`, `{"groups":[${n}]}`],
          ['POST', '/api/v1/admin/groups', `{"name":"big","users":[${n}]}`],
          ['POST', '/api/v1/admin/groups', `{"name":"big","roles":[${n}]}`],
          ['PATCH', `/api/v1/admin/groups/${groupId}`, `{"users":[${n}]}`],
          ['PATCH', `/api/v1/admin/groups/${groupId}`, `{"roles":[${n}]}`],
          ['POST', '/api/v1/admin/roles', `{"name":"big","permissions":[],"typePermissions":[{"typeId":${n},"show":true}]}`],
          ['PATCH', `/api/v1/admin/roles/${roleId}`, `{"typePermissions":[{"typeId":${n}}]}`],
          ['POST', '/api/v1/admin/types', `{"systemName":"big_ref","properties":[{"systemName":"r","kind":"reference","referenceType":${n}}]}`],
          ['POST', `/api/v1/admin/types/${task.id}/properties`, `{"systemName":"big_ref","kind":"reference","referenceType":${n}}`],
          ['PATCH', '/api/v1/admin/settings', `{"registrationEnvelope":{"allowedDomains":[],"allowedRoles":[${n}],"allowedGroups":[]}}`],
          ['PATCH', '/api/v1/admin/settings', `{"registrationEnvelope":{"allowedDomains":[],"allowedRoles":[],"allowedGroups":[${n}]}}`],
        ];
        for (const [method, path, body] of routes) {
          const res = await server.request(method, path, { ...admin(), body });
          if (res.status !== 400 || res.body.code !== 'VALIDATION_FAILED') failures.push(`${method} ${path} ${body}: ${res.status} ${JSON.stringify(res.body)}`);
        }
        const assign = await server.request('POST', '/api/v1/app/tags.assign', { ...w, body: `{"type":${n},"item":${n},"operation":"add","tags":[${tagId}]}` });
        if (assign.status !== 400 || assign.body.code !== 'VALIDATION_FAILED') failures.push(`tags.assign ${n}: ${assign.status} ${JSON.stringify(assign.body)}`);
      }
      expect(failures).to.deep.equal([]);
    });

    it('answers 400 FILTER_INVALID_PARAM for such numbers in number, integer, reference and id filters', async () => {
      const failures: string[] = [];
      for (const n of HUGE) {
        const integerOverflow = Number(n) > Number.MAX_SAFE_INTEGER || !Number.isFinite(Number(n));
        const filters = [
          ...(integerOverflow ? [`{"property":"count","type":"eq","param":${n}}`, `{"property":"count","type":"in","param":[1,${n}]}`, `{"property":"count","type":"gt","param":"${n}"}`] : []),
          ...(Number.isFinite(Number(n)) ? [] : [`{"property":"score","type":"eq","param":${n}}`, `{"property":"score","type":"between","param":[0,${n}]}`, `{"property":"score","type":"lt","param":"${n}"}`]),
          `{"property":"ref","type":"eq","param":${n}}`,
          `{"property":"id","type":"in","param":[${n}]}`,
          `{"property":"created_by","type":"eq","param":${n}}`,
        ];
        for (const filter of filters) {
          const res = await server.request('SEARCH', col(), { ...w, body: `{"filters":[${filter}]}` });
          if (res.status !== 400 || res.body.code !== 'FILTER_INVALID_PARAM') failures.push(`SEARCH ${filter}: ${res.status} ${JSON.stringify(res.body)}`);
          const query = await server.request('GET', col(`?filters=${encodeURIComponent(`[${filter}]`)}`), w);
          if (query.status !== 400 || query.body.code !== 'FILTER_INVALID_PARAM') failures.push(`GET ${filter}: ${query.status} ${JSON.stringify(query.body)}`);
        }
      }
      expect(failures).to.deep.equal([]);
    });

    it('answers 400 FILTER_INVALID_PARAM for system instants PostgreSQL cannot hold (year 0, past 9999)', async () => {
      for (const param of ['0000-01-01T00:00:00Z', '0000-12-31T23:00:00', '9999-12-31T23:59:59-14:00']) {
        for (const property of ['created_on', 'updated_on']) {
          const res = await server.request('SEARCH', col(), { ...w, body: { filters: [{ property, type: 'gt', param }] } });
          expectError(res, 400, 'FILTER_INVALID_PARAM');
        }
      }
      const bounds = await server.request('SEARCH', col(), { ...w, body: { filters: [{ property: 'created_on', type: 'between', param: ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'] }] } });
      expect(bounds.status, JSON.stringify(bounds.body)).to.equal(200);
    });

    it('still filters by the largest values each kind holds', async () => {
      const big = await anItem(server, task.id, { title: 'Big', count: Number.MAX_SAFE_INTEGER, score: 1e308 }, w);
      for (const filter of [
        { property: 'count', type: 'eq', param: Number.MAX_SAFE_INTEGER },
        { property: 'score', type: 'gte', param: 1e308 },
        { property: 'score', type: 'in', param: [1e308] },
      ]) {
        const res = await server.request('SEARCH', col(), { ...w, body: { filters: [filter] } });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.data.map((i: { id: number }) => i.id)).to.deep.equal([big.id]);
      }
      expect((await server.request('SEARCH', col(), { ...w, body: { filters: [{ property: 'id', type: 'eq', param: 2147483647 }] } })).status).to.equal(204);
    });

    it('answers 400 VALIDATION_FAILED for such numbers in item bodies, creating nothing', async () => {
      const before = (await server.request('GET', col('?_noCache=1'), w)).body.stats.total;
      for (const body of ['{"count":9007199254740992}', '{"count":1e308}', '{"count":1e400}', '{"score":1e400}', '{"score":-1e400}', '{"ref":9007199254740993}', '{"ref":1e400}']) {
        expectError(await server.request('POST', col(), { ...w, body }), 400, 'VALIDATION_FAILED');
        expectError(await server.request('PATCH', col(`/${item.id}`), { ...w, body }), 400, 'VALIDATION_FAILED');
      }
      expect((await server.request('GET', col('?_noCache=1'), w)).body.stats.total).to.equal(before);
    });

    it('answers a deep page past 2^31 rows with an empty page, not 500', async () => {
      await server.request('PATCH', '/api/v1/admin/settings', { ...admin(), body: { apiMaxPageLength: 10000 } });
      try {
        const res = await server.request('GET', col('?page=1000000&perPage=10000'), w);
        expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 204]);
      } finally {
        await server.request('PATCH', '/api/v1/admin/settings', { ...admin(), body: { apiMaxPageLength: 100 } });
      }
    });
  });

  describe('finding 15: more bound values in one list request than the database allows', () => {
    const inFilters = (count: number, size: number) =>
      Array.from({ length: count }, (_, f) => ({ property: f % 2 ? 'count' : 'id', type: 'in', param: Array.from({ length: size }, (_, i) => i + 1) }));

    it('answers 400 FILTER_INVALID for 33 in-filters of 1000 values (SQLite allows 32,766), on SEARCH and POST …/search', async () => {
      for (const [method, path] of [['SEARCH', col()], ['POST', col('/search')]]) {
        const res = await server.request(method, path, { ...w, body: { filters: inFilters(33, 1000) } });
        expectError(res, 400, 'FILTER_INVALID');
        expect(res.body.message).to.match(/10000 values/);
      }
    });

    it('answers 400 FILTER_INVALID just past the cap (10,001 values) and for more than 50 filters', async () => {
      const filters = [...inFilters(10, 1000), { property: 'title', type: 'eq', param: 'x' }];
      expectError(await server.request('SEARCH', col(), { ...w, body: { filters } }), 400, 'FILTER_INVALID');
      const many = Array.from({ length: 51 }, () => ({ property: 'title', type: 'eq', param: 'x' }));
      expectError(await server.request('SEARCH', col(), { ...w, body: { filters: many } }), 400, 'VALIDATION_FAILED');
      expectError(await server.request('GET', col(`?filters=${encodeURIComponent(JSON.stringify(many))}`), w), 400, 'FILTER_INVALID');
      const wide = [{ property: 'id', type: 'in', param: Array.from({ length: 1001 }, (_, i) => i + 1) }];
      expectError(await server.request('SEARCH', col(), { ...w, body: { filters: wide } }), 400, 'FILTER_INVALID_PARAM');
    });

    it('answers exactly the cap (10 in-filters of 1000 values) with the matching items, with a tag filter too', async () => {
      const res = await server.request('SEARCH', col(), { ...w, body: { filters: inFilters(10, 1000) } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.data.map((i: { id: number }) => i.id)).to.include(item.id);
      const tagged = await server.request('SEARCH', col(), { ...w, body: { filters: inFilters(10, 1000), tags: [tagId] } });
      expect(tagged.status, JSON.stringify(tagged.body)).to.be.oneOf([200, 204]);
    });
  });
});
