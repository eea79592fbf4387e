// Answers the spec-driven fuzz (test/fuzz) found outside the contract, each now documented in
// openapi.yaml: every request here goes through the test client, which fails on a status the
// operation does not document.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { aType } from '../helpers/collections.ts';
import { expectError } from '../helpers/expectations.ts';

describe('fuzz findings: answers the contract did not document', () => {
  let server: TestServer;
  let as: { key: string };
  let typeId: number;
  const oversized = JSON.stringify({ x: 'y'.repeat(1_100_000) });
  // Node's client frames a DELETE body only when told its length (the test client does not).
  const big = { body: oversized, headers: { 'content-length': String(Buffer.byteLength(oversized)) } };

  before(async () => {
    server = await startTestServer();
    as = { key: server.adminKey };
    typeId = (await aType(server, [{ systemName: 'title', kind: 'string' }], { systemName: 'findings' })).id;
  });
  after(() => server.stop());

  describe('GET /schema/{collection} with an unknown query parameter', () => {
    it('answers 400 VALIDATION_FAILED naming the parameter', async () => {
      const res = await server.request('GET', '/api/v1/schema/findings?unknown=1', as);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.details).to.deep.include({ path: 'query.unknown', message: 'unknown property "unknown"' });
    });
  });

  describe('GET /schema/{collection} with a NUL in the path', () => {
    it('answers 400 INVALID_CHARACTER', async () => {
      expectError(await server.request('GET', '/api/v1/schema/a%00b', as), 400, 'INVALID_CHARACTER');
    });
  });

  describe('the reserved relation routes given bad input', () => {
    const relation = '/api/v1/collection/findings/1/relation/parent/child';
    it('answers 400 VALIDATION_FAILED to an unknown query parameter', async () => {
      expectError(await server.request('GET', `${relation}?page=1`, as), 400, 'VALIDATION_FAILED');
    });
    it('answers 400 INVALID_JSON to a malformed body', async () => {
      expectError(await server.request('POST', relation, { ...as, body: '{' }), 400, 'INVALID_JSON');
    });
    it('answers 413 PAYLOAD_TOO_LARGE to an oversized body', async () => {
      expectError(await server.request('DELETE', relation, { ...as, ...big }), 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('DELETE with a body over the limit', () => {
    for (const path of ['/api/v1/collection/findings/1', '/api/v1/admin/types/999999', '/api/v1/admin/types/999999/properties/1', '/api/v1/admin/tenants/999999', '/api/v1/admin/users/999999', '/api/v1/admin/groups/999999', '/api/v1/admin/roles/999999', '/api/v1/admin/keys/999999', '/api/v1/collection/tags/999999']) {
      it(`DELETE ${path.replace('/api/v1', '')} answers 413 PAYLOAD_TOO_LARGE and deletes nothing`, async () => {
        expectError(await server.request('DELETE', path, { ...as, ...big }), 413, 'PAYLOAD_TOO_LARGE');
      });
    }
    it('leaves the type in place', async () => {
      expectError(await server.request('DELETE', `/api/v1/admin/types/${typeId}`, { ...as, ...big }), 413, 'PAYLOAD_TOO_LARGE');
      expect((await server.request('GET', `/api/v1/admin/types/${typeId}`, as)).status).to.equal(200);
    });
  });
});
