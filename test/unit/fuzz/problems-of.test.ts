// The fuzz's checker reports each kind of bad answer (and none for a good one), so a green fuzz
// run means the answers were checked, not that nothing was looked at.
import { expect } from 'chai';
import { contractOperations } from '../../fuzz/contract-operations.ts';
import { problemsOf, type Expectation, type FuzzResponse } from '../../fuzz/exchange.ts';

const ADMIN: Expectation = { keyValid: true, permissions: new Set(['useApi', 'appManagement']), crossTenant: false };
const NO_KEY: Expectation = { keyValid: false, permissions: new Set(), crossTenant: false };
const json = (status: number, body: unknown): FuzzResponse => ({ status, headers: { 'content-type': 'application/json' }, text: JSON.stringify(body), body });
const PAGE = { stats: { page: 1, itemsPerPage: 25, fetched: 0, total: 0 }, data: [] };

async function kinds(method: string, path: string, res: FuzzResponse, expectation = ADMIN): Promise<string[]> {
  const { contract } = await contractOperations();
  return (await problemsOf(contract, { method, path, headers: {} }, res, expectation)).map((p) => p.kind);
}

describe('fuzz checker (test/fuzz/exchange.ts problemsOf)', () => {
  before(() => contractOperations());

  it('finds nothing wrong with a documented status and a valid body', async () => {
    expect(await kinds('GET', '/api/v1/admin/types', json(200, { data: [] }))).to.deep.equal([]);
    // A cacheable answer documents its cache headers: they are part of a valid 200.
    const cached = json(200, PAGE);
    Object.assign(cached.headers, { etag: '"0123456789abcdef0123456789abcdef"', 'cache-control': 'private, must-revalidate', vary: 'Origin', 'x-cache': 'MISS' });
    expect(await kinds('SEARCH', '/api/v1/collection/things', cached)).to.deep.equal([]);
    expect(await kinds('SEARCH', '/api/v1/collection/things', json(200, PAGE)), 'without its cache headers').to.deep.equal(['contract']);
  });

  it('reports a 500 even though the operation documents it', async () => {
    expect(await kinds('GET', '/api/v1/admin/types', json(500, { message: 'Internal server error', code: 'INTERNAL' }))).to.deep.equal(['5xx']);
  });

  it('accepts 501 only where the contract documents it (the reserved relation routes)', async () => {
    expect(await kinds('GET', '/api/v1/collection/a/1/relation/x/y', json(501, { message: 'Not implemented', code: 'NOT_IMPLEMENTED' }))).to.deep.equal([]);
    expect(await kinds('GET', '/api/v1/admin/types', json(501, { message: 'Not implemented', code: 'NOT_IMPLEMENTED' }))).to.deep.equal(['5xx', 'contract']);
  });

  it('reports a status the operation does not document', async () => {
    expect(await kinds('GET', '/api/v1/schema/things', json(409, { message: 'taken', code: 'CONFLICT' }))).to.deep.equal(['contract']);
  });

  it('reports a body the contract does not allow', async () => {
    expect(await kinds('GET', '/api/v1/admin/types', json(200, { data: [{ id: 'one' }] }))).to.deep.equal(['contract']);
  });

  it('reports a 4xx without message and code, and a bodyless one like Node\'s 431', async () => {
    expect(await kinds('GET', '/api/v1/admin/types', json(404, { message: 'gone' }))).to.deep.equal(['contract', '4xx without message and code']);
    expect(await kinds('GET', '/api/v1/admin/types', { status: 431, headers: {}, text: '', body: '' })).to.deep.equal(['contract', '4xx without message and code']);
  });

  it('reports a 2xx to a secured operation without a valid key, but not to a public or key-optional one', async () => {
    expect(await kinds('GET', '/api/v1/admin/types', json(200, { data: [] }), NO_KEY)).to.deep.equal(['auth bypass']);
    expect(await kinds('GET', '/api/v1/auth', json(200, { status: 'invalid', validTo: '' }), NO_KEY)).to.deep.equal([]);
    expect(await kinds('GET', '/api/v1/openapi.json', json(200, {}), NO_KEY)).to.deep.equal([]);
  });

  it("reports a 2xx to a key whose user lacks the operation's permission", async () => {
    expect(await kinds('GET', '/api/v1/admin/tenants', json(200, { data: [] }))).to.deep.equal(['permission bypass']);
  });

  it("reports a 2xx for another tenant's row", async () => {
    expect(await kinds('GET', '/api/v1/admin/types', json(200, { data: [] }), { ...ADMIN, crossTenant: true })).to.deep.equal(['tenant leak']);
  });

  it('reports a request that got no answer', async () => {
    expect(await kinds('GET', '/api/v1/admin/types', { status: 0, headers: {}, text: '', body: undefined, error: 'socket hang up' })).to.deep.equal(['no answer']);
  });
});
