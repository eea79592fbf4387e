// An in-process server on a fresh database, and an HTTP client whose every response is
// validated against the contract. The admin of the root tenant is ready with a key.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { assertMatchesContract } from './contract.ts';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

export interface RequestOptions {
  key?: string;
  headers?: Record<string, string>;
  /** JSON body (object) or raw string body. */
  body?: unknown;
  form?: Record<string, string>;
  /** multipart/form-data body (encoded by the platform's Request, as a browser would). */
  multipart?: FormData;
  host?: string;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
  text: string;
  /** The body's exact bytes (downloads). */
  bytes: Buffer;
}

export interface TestServer {
  url: string;
  running: RunningServer;
  database: TestDatabase;
  adminKey: string;
  redisPrefix: string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

export async function request<T = any>(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key) headers.key = options.key;
  if (options.host) headers.host = options.host;
  let body: string | Buffer | undefined;
  if (options.multipart) {
    const encoded = new Request('http://localhost/', { method: 'POST', body: options.multipart });
    headers['content-type'] ??= encoded.headers.get('content-type')!;
    body = Buffer.from(await encoded.arrayBuffer());
  } else if (options.form) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (typeof options.body === 'string') {
    headers['content-type'] ??= 'application/json';
    body = options.body;
  } else if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  }
  const url = new URL(path, baseUrl);
  const response = await fetchWithHost(url, { method, headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  const responseHeaders = Object.fromEntries(response.headers.entries());
  let parsed: unknown = text;
  if ((responseHeaders['content-type'] ?? '').includes('json') && text) parsed = JSON.parse(text);
  await assertMatchesContract({ method, path: url.pathname, status: response.status, headers: responseHeaders, body: parsed });
  return { status: response.status, headers: responseHeaders, body: parsed as T, text, bytes };
}

/** fetch() forbids setting Host; node:http does not. */
async function fetchWithHost(url: URL, init: { method: string; headers: Record<string, string>; body?: string | Buffer }) {
  const { request: httpRequest } = await import('node:http');
  return new Promise<Response>((resolve, reject) => {
    const req = httpRequest(url, { method: init.method, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const status = res.statusCode ?? 0;
        const body = [204, 304].includes(status) || init.method === 'HEAD' ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status, headers }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

export async function startTestServer(env: Record<string, string> = {}, database?: TestDatabase): Promise<TestServer> {
  const db = database ?? (await createTestDatabase());
  const redisPrefix = env.REDIS_PREFIX ?? `jt-test-${randomBytes(4).toString('hex')}`;
  const filesDir = env.FILES_DIR ?? (await mkdtemp(path.join(os.tmpdir(), 'jt-files-')));
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'silent',
    FILES_DIR: filesDir,
    // Test files create many keys from one IP; tests of the limits set their own budgets.
    AUTH_RATE_LIMIT_PER_IP: '100000',
    AUTH_RATE_LIMIT_PER_LOGIN: '100000',
    AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL: '100000',
    // The server and the test client share one event loop here: a loop busy for 50 ms (the
    // production bound) would turn a Redis answer into a timeout. Fault tests set their own.
    CACHE_STORE_TIMEOUT_MS: '1000',
    ...env,
  });
  const running = await startServer(config);
  let adminKey = running.bootstrap?.apiKey ?? '';
  if (!adminKey) {
    const created = await request(running.url, 'POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
    adminKey = created.body.authToken.keyString;
  }
  return {
    url: running.url,
    running,
    database: db,
    adminKey,
    redisPrefix,
    request: (method, path, options) => request(running.url, method, path, options),
    async stop() {
      await running.stop();
      if (!database) await db.drop();
      if (!env.FILES_DIR) await rm(filesDir, { recursive: true, force: true });
    },
  };
}
