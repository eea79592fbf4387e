// Refusals that any route can give (a malformed Host, unstorable text in the query) are
// documented on every operation: the contract helper checks each answer's status.
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertMatchesContract } from '../helpers/contract.ts';

/** A GET with a body and its Content-Length (fetch and the test client cannot send one). */
function getWithBody(url: string, path: string, key: string, body: Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers = { key, 'content-type': 'application/json', 'content-length': String(body.length) };
    const req = httpRequest(new URL(path, url), { method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const parsed = text ? JSON.parse(text) : text;
        const responseHeaders = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
        await assertMatchesContract({ method: 'GET', path, status: res.statusCode!, headers: responseHeaders, body: parsed });
        resolve({ status: res.statusCode!, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const EVERY_ROUTE_FAMILY = [
  '/api/v1/auth',
  '/api/v1/app/backend.version',
  '/api/v1/app/user.current',
  '/api/v1/schema',
  '/api/v1/schema/openapi.json',
  '/api/v1/admin/types',
  '/api/v1/admin/settings',
  '/api/v1/admin/users',
  '/api/v1/admin/groups',
  '/api/v1/admin/roles',
  '/api/v1/admin/tenants',
];

describe('hardening: refusals every route can give are in the contract', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.stop());

  for (const path of EVERY_ROUTE_FAMILY) {
    it(`GET ${path} with a NUL in the query answers a documented 400 INVALID_CHARACTER`, async () => {
      const res = await server.request('GET', `${path}?x=%00`, { key: server.adminKey });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('INVALID_CHARACTER');
    });

    it(`GET ${path} with a malformed Host answers a documented 400 INVALID_HOST`, async () => {
      const res = await server.request('GET', path, { key: server.adminKey, host: 'bad_host!/x' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('INVALID_HOST');
    });
  }

  describe('a GET body is read to its end and dropped, never answered over', () => {
    it('answers a GET carrying a small body as if it had none', async () => {
      const res = await getWithBody(server.url, '/api/v1/schema/openapi.json', server.adminKey, Buffer.from('{"x":1}'));
      expect(res.status).to.equal(200);
    });

    it('refuses a GET body over the body limit with 400 INVALID_BODY once it is read, every time', async () => {
      const big = Buffer.from(JSON.stringify({ x: 'y'.repeat(1_100_000) }));
      for (let i = 0; i < 5; i++) {
        const res = await getWithBody(server.url, '/api/v1/schema/openapi.json', server.adminKey, big);
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('INVALID_BODY');
      }
    });
  });
});

