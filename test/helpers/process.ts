// Real server processes (`node --import tsx src/main.ts`) for end-to-end tests: a free
// loopback port, a clean environment, output collected, /healthz awaited, SIGTERM to stop.
// Every wait is bounded, and every process started here is tracked so that an `after`
// hook (stopAllProcesses) — and, as a last resort, the test runner's exit — kills it.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type Agent } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { assertMatchesContract } from './contract.ts';
import type { ApiResponse, RequestOptions } from './server.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every variable src/config.ts reads: never inherited from the test runner's environment. */
const SERVER_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_PREFIX',
  'CACHE_STORE',
  'CACHE_MAX_BYTES',
  'CACHE_MAX_ENTRY_BYTES',
  'CACHE_ITEM_TTL_SECONDS',
  'CACHE_STORE_TIMEOUT_MS',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'BODY_LIMIT_BYTES',
  'TRUST_PROXY',
  'TRUST_PROXY_HOPS',
  'UNKNOWN_HOST_FALLBACK',
  'CORS_ORIGIN',
  'AUTH_RATE_LIMIT_PER_IP',
  'AUTH_RATE_LIMIT_PER_LOGIN',
  'AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL',
  'AUTH_LOGIN_SLOWDOWN_MS',
  'AUTH_RATE_LIMIT_WINDOW_SECONDS',
  'KEY_RATE_LIMIT_PER_MINUTE',
  'SHUTDOWN_TIMEOUT_MS',
  'SHUTDOWN_DRAIN_MS',
  'FILES_DIR',
  'UPLOAD_MAX_BYTES',
  'UPLOAD_MAX_FILES',
  'FILE_PROMISE_TTL_SECONDS',
  'UPLOAD_PENDING_MAX_BYTES',
  'UPLOAD_CONCURRENT_PER_USER',
  // mail and SMS delivery
  'PUBLIC_BASE_URL',
  'SMTP_URL',
  'MAIL_FROM',
  'SMS_WEBHOOK_URL',
  'SMS_WEBHOOK_SECRET',
  'DELIVERY_MAX_ATTEMPTS',
  'DELIVERY_RETRY_BASE_MS',
  'DELIVERY_RETRY_MAX_DELAY_MS',
  'DELIVERY_POLL_MS',
  'DELIVERY_SEND_TIMEOUT_MS',
];

export type Env = Record<string, string | undefined>;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned child whose output is collected and whose exit can be awaited. */
export class TrackedProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its output streams are drained. */
  readonly exited: Promise<Exit>;
  private out = '';
  private err = '';
  private exit: Exit | null = null;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { env: NodeJS.ProcessEnv; cwd?: string },
  ) {
    this.child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.err += `\n[spawn failed: ${error.message}]`;
        this.exit = { code: null, signal: null };
        live.delete(this);
        resolve(this.exit);
      });
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve(this.exit);
      });
    });
    live.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }
  get running(): boolean {
    return this.exit === null;
  }

  /** The tail of both streams, for failure messages. */
  describe(chars = 3000): string {
    const tail = (text: string) => (text.length > chars ? `…${text.slice(-chars)}` : text);
    return `${this.name} (pid ${this.pid}, ${this.exit ? `exited ${JSON.stringify(this.exit)}` : 'running'})\n--- stdout ---\n${tail(this.out)}\n--- stderr ---\n${tail(this.err)}`;
  }

  /** Resolves with the exit, or null if the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit | null> {
    return Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
  }

  /** Waits until `predicate(stdout)` holds; throws (with the output) after `timeoutMs` or on exit. */
  async waitForStdout(predicate: (stdout: string) => boolean, timeoutMs: number, what = 'expected output'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.out)) {
      if (!this.running) throw new Error(`${what}: process exited first\n${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms\n${this.describe()}`);
      await sleep(25);
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILLs and throws when it takes longer than `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
    if (!this.running) return this.exit!;
    this.child.kill(signal);
    const exit = await this.waitForExit(timeoutMs);
    if (exit) return exit;
    await this.kill();
    throw new Error(`${this.name} did not exit within ${timeoutMs} ms of ${signal}; killed\n${this.describe()}`);
  }

  /** SIGKILL, bounded wait. Safe to call on an exited process. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.waitForExit(5_000);
  }
}

const live = new Set<TrackedProcess>();

/** For `after` hooks: kills every process started through this module that still runs. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

// mocha runs with `exit: true`: make sure no child outlives the runner, whatever happened.
process.once('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
});

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port on 127.0.0.1 nobody listens on right now (bind to 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The test runner's environment without any server variable, plus `env` (undefined = unset). */
export function serverEnv(env: Env): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVER_VARIABLES) delete result[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

/** Starts `node --import tsx src/main.ts` with exactly `env` (no waiting). */
export function spawnServer(env: Env, name = 'server'): TrackedProcess {
  return new TrackedProcess(name, process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: serverEnv(env) });
}

/** Runs the server with `env` until it exits by itself; throws (after killing it) past `timeoutMs`. */
export async function runUntilExit(env: Env, timeoutMs = 20_000): Promise<{ exit: Exit; stdout: string; stderr: string }> {
  const p = spawnServer(env, 'run-until-exit');
  const exit = await p.waitForExit(timeoutMs);
  if (!exit) {
    await p.kill();
    throw new Error(`the server did not exit within ${timeoutMs} ms\n${p.describe()}`);
  }
  return { exit, stdout: p.stdout, stderr: p.stderr };
}

export interface ServerProcess extends TrackedProcess {
  url: string;
  port: number;
  /** A request validated against openapi.yaml (see helpers/server.ts), bounded in time. */
  request<T = any>(method: string, path: string, options?: RequestOptions & { timeoutMs?: number }): Promise<ApiResponse<T>>;
  /** The stdout lines that parse as JSON objects (pino log records). */
  logRecords(): Record<string, any>[];
}

export interface StartOptions {
  /** Bound on reaching /healthz (tsx start-up plus migrations take a few seconds). */
  readyTimeoutMs?: number;
  name?: string;
}

/**
 * Spawns a server on a free loopback port and waits for GET /healthz → 200. PORT and HOST are
 * chosen here unless given. Throws with the process output if it exits or times out first.
 */
export async function startServerProcess(env: Env, options: StartOptions = {}): Promise<ServerProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    const port = env.PORT !== undefined ? Number(env.PORT) : await freePort();
    const p = spawnServer({ HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env, PORT: String(port) }, options.name ?? `server:${port}`);
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitForHealthy(p, url, readyTimeoutMs);
    if (ready === 'healthy') return asServerProcess(p, url, port);
    await p.kill();
    // Another process may have taken the port between probing and binding: try another.
    if (ready === 'exited' && /EADDRINUSE/.test(p.stderr) && env.PORT === undefined && attempt < 3) continue;
    throw new Error(`server did not become healthy (${ready}) within ${readyTimeoutMs} ms\n${p.describe()}`);
  }
}

async function waitForHealthy(p: TrackedProcess, url: string, timeoutMs: number): Promise<'healthy' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!p.running) return 'exited';
    const status = await rawStatus(`${url}/healthz`, 1_000).catch(() => 0);
    if (status === 200) return 'healthy';
    await sleep(100);
  }
  return 'timeout';
}

/** GET on a fresh connection (no keep-alive); resolves with the status. Rejects on connection errors. */
export function rawStatus(url: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function asServerProcess(p: TrackedProcess, url: string, port: number): ServerProcess {
  const server = p as ServerProcess;
  server.url = url;
  server.port = port;
  server.request = (method, path, options = {}) => sendRequest(url, method, path, options).response;
  server.logRecords = () => jsonLines(p.stdout);
  return server;
}

export function jsonLines(text: string): Record<string, any>[] {
  const records: Record<string, any>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line);
      if (value && typeof value === 'object') records.push(value);
    } catch {
      // not a log record
    }
  }
  return records;
}

export interface SentRequest<T = any> {
  /** Resolves once the whole request (headers and body) has been handed to the socket. */
  sent: Promise<void>;
  /** With `holdLastBytes`: resolves once everything but those bytes is on the wire. */
  started: Promise<void>;
  /** With `holdLastBytes`: sends the bytes held back, completing the request. */
  release(): void;
  response: Promise<ApiResponse<T>>;
}

/**
 * One HTTP request on its own connection unless `agent` is given (no keep-alive pool shared
 * across tests or processes), its response checked against openapi.yaml like
 * helpers/server.ts does, and bounded by `timeoutMs`. `sent` lets a test
 * act (e.g. send SIGTERM) the moment a request is on the wire. `holdLastBytes` keeps the end of
 * the body back until release(): the server has the request (its head) but cannot finish it.
 */
export function sendRequest<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions & { timeoutMs?: number; agent?: Agent; holdLastBytes?: number } = {},
): SentRequest<T> {
  const headers: Record<string, string | string[]> = { ...(options.headers ?? {}) };
  if (options.key) headers.key = options.key;
  if (options.host) headers.host = options.host;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (typeof options.body === 'string') {
    headers['content-type'] ??= 'application/json';
    body = options.body;
  } else if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const url = new URL(path, baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let markSent!: () => void;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const hold = body === undefined ? 0 : Math.min(options.holdLastBytes ?? 0, Buffer.byteLength(body));
  let release = () => undefined as void;
  const raw = new Promise<{ status: number; headers: Record<string, string>; text: string; bytes: Buffer }>((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text: bytes.toString('utf8'), bytes });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no response within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('finish', () => markSent());
    req.on('error', (error) => {
      markSent();
      markStarted();
      reject(error);
    });
    if (hold > 0) {
      const bytes = Buffer.from(body!);
      req.write(bytes.subarray(0, bytes.length - hold), () => markStarted());
      release = () => void req.end(bytes.subarray(bytes.length - hold));
    } else {
      req.end(body);
      markStarted();
    }
  });
  const response = raw.then(async ({ status, headers: responseHeaders, text, bytes }) => {
    let parsed: unknown = text;
    if ((responseHeaders['content-type'] ?? '').includes('json') && text) parsed = JSON.parse(text);
    await assertMatchesContract({ method, path: url.pathname, status, headers: responseHeaders, body: parsed });
    return { status, headers: responseHeaders, body: parsed as T, text, bytes };
  });
  // A failure surfaces where the test awaits the response, not as an unhandled rejection meanwhile.
  response.catch(() => undefined);
  return { sent, started, release: () => release(), response };
}

// ------------------------------------------------------------------ a private Redis

export interface PrivateRedis {
  port: number;
  url: string;
  process: TrackedProcess;
}

/**
 * A redis-server of our own on a loopback port, without persistence unless `dir` is given
 * (then `SHUTDOWN SAVE` via redisCommand() writes dump.rdb there and a restart reloads it).
 */
export async function startRedis(options: { port?: number; dir?: string; timeoutMs?: number } = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  if (options.dir) args.push('--dir', options.dir, '--dbfilename', 'dump.rdb');
  const p = new TrackedProcess(`redis:${port}`, 'redis-server', args, { env: { PATH: process.env.PATH } });
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (!p.running) throw new Error(`redis-server exited\n${p.describe()}`);
    const reply = await redisCommand(port, ['PING']).catch(() => '');
    if (reply.startsWith('+PONG')) return { port, url: `redis://127.0.0.1:${port}`, process: p };
    await sleep(50);
  }
  await p.kill();
  throw new Error(`redis-server not answering PING on ${port}\n${p.describe()}`);
}

/** Sends one command in RESP and returns the raw reply text (bounded; empty on a closed connection). */
export function redisCommand(port: number, args: string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${args[0]}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (/\r\n$/.test(reply) && !/^\$\d+\r\n$/.test(reply)) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
