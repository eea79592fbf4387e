// The order of the pipeline's stages, seen through HTTP (src/README.md): authenticate → match →
// body → [response cache] → authorize → validate (unstorable text, then the schema) → dispatch.
// Which refusal wins when a request is wrong in two ways is part of the behaviour clients see.
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertMatchesContract } from '../helpers/contract.ts';
import { expectError } from '../helpers/expectations.ts';

/** One request on its own connection (Connection: close, as a closing client sends), answer checked against the contract. */
function sendClosing(url: string, method: string, path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, agent: false, headers: { 'content-length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const answer = { status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined };
        try {
          await assertMatchesContract({ method, path, status: answer.status, headers: res.headers as Record<string, string>, body: answer.body });
          resolve(answer);
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the order of the pipeline stages', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ BODY_LIMIT_BYTES: '2048' });
  });
  after(() => server.stop());

  describe('match comes before the body (ARCHITECTURE.md §2)', () => {
    it('answers 404 ROUTE_NOT_FOUND to an unknown route with a malformed JSON body, not 400 INVALID_JSON', async () => {
      expectError(await server.request('POST', '/api/v1/nothing-here', { key: server.adminKey, body: '{"a":' }), 404, 'ROUTE_NOT_FOUND');
    });

    it('answers 405 METHOD_NOT_ALLOWED to a known path with a malformed body sent with another method', async () => {
      expectError(await server.request('PUT', '/api/v1/auth', { body: '{"user":' }), 405, 'METHOD_NOT_ALLOWED');
    });

    it('answers 400 SEARCH_NOT_ALLOWED to SEARCH on an item path before reading its body', async () => {
      expectError(await server.request('SEARCH', '/api/v1/collection/project/1', { key: server.adminKey, body: '{nope' }), 400, 'SEARCH_NOT_ALLOWED');
    });

    it('answers 404 to an unknown route carrying a body over the limit, every time: the body is read before the answer', async () => {
      const big = Buffer.from(JSON.stringify({ x: 'y'.repeat(1_100_000) }));
      for (let i = 0; i < 5; i++) {
        const res = await sendClosing(server.url, 'POST', '/api/v1/nothing-here', big, { 'content-type': 'application/json', key: server.adminKey });
        expectError(res, 404, 'ROUTE_NOT_FOUND');
      }
    });

    it('answers 404 before a refused Content-Encoding on an unknown route', async () => {
      const res = await server.request('POST', '/api/v1/nothing-here', { body: '{}', headers: { 'content-encoding': 'zstd' } });
      expectError(res, 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('routing comes before authorization', () => {
    it('answers 404 to an unknown route without a key, 405 to a wrong method with a bad key', async () => {
      expectError(await server.request('GET', '/api/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND');
      expectError(await server.request('PUT', '/api/v1/auth', { key: 'not-a-key', body: {} }), 405, 'METHOD_NOT_ALLOWED');
    });
  });

  describe('the body is read before authorization, authorization before validation', () => {
    it('answers 400 INVALID_JSON to a malformed body on a routed operation even without a key', async () => {
      expectError(await server.request('POST', '/api/v1/collection/tags', { body: '{"name":' }), 400, 'INVALID_JSON');
    });

    it('answers 413 PAYLOAD_TOO_LARGE to a routed operation without a key', async () => {
      expectError(await server.request('POST', '/api/v1/collection/tags', { body: { name: 'x'.repeat(5000) } }), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers 403 API_KEY_MISSING, not 400 VALIDATION_FAILED, to an invalid body without a key; 400 with one', async () => {
      expectError(await server.request('POST', '/api/v1/collection/tags', { body: { nope: 1 } }), 403, 'API_KEY_MISSING');
      expectError(await server.request('POST', '/api/v1/collection/tags', { key: server.adminKey, body: { nope: 1 } }), 400, 'VALIDATION_FAILED');
    });

    it('answers 403 before 400 INVALID_CHARACTER (unstorable text is checked after authorize, before the schema)', async () => {
      expectError(await server.request('POST', '/api/v1/collection/tags', { body: { name: 'a\u0000b' } }), 403, 'API_KEY_MISSING');
      // With a key: the NUL is found before the schema would refuse the unknown field.
      expectError(await server.request('POST', '/api/v1/collection/tags', { key: server.adminKey, body: { name: 'a\u0000b', nope: 1 } }), 400, 'INVALID_CHARACTER');
    });

    it('a key-optional operation (POST /auth) reaches validation without a key, and with a bad one', async () => {
      expectError(await server.request('POST', '/api/v1/auth', { body: { password: 'x' } }), 400, 'VALIDATION_FAILED');
      expectError(await server.request('POST', '/api/v1/auth', { key: 'not-a-key', body: { password: 'x' } }), 400, 'VALIDATION_FAILED');
    });
  });
});
