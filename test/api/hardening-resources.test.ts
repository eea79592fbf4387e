// Resource exhaustion (issue 7): what one tenant or one client sends must never grow the
// process without bound or stall it for the others. Validators and memos stay bounded, type
// definitions and items have size limits, and the largest allowed write leaves the event loop
// responsive.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aType, aUserWithGrants, allGrants, systemName, type As } from '../helpers/collections.ts';
import { inputSchema, inputValidatorCount, MAX_INPUT_VALIDATORS } from '../../src/domain/items/item-input.ts';
import { InputValidators } from '../../src/domain/items/input-validators.ts';
import type { PropertyDef, TypeDef } from '../../src/domain/items/type-definition.ts';
import { MAX_DEFINITION_BYTES, MAX_ENUM_VALUES, MAX_PROPERTIES, MAX_VALUES_PER_ITEM } from '../../src/domain/items/limits.ts';
import { expectError } from '../helpers/expectations.ts';

/** A raw request with any Host header (the test client validates responses; this one does not). */
function rawStatus(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A type definition as the registry would give it: `version` changes with every edit. */
function aTypeDef(id: number, version: string, enumValues: string[]): TypeDef {
  const property: PropertyDef = {
    id, systemName: 'status', name: 'status', kind: 'enum', required: false, unique: false, multiple: false,
    defaultValue: null, enumValues, referenceType: null, mediaTypes: null, maxFileSize: null,
  };
  return { id, tenantId: 1, systemName: `t${id}`, name: `t${id}`, readLog: false, properties: [property], bySystemName: new Map([['status', property]]), version };
}

const MALFORMED_HOSTS = ['a'.repeat(16 * 1024), `${'a'.repeat(256)}.test`, 'exa$mple.test', 'bad host.test', 'a/b.test', 'example.test:99999999', '[zz::1]', 'example.test:', '.'];

describe('hardening: resource exhaustion', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
  });
  after(() => server.stop());

  describe('finding 5: compiled validators are bounded and follow the newest definition', () => {
    it('keeps one create validator per type however often the type is edited', async () => {
      const type = await aType(server, [{ systemName: 'status', kind: 'enum', enumValues: ['v0'] }]);
      const as = { key: (await aUserWithGrants(server, allGrants(type.id))).key };
      const status = type.properties[0];
      const create = (value: string) => server.request('POST', `/api/v1/collection/${type.id}`, { ...as, body: { status: value } });
      expect((await create('v0')).status).to.equal(201);
      const before = inputValidatorCount();
      for (let edit = 1; edit <= 12; edit++) {
        const values = Array.from({ length: edit + 1 }, (_, i) => `v${i}`);
        const patched = await server.request('PATCH', `/api/v1/admin/types/${type.id}/properties/${status.id}`, { key: server.adminKey, body: { enumValues: values } });
        expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
        expect((await create(`v${edit}`)).status).to.equal(201);
      }
      expect(inputValidatorCount() - before).to.be.at.most(0);
      expect(inputValidatorCount()).to.be.at.most(MAX_INPUT_VALIDATORS);
    });

    it('evicts beyond its bound (count and property weight) and recompiles an evicted type from its newest definition', () => {
      const validators = new InputValidators(inputSchema, { max: 2, maxWeight: 10 });
      const first = aTypeDef(1, 'v1', ['a']);
      expect(validators.get(first, 'create')({ status: 'a' })).to.equal(true);
      validators.get(aTypeDef(2, 'v1', ['a']), 'create');
      validators.get(aTypeDef(3, 'v1', ['a']), 'create');
      expect(validators.size).to.equal(2);
      // Type 1 was evicted; its next use compiles the definition it has now.
      const edited = aTypeDef(1, 'v2', ['b']);
      expect(validators.get(edited, 'create')({ status: 'a' })).to.equal(false);
      expect(validators.get(edited, 'create')({ status: 'b' })).to.equal(true);
      expect(validators.size).to.equal(2);
      // A new version replaces the entry of the old one instead of adding a second.
      validators.get(aTypeDef(1, 'v3', ['c']), 'create');
      expect(validators.size).to.equal(2);
    });

    it('validates against the newest definition after each edit (a removed value is refused, an added one accepted)', async () => {
      const type = await aType(server, [{ systemName: 'status', kind: 'enum', enumValues: ['old', 'keep'] }]);
      const as = { key: (await aUserWithGrants(server, allGrants(type.id))).key };
      const create = (value: string) => server.request('POST', `/api/v1/collection/${type.id}`, { ...as, body: { status: value } });
      expect((await create('old')).status).to.equal(201);
      const edited = await server.request('PATCH', `/api/v1/admin/types/${type.id}/properties/${type.properties[0].id}`, {
        key: server.adminKey,
        body: { enumValues: ['old', 'keep', 'new'] },
      });
      expect(edited.status, JSON.stringify(edited.body)).to.equal(200);
      expect((await create('new')).status).to.equal(201);
      const added = await server.request('POST', `/api/v1/admin/types/${type.id}/properties`, { key: server.adminKey, body: { systemName: 'size', kind: 'integer', required: true, default: 1 } });
      expect(added.status, JSON.stringify(added.body)).to.equal(201);
      expectError(await server.request('POST', `/api/v1/collection/${type.id}`, { ...as, body: { status: 'keep', size: 'big' } }), 400, 'VALIDATION_FAILED');
      expect((await server.request('POST', `/api/v1/collection/${type.id}`, { ...as, body: { status: 'keep', size: 2 } })).status).to.equal(201);
    });

    it(`answers 400 TYPE_TOO_LARGE when a property would be the ${MAX_PROPERTIES + 1}th`, async () => {
      const properties = Array.from({ length: MAX_PROPERTIES }, (_, i) => ({ systemName: `p${i}`, kind: 'boolean' }));
      const type = await aType(server, properties);
      const res = await server.request('POST', `/api/v1/admin/types/${type.id}/properties`, { key: server.adminKey, body: { systemName: 'one_more', kind: 'boolean' } });
      expectError(res, 400, 'TYPE_TOO_LARGE');
      expect(res.body.message).to.include(String(MAX_PROPERTIES));
      const after = await server.request('GET', `/api/v1/admin/types/${type.id}`, { key: server.adminKey });
      expect(after.body.properties).to.have.length(MAX_PROPERTIES);
    });

    it(`answers 400 when an enum has more than ${MAX_ENUM_VALUES} values`, async () => {
      const res = await server.request('POST', '/api/v1/admin/types', {
        key: server.adminKey,
        body: { systemName: systemName(), properties: [{ systemName: 'e', kind: 'enum', enumValues: Array.from({ length: MAX_ENUM_VALUES + 1 }, (_, i) => `v${i}`) }] },
      });
      expectError(res, 400, 'VALIDATION_FAILED');
    });

    it(`answers 400 TYPE_TOO_LARGE when the definition exceeds ${MAX_DEFINITION_BYTES} bytes, on create and on property changes`, async () => {
      const bigEnum = (prefix: string) => Array.from({ length: MAX_ENUM_VALUES }, (_, i) => `${prefix}${i}-`.padEnd(200, 'x'));
      const name = systemName();
      const created = await server.request('POST', '/api/v1/admin/types', {
        key: server.adminKey,
        body: { systemName: name, properties: [{ systemName: 'a', kind: 'enum', enumValues: bigEnum('a') }, { systemName: 'b', kind: 'enum', enumValues: bigEnum('b') }] },
      });
      expectError(created, 400, 'TYPE_TOO_LARGE');
      expect(created.body.message).to.include(String(MAX_DEFINITION_BYTES));
      const listed = await server.request('GET', '/api/v1/admin/types', { key: server.adminKey });
      expect(listed.body.data.map((t: { systemName: string }) => t.systemName)).not.to.include(name);

      const type = await aType(server, [{ systemName: 'a', kind: 'enum', enumValues: bigEnum('a') }]);
      expectError(await server.request('POST', `/api/v1/admin/types/${type.id}/properties`, { key: server.adminKey, body: { systemName: 'b', kind: 'enum', enumValues: bigEnum('b') } }), 400, 'TYPE_TOO_LARGE');
      const small = await server.request('POST', `/api/v1/admin/types/${type.id}/properties`, { key: server.adminKey, body: { systemName: 'b', kind: 'enum', enumValues: ['x'] } });
      expect(small.status, JSON.stringify(small.body).slice(0, 300)).to.equal(201);
      const b = (small.body.properties as { id: number; systemName: string }[]).find((p) => p.systemName === 'b')!;
      expectError(await server.request('PATCH', `/api/v1/admin/types/${type.id}/properties/${b.id}`, { key: server.adminKey, body: { enumValues: ['x', ...bigEnum('b').slice(1)] } }), 400, 'TYPE_TOO_LARGE');
      const after = await server.request('GET', `/api/v1/admin/types/${type.id}`, { key: server.adminKey });
      expect(after.body.properties.find((p: { systemName: string }) => p.systemName === 'b').enumValues).to.deep.equal(['x']);
    });
  });

  describe('finding 6: the Host header cannot grow the host memo', () => {
    it('answers 400 INVALID_HOST to a malformed, over-long or unparsable Host', async () => {
      for (const host of MALFORMED_HOSTS) {
        const res = await rawStatus(server.url, '/api/v1/auth', { host });
        expect(res.status, host.slice(0, 40)).to.equal(400);
        expect(res.body.code, host.slice(0, 40)).to.equal('INVALID_HOST');
        expect(res.body.message).to.be.a('string');
      }
    });

    it('checks X-Forwarded-Host the same way when TRUST_PROXY is on', async () => {
      const proxied = await startTestServer({ ...RELAXED_AUTH_LIMITS, TRUST_PROXY: 'true' });
      try {
        const res = await rawStatus(proxied.url, '/api/v1/auth', { 'x-forwarded-host': 'a'.repeat(4000) });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('INVALID_HOST');
        const ok = await proxied.request('GET', '/api/v1/app/user.current', { key: proxied.adminKey, headers: { 'x-forwarded-host': 'proxy.example.test' } });
        expect(ok.status).to.equal(200);
      } finally {
        await proxied.stop();
      }
    });

    it('remembers unknown hosts in a bounded memo and keeps answering known tenants', async () => {
      const tenant = await aTenant(server);
      const identity = server.running.services.identity;
      expect((await server.request('GET', '/api/v1/app/user.current', { key: tenant.admin.key, host: tenant.host })).status).to.equal(200);
      for (let i = 0; i < 1_200; i++) {
        const res = await rawStatus(server.url, '/api/v1/nothing-here', { host: `random-${i}-${'x'.repeat(200)}.example.test` });
        expect(res.status).to.equal(404);
      }
      const sizes = identity.memoSizes();
      expect(sizes.unknownHosts).to.be.at.most(1_000);
      expect(sizes.knownHosts).to.be.at.most(10);
      const me = await server.request('GET', '/api/v1/app/user.current', { key: tenant.admin.key, host: tenant.host });
      expect(me.status).to.equal(200);
      expect(me.body.login).to.equal(tenant.admin.login);
    });
  });

  describe('finding 7: wide writes are capped and leave the event loop responsive', () => {
    let wide: { id: number };
    let as: As;
    const PROPERTIES = 100;
    before(async () => {
      wide = await aType(server, Array.from({ length: PROPERTIES }, (_, i) => ({ systemName: `n${i}`, kind: 'integer', multiple: true })));
      as = { key: (await aUserWithGrants(server, allGrants(wide.id))).key };
    });

    /** A body with `total` values spread over the multi-value properties. */
    /** `total` values over the properties; another `shift` gives other values (a PUT that really rewrites). */
    const bodyWith = (total: number, shift = 0) => {
      const body: Record<string, number[]> = {};
      for (let i = 0; i < total; i++) (body[`n${i % PROPERTIES}`] ??= []).push(i + shift);
      return body;
    };

    it(`answers 400 TOO_MANY_VALUES to an item with more than ${MAX_VALUES_PER_ITEM} values, and creates nothing`, async () => {
      const res = await server.request('POST', `/api/v1/collection/${wide.id}`, { ...as, body: bodyWith(PROPERTIES * 1000) });
      expectError(res, 400, 'TOO_MANY_VALUES');
      expect(res.body.message).to.include(String(MAX_VALUES_PER_ITEM));
      expectError(await server.request('POST', `/api/v1/collection/${wide.id}`, { ...as, body: bodyWith(MAX_VALUES_PER_ITEM + 1) }), 400, 'TOO_MANY_VALUES');
      const listed = await server.request('GET', `/api/v1/collection/${wide.id}?_noCache=1`, as);
      expect(listed.status).to.equal(204);
    });

    it('answers 400 TOO_MANY_VALUES when a PATCH += would grow the item past the limit, and changes nothing', async () => {
      const created = await server.request('POST', `/api/v1/collection/${wide.id}`, { ...as, body: bodyWith(MAX_VALUES_PER_ITEM) });
      expect(created.status, JSON.stringify(created.body).slice(0, 300)).to.equal(201);
      const res = await server.request('PATCH', `/api/v1/collection/${wide.id}/${created.body.id}`, { ...as, body: { 'n0+=': [1, 2, 3] } });
      expectError(res, 400, 'TOO_MANY_VALUES');
      const read = await server.request('GET', `/api/v1/collection/${wide.id}/${created.body.id}?_noCache=1`, as);
      expect(read.body.n0).to.deep.equal(created.body.n0);
      await server.request('DELETE', `/api/v1/collection/${wide.id}/${created.body.id}`, as);
    });

    it('keeps the event loop responsive for another tenant while the largest allowed item is written', async () => {
      const other = await aTenant(server);
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      let writing = true;
      const otherLatencies: number[] = [];
      const poll = (async () => {
        while (writing) {
          const started = performance.now();
          const res = await server.request('GET', '/api/v1/app/user.current', { key: other.admin.key, host: other.host });
          expect(res.status).to.equal(200);
          otherLatencies.push(performance.now() - started);
        }
      })();
      histogram.enable();
      const ids: number[] = [];
      for (let round = 0; round < 3; round++) {
        const res = await server.request('POST', `/api/v1/collection/${wide.id}`, { ...as, body: bodyWith(MAX_VALUES_PER_ITEM) });
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).to.equal(201);
        ids.push(res.body.id);
        // Other values than the create's: an unchanged body would be no write at all.
        const replaced = await server.request('PUT', `/api/v1/collection/${wide.id}/${res.body.id}`, { ...as, body: bodyWith(MAX_VALUES_PER_ITEM, 1) });
        expect(replaced.status, JSON.stringify(replaced.body).slice(0, 300)).to.equal(200);
      }
      histogram.disable();
      writing = false;
      await poll;
      const maxDelayMs = histogram.max / 1e6;
      // Generous for a loaded 2-core machine; the unbounded write stalled the loop for 7–15 s.
      expect(maxDelayMs, `event-loop delay p99 ${histogram.percentile(99) / 1e6} ms, max ${maxDelayMs} ms`).to.be.below(500);
      expect(Math.max(...otherLatencies), `other tenant's slowest read`).to.be.below(2_000);
      const read = await server.request('GET', `/api/v1/collection/${wide.id}/${ids[0]}?_noCache=1`, as);
      expect(read.body.n0).to.have.length(MAX_VALUES_PER_ITEM / PROPERTIES);
    });
  });
});
