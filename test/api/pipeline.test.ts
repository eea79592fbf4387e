import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('the request pipeline', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ BODY_LIMIT_BYTES: '2048' });
  });
  after(() => server.stop());

  describe('routing', () => {
    it('answers 404 ROUTE_NOT_FOUND for an unknown route', async () => {
      const res = await server.request('GET', '/api/v1/nothing-here', { key: server.adminKey });
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('ROUTE_NOT_FOUND');
      expect(res.body.message).to.be.a('string').and.not.empty;
    });

    it('answers 404 for an unknown command', async () => {
      const res = await server.request('GET', '/api/v1/app/user.nothing', { key: server.adminKey });
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('ROUTE_NOT_FOUND');
    });

    it('answers 405 METHOD_NOT_ALLOWED when the path exists but the method does not', async () => {
      const res = await server.request('PUT', '/api/v1/auth', { key: server.adminKey });
      expect(res.status).to.equal(405);
      expect(res.body.code).to.equal('METHOD_NOT_ALLOWED');
    });

    it('answers 501 NOT_IMPLEMENTED on the reserved relation route', async () => {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const res = await server.request(method, '/api/v1/collection/project/1/relation/owner/parent', { key: server.adminKey });
        expect(res.status, method).to.equal(501);
        expect(res.body.code).to.equal('NOT_IMPLEMENTED');
      }
    });

    it('answers 403 before 501 when no key is sent to the reserved route', async () => {
      const res = await server.request('GET', '/api/v1/collection/project/1/relation/owner/parent');
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('API_KEY_MISSING');
    });

    it('answers 400 INVALID_PATH on a malformed percent-escape, never 500', async () => {
      const res = await server.request('GET', '/api/v1/admin/users/%E0%A4%A', { key: server.adminKey });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('INVALID_PATH');
    });

    it('answers 400 VALIDATION_FAILED naming a non-integer path parameter', async () => {
      const res = await server.request('GET', '/api/v1/admin/users/abc', { key: server.adminKey });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
      expect(res.body.details).to.deep.include({ path: 'path.userId', message: 'must be integer' });
    });
  });

  describe('bodies', () => {
    it('answers 400 INVALID_JSON on malformed JSON', async () => {
      const res = await server.request('POST', '/api/v1/auth', { body: '{"user": "a@b.c", ' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('INVALID_JSON');
    });

    it('answers 413 PAYLOAD_TOO_LARGE over BODY_LIMIT_BYTES', async () => {
      const res = await server.request('POST', '/api/v1/auth', { body: { user: 'a@b.c', password: 'x'.repeat(5000) } });
      expect(res.status).to.equal(413);
      expect(res.body.code).to.equal('PAYLOAD_TOO_LARGE');
    });

    it('answers 400 VALIDATION_FAILED with every failing field named', async () => {
      const res = await server.request('POST', '/api/v1/admin/users', {
        key: server.adminKey,
        body: { login: 'not-an-email', name: '', password: 'short', extra: 1 },
      });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
      const paths = res.body.details.map((d: { path: string }) => d.path);
      expect(paths).to.include.members(['body.login', 'body.name', 'body.password', 'body.extra']);
    });

    it('answers 400 when a JSON body is an array instead of an object', async () => {
      const res = await server.request('POST', '/api/v1/auth', { body: '[1,2]' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.be.oneOf(['VALIDATION_FAILED', 'INVALID_JSON']);
    });
  });

  describe('CORS and methods', () => {
    it('answers a preflight with the seed allowed headers', async () => {
      const res = await server.request('OPTIONS', '/api/v1/collection/project', {
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'SEARCH', 'access-control-request-headers': 'key, content-type' },
      });
      expect(res.status).to.equal(204);
      expect(res.headers['access-control-allow-origin']).to.equal('*');
      const allowed = res.headers['access-control-allow-headers'].split(',').map((h) => h.trim().toLowerCase());
      expect(allowed).to.include.members(['content-type', 'authorization', 'key', 'x-api-key', 'x-custom-auth-headers']);
      expect(res.headers['access-control-allow-methods']).to.include('SEARCH');
    });

    it('answers a plain OPTIONS with 204 and Allow', async () => {
      const res = await server.request('OPTIONS', '/api/v1/auth');
      expect(res.status).to.equal(204);
      expect(res.headers.allow).to.include('GET');
    });

    it('answers HEAD like GET without a body', async () => {
      const get = await server.request('GET', '/api/v1/app/backend.version', { key: server.adminKey });
      const head = await server.request('HEAD', '/api/v1/app/backend.version', { key: server.adminKey });
      expect(head.status).to.equal(200);
      expect(head.text).to.equal('');
      expect(head.headers['content-type']).to.equal(get.headers['content-type']);
      expect(head.headers['content-length']).to.equal(String(Buffer.byteLength(get.text)));
    });

    it('exposes CORS headers on actual requests from a browser origin', async () => {
      const res = await server.request('GET', '/api/v1/app/backend.version', { key: server.adminKey, headers: { origin: 'https://app.example.com' } });
      expect(res.headers['access-control-allow-origin']).to.equal('*');
      expect(res.headers['access-control-expose-headers']).to.include('ETag');
    });
  });

  describe('request ids, health and the served contract', () => {
    it('returns an x-request-id, echoing a safe inbound one', async () => {
      const res = await server.request('GET', '/api/v1/nothing', { headers: { 'x-request-id': 'trace-123' } });
      expect(res.headers['x-request-id']).to.equal('trace-123');
      expect(res.body.requestId).to.equal('trace-123');
      const generated = await server.request('GET', '/api/v1/nothing', { headers: { 'x-request-id': 'bad id with spaces' } });
      expect(generated.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
    });

    it('answers /healthz and /readyz', async () => {
      const health = await server.request('GET', '/healthz');
      expect(health.status).to.equal(200);
      expect(health.body).to.deep.equal({ status: 'ok' });
      const ready = await server.request('GET', '/readyz');
      expect(ready.status).to.equal(200);
      expect(ready.body.checks.database).to.equal(true);
    });

    it('serves the contract as JSON and YAML, and a docs page', async () => {
      const json = await server.request('GET', '/api/v1/openapi.json');
      expect(json.status).to.equal(200);
      expect(json.body.openapi).to.equal('3.1.0');
      expect(json.body.paths).to.have.property('/auth');
      const yaml = await server.request('GET', '/api/v1/openapi.yaml');
      expect(yaml.status).to.equal(200);
      expect(yaml.headers['content-type']).to.include('application/yaml');
      expect(yaml.text).to.match(/^openapi: 3\.1\.0/);
      const docs = await server.request('GET', '/api/v1/docs');
      expect(docs.status).to.equal(200);
      expect(docs.headers['content-type']).to.include('text/html');
      expect(docs.text).to.include('createApiKey').and.include('/api/v1/auth');
    });
  });
});
