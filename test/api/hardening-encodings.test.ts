// Request bodies a client can get wrong below JSON (issue 7, finding 12): a corrupt gzip,
// deflate or br body, an unsupported Content-Encoding, a Content-Length that disagrees with the
// bytes, a truncated chunked body, a client that aborts. Each answers 4xx with message and code
// (or, when the client is gone, is logged as a 4xx), authenticated or not, on JSON, SEARCH and
// multipart routes; none is logged as a 500, none leaves a request waiting forever.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { ADMIN, request, type TestServer } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { assertMatchesContract } from '../helpers/contract.ts';
import { aType, aUserWithGrants, allGrants } from '../helpers/collections.ts';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
}

const credentials = Buffer.from(JSON.stringify({ user: ADMIN.email, password: ADMIN.password }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('hardening: request body encodings (finding 12)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let records: Record<string, any>[];
  let writerKey: string;
  let uploadPath: string;

  before(async () => {
    const database = await createTestDatabase();
    const filesDir = await mkdtemp(path.join(os.tmpdir(), 'jt-encodings-'));
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `jt-enc-${process.pid}-${Date.now()}`,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      FILES_DIR: filesDir,
      AUTH_RATE_LIMIT_PER_IP: '100000',
      AUTH_RATE_LIMIT_PER_LOGIN: '100000',
    });
    // The log is what tells whether a request the client abandoned ended, and how.
    records = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line)) });
    const running = await startServer(config, { logger });
    const auth = await request(running.url, 'POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
    server = {
      url: running.url,
      running,
      database,
      adminKey: auth.body.authToken.keyString,
      redisPrefix: config.redisPrefix,
      request: (method, p, options) => request(running.url, method, p, options),
      async stop() {
        await running.stop();
        await database.drop();
        await rm(filesDir, { recursive: true, force: true });
      },
    };
    const docs = await aType(server, [
      { systemName: 'title', kind: 'string' },
      { systemName: 'attachments', kind: 'file', multiple: true },
    ]);
    writerKey = (await aUserWithGrants(server, allGrants(docs.id))).key;
    uploadPath = `/api/v1/upload/${docs.systemName}/attachments`;
  });
  after(() => server?.stop());

  /** One request with exactly these bytes, its answer checked against openapi.yaml. */
  function send(method: string, p: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${server.url}${p}`, { method, headers: { 'content-length': String(body.length), ...headers }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', async () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const answer: Answer = { status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: text && /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : text };
          try {
            await assertMatchesContract({ method, path: p, status: answer.status, headers: answer.headers, body: answer.body });
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

  function expectError(answer: Answer, status: number, code: string) {
    expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
    expect(answer.body.code, JSON.stringify(answer.body)).to.equal(code);
    expect(answer.body.message).to.be.a('string').and.not.equal('');
  }

  /** Raw bytes on a socket, then the client goes away (`destroy`) or stops sending (`end`). */
  function sendRaw(head: string[], body: Buffer, then: 'destroy' | 'end'): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`${head.join('\r\n')}\r\n\r\n`);
        socket.write(body, () => {
          if (then === 'end') socket.end();
          else setTimeout(() => socket.destroy(), 100);
        });
      });
      let received = '';
      socket.on('data', (chunk) => (received += chunk));
      socket.on('close', () => resolve(received));
      socket.on('error', () => undefined);
      setTimeout(() => socket.destroy(), 5_000);
    });
  }

  /** The access-log record of the request sent with x-request-id `id`, once it has ended. */
  async function logged(id: string): Promise<Record<string, any>> {
    for (let waited = 0; waited < 3_000; waited += 50) {
      const record = records.find((r) => r.msg === 'request' && r.requestId === id);
      if (record) return record;
      await sleep(50);
    }
    throw new Error(`request ${id} never ended (no access-log record within 3 s)`);
  }

  const routes = () => [
    { name: 'POST /auth (unauthenticated)', method: 'POST', path: '/api/v1/auth', headers: {} as Record<string, string>, ok: 200, json: credentials },
    { name: 'POST /collection/tags', method: 'POST', path: '/api/v1/collection/tags', headers: { key: server.adminKey }, ok: 201, json: Buffer.from(JSON.stringify({ name: `t-${Math.random()}` })) },
    { name: 'SEARCH /collection/tags', method: 'SEARCH', path: '/api/v1/collection/tags', headers: { key: server.adminKey }, ok: 200, json: Buffer.from('{}') },
  ];

  describe('a corrupt or truncated compressed body', () => {
    const corrupt: [string, (json: Buffer) => Buffer][] = [
      ['gzip', () => Buffer.from('this is not gzip data')],
      ['gzip', (json) => gzipSync(json).subarray(0, 12)],
      ['deflate', () => Buffer.from('this is not deflate data')],
      ['br', () => Buffer.from('this is not brotli data at all')],
    ];
    it('answers 400 INVALID_BODY naming the coding, on every route, and logs no 500', async () => {
      for (const route of routes()) {
        for (const [coding, make] of corrupt) {
          const answer = await send(route.method, route.path, make(route.json), { ...route.headers, 'content-type': 'application/json', 'content-encoding': coding });
          expectError(answer, 400, 'INVALID_BODY');
          expect(answer.body.message, route.name).to.include(coding);
        }
      }
      expect(records.filter((r) => r.level >= 50)).to.deep.equal([]);
    });

    it('a correct gzip, deflate or br body (any case of the name) is read as usual', async () => {
      for (const route of routes()) {
        for (const [coding, encode] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync], ['GZip', gzipSync], ['identity', (b: Buffer) => b]] as const) {
          const json = route.path.endsWith('/tags') && route.method === 'POST' ? Buffer.from(JSON.stringify({ name: `t-${coding}-${Math.random()}` })) : route.json;
          const answer = await send(route.method, route.path, encode(json), { ...route.headers, 'content-type': 'application/json', 'content-encoding': coding });
          expect(answer.status, `${route.name} ${coding}: ${JSON.stringify(answer.body)}`).to.equal(route.ok);
        }
      }
    });

    it('a compressed body larger than the limit once inflated answers 413 PAYLOAD_TOO_LARGE', async () => {
      const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
      const answer = await send('POST', '/api/v1/auth', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('an unsupported Content-Encoding', () => {
    it('answers 400 UNSUPPORTED_CONTENT_ENCODING with Accept-Encoding, on every route, before reading', async () => {
      for (const route of routes()) {
        for (const coding of ['compress', 'x-gzip', 'gzip, br', 'zstd']) {
          const answer = await send(route.method, route.path, route.json, { ...route.headers, 'content-type': 'application/json', 'content-encoding': coding });
          expectError(answer, 400, 'UNSUPPORTED_CONTENT_ENCODING');
          expect(answer.body.message).to.include(coding);
          expect(answer.headers['accept-encoding']).to.equal('gzip, deflate, br');
        }
      }
    });

    it('a multipart upload takes no Content-Encoding: 400 UNSUPPORTED_CONTENT_ENCODING, authenticated or not', async () => {
      const boundary = 'xBOUNDARYx';
      const multipart = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`);
      for (const key of [writerKey, undefined]) {
        for (const [coding, body] of [['gzip', gzipSync(multipart)], ['gzip', Buffer.from('corrupt')], ['compress', multipart]] as const) {
          const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-encoding': coding };
          if (key) headers.key = key;
          expectError(await send('POST', uploadPath, body, headers), 400, 'UNSUPPORTED_CONTENT_ENCODING');
        }
      }
      // The same body without a coding is an ordinary upload.
      const plain = await send('POST', uploadPath, multipart, { 'content-type': `multipart/form-data; boundary=${boundary}`, key: writerKey });
      expect(plain.status, JSON.stringify(plain.body)).to.equal(200);
    });

    it('GET and HEAD never read a body: their Content-Encoding is ignored', async () => {
      for (const method of ['GET', 'HEAD']) {
        const answer = await send(method, '/api/v1/app/backend.version', Buffer.from('garbage'), { key: server.adminKey, 'content-encoding': 'gzip' });
        expect(answer.status, method).to.equal(200);
      }
    });
  });

  describe('a body that ends early or disagrees with its Content-Length', () => {
    const cases: { name: string; head: (id: string) => string[]; body: Buffer; then: 'destroy' | 'end' }[] = [
      {
        name: 'gzip, the client aborts mid-body',
        head: (id) => ['POST /api/v1/auth HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${gzipSync(credentials).length + 50}`, `x-request-id: ${id}`],
        body: gzipSync(credentials).subarray(0, 10),
        then: 'destroy',
      },
      {
        name: 'gzip, fewer bytes than Content-Length, then the client stops sending',
        head: (id) => ['POST /api/v1/auth HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${gzipSync(credentials).length + 50}`, `x-request-id: ${id}`],
        body: gzipSync(credentials),
        then: 'end',
      },
      {
        name: 'gzip, more bytes than Content-Length (the body is cut short)',
        head: (id) => ['POST /api/v1/auth HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${gzipSync(credentials).length - 8}`, `x-request-id: ${id}`],
        body: gzipSync(credentials),
        then: 'end',
      },
      {
        name: 'identity, more bytes than Content-Length (the rest is no valid request)',
        head: (id) => ['POST /api/v1/auth HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', `Content-Length: ${credentials.length - 8}`, `x-request-id: ${id}`],
        body: credentials,
        then: 'end',
      },
      {
        name: 'identity, fewer bytes than Content-Length, then the client stops sending',
        head: (id) => ['POST /api/v1/auth HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', `Content-Length: ${credentials.length + 50}`, `x-request-id: ${id}`],
        body: credentials,
        then: 'end',
      },
      {
        name: 'identity, fewer bytes than Content-Length, then the client aborts',
        head: (id) => ['POST /api/v1/auth HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', `Content-Length: ${credentials.length + 50}`, `x-request-id: ${id}`],
        body: credentials,
        then: 'destroy',
      },
      {
        name: 'a truncated chunked gzip SEARCH body, then the client aborts',
        head: (id) => [`SEARCH /api/v1/collection/tags HTTP/1.1`, 'Host: localhost', `key: ${server.adminKey}`, 'Content-Type: application/json', 'Content-Encoding: gzip', 'Transfer-Encoding: chunked', `x-request-id: ${id}`],
        body: Buffer.concat([Buffer.from('20\r\n'), gzipSync(Buffer.from('{"filters":[]}')).subarray(0, 8)]),
        then: 'destroy',
      },
      {
        name: 'a truncated chunked JSON body, then the client aborts',
        head: (id) => ['POST /api/v1/auth HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Transfer-Encoding: chunked', `x-request-id: ${id}`],
        body: Buffer.from('40\r\n{"user":"a'),
        then: 'destroy',
      },
    ];
    it('a request head over 64 KiB answers 431 HEADERS_TOO_LARGE with an Error body (from the HTTP parser, not a bodyless reply)', async () => {
      const received = await sendRaw(['GET /api/v1/app/backend.version HTTP/1.1', 'Host: localhost', `x-padding: ${'a'.repeat(70 * 1024)}`], Buffer.alloc(0), 'end');
      expect(received).to.match(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).to.include({ code: 'HEADERS_TOO_LARGE' });
    });

    for (const { name, head, body, then } of cases) {
      it(`${name}: the request ends as a 4xx (answered when the client still listens), never a 500`, async () => {
        const id = `enc-${Math.random().toString(36).slice(2)}`;
        const received = await sendRaw(head(id), body, then);
        const record = await logged(id);
        expect(record.status, JSON.stringify(record)).to.be.within(400, 499);
        if (then === 'end') {
          // The client still listens: the first answer it reads is a 4xx with an Error body.
          expect(received).to.match(/^HTTP\/1\.1 4\d\d /);
          const [head, rest] = [received.slice(0, received.indexOf('\r\n\r\n')), received.slice(received.indexOf('\r\n\r\n') + 4)];
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
          const error = JSON.parse(rest.slice(0, length));
          expect(error.code, received).to.be.a('string').and.match(/^[A-Z_]+$/);
          expect(error.message, received).to.be.a('string').and.not.equal('');
        }
        expect(records.filter((r) => r.level >= 50 && r.requestId === id)).to.deep.equal([]);
      });
    }
  });
});
