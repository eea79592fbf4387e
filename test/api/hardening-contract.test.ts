// Refusals that any route can give (a malformed Host, unstorable text in the query) are
// documented on every operation: the contract helper checks each answer's status.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';

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
});
