// Soak: a mixed workload (lists, reads, creates, updates, uploads bound to items, deletes,
// user.current, POST /auth + /deauth) over several keys in three tenants, first as fast as it
// goes (the peak), then at a fraction of that peak for --minutes, sampling the server's RSS and
// event-loop delay (scripts/bench/loop-monitor.ts, preloaded) and the client's latency every
// --sample seconds. Prints a table and a verdict: RSS growth after warm-up under 10%, p99 stable.
// Usage: npm run bench:soak [-- --minutes 10 --fraction 0.8 --connections 10 --peak-seconds 15]
//        (DATABASE_URL=postgresql://... for PostgreSQL, REDIS_URL for Redis; default: temp SQLite)
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { median, startProcess, tempDatabaseUrl } from './lib.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    fraction: { type: 'string', default: '0.8' },
    connections: { type: 'string', default: '10' },
    'peak-seconds': { type: 'string', default: '15' },
    sample: { type: 'string', default: '10' },
    'warmup-minutes': { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const fraction = Number(values.fraction);
const connections = Number(values.connections);
const peakSeconds = Number(values['peak-seconds']);
const sampleSeconds = Number(values.sample);
/** Samples before this are warm-up (JIT, caches, pools filling): the default is a fifth of the run, at least a minute. */
const warmupSeconds = values['warmup-minutes'] !== undefined ? Number(values['warmup-minutes']) * 60 : Math.max(60, (minutes * 60) / 5);
/** The verdict's bounds. */
const MAX_RSS_GROWTH = 0.1;
const MAX_P99_RATIO = 1.5;

const databaseUrl = process.env.DATABASE_URL ?? tempDatabaseUrl();
const admin = { email: 'soak@example.com', password: 'soak-password-1' };

interface ServerSample {
  at: number;
  rss: number;
  heapUsed: number;
  loopMeanMs: number;
  loopP99Ms: number;
  loopMaxMs: number;
}
const serverSamples: ServerSample[] = [];

const api = await startProcess(
  'src/main.ts',
  {
    DATABASE_URL: databaseUrl,
    FILES_DIR: mkdtempSync(path.join(tmpdir(), 'jetstack-soak-files-')),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    LOG_LEVEL: 'warn',
    KEY_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_IP: '1000000',
    AUTH_RATE_LIMIT_PER_LOGIN: '1000000',
    SOAK_SAMPLE_MS: String(sampleSeconds * 1000),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `soak-${randomBytes(3).toString('hex')}` } : {}),
  },
  '/healthz',
  {
    preload: ['./scripts/bench/loop-monitor.ts'],
    onStderrLine: (line) => {
      if (line.startsWith('soak-sample ')) serverSamples.push(JSON.parse(line.slice('soak-sample '.length)) as ServerSample);
      else if (line.trim()) process.stderr.write(`server: ${line}\n`);
    },
  },
);

/** One JSON request with an explicit Host (fetch cannot set it); answers status and parsed body. */
function call(method: string, pathname: string, options: { host?: string; key?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const text = options.body === undefined ? undefined : JSON.stringify(options.body);
  const url = new URL(pathname, api.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method,
      headers: {
        ...(options.host ? { host: options.host } : {}),
        ...(options.key ? { key: options.key } : {}),
        ...(text ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}),
      },
    }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data && res.headers['content-type']?.includes('json') ? JSON.parse(data) : data }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

function must<T extends { status: number; body: any }>(what: string, res: T, status: number): T {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

interface Identity {
  host: string;
  key: string;
  login: string;
  password: string;
  type: string;
  itemIds: number[];
}

/** A tenant (the root one when `host` is null) with a type, items and two users with keys. */
async function seedTenant(rootKey: string, slug: string | null): Promise<Identity[]> {
  let host = new URL(api.url).host;
  let operatorKey = rootKey;
  if (slug) {
    host = `${slug}.soak.test`;
    const operator = { login: `op@${slug}.test`, password: 'operator-password-1' };
    must('create tenant', await call('POST', '/api/v1/admin/tenants', { key: rootKey, body: { slug, name: slug, hosts: [host], admin: operator } }), 201);
    operatorKey = must('operator key', await call('POST', '/api/v1/auth', { host, body: { user: operator.login, password: operator.password } }), 200).body.authToken.keyString;
  }
  const type = must('type', await call('POST', '/api/v1/admin/types', {
    host, key: operatorKey,
    body: {
      systemName: 'thing',
      properties: [
        { systemName: 'code', kind: 'string', unique: true, required: true },
        { systemName: 'labels', kind: 'string', multiple: true },
        { systemName: 'status', kind: 'enum', enumValues: ['open', 'done', 'held'] },
        { systemName: 'score', kind: 'integer' },
        { systemName: 'doc', kind: 'file' },
      ],
    },
  }), 201).body;
  const role = must('role', await call('POST', '/api/v1/admin/roles', {
    host, key: operatorKey,
    body: { name: 'soak', permissions: ['useApi', 'profile'], typePermissions: [{ typeId: type.id, show: true, create: true, edit: true, delete: true }] },
  }), 201).body;
  const identities: Identity[] = [];
  for (let u = 0; u < 2; u++) {
    const login = `user${u}@${slug ?? 'root'}.test`;
    const password = `soak-user-password-${u}`;
    must('user', await call('POST', '/api/v1/admin/users', { host, key: operatorKey, body: { login, name: login, password, roles: [role.id] } }), 201);
    const key = must('user key', await call('POST', '/api/v1/auth', { host, body: { user: login, password } }), 200).body.authToken.keyString;
    identities.push({ host, key, login, password, type: 'thing', itemIds: [] });
  }
  const ids: number[] = [];
  for (let i = 0; i < 200; i++) {
    const item = must('seed item', await call('POST', '/api/v1/collection/thing', {
      host, key: identities[0].key, body: { code: `seed-${i}`, labels: [`l${i % 7}`, `m${i % 3}`], status: ['open', 'done', 'held'][i % 3], score: i % 50 },
    }), 201).body;
    ids.push(item.id);
  }
  for (const identity of identities) identity.itemIds = ids;
  return identities;
}

const rootKey = must('root key', await call('POST', '/api/v1/auth', { body: { user: admin.email, password: admin.password } }), 200).body.authToken.keyString;
const identities = [...(await seedTenant(rootKey, null)), ...(await seedTenant(rootKey, 'alpha')), ...(await seedTenant(rootKey, 'beta'))];
console.log(`seeded 3 tenants, ${identities.length} keys, 200 items per tenant (${databaseUrl.startsWith('file:') ? 'SQLite' : 'PostgreSQL'}${process.env.REDIS_URL ? ' + Redis' : ''})`);

// ------------------------------------------------------------------------- the workload

type Context = { who?: Identity; created?: number; promise?: string; issued?: string };
interface Req {
  setupRequest: (req: any, context: Context) => any;
  onResponse?: (status: number, body: string, context: Context) => void;
}

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)];
const as = (context: Context, req: any, extra: Record<string, string> = {}) => ({ ...req, headers: { ...req.headers, host: context.who!.host, key: context.who!.key, ...extra } });
const json = (context: Context, req: any, method: string, url: string, body: unknown) =>
  as(context, { ...req, method, path: url, body: JSON.stringify(body) }, { 'content-type': 'application/json' });
const boundary = 'soakboundary7d1f';
const filters = encodeURIComponent(JSON.stringify([{ property: 'status', type: 'eq', param: 'open' }]));

/** One cycle per connection; the context is fresh at the start of each (autocannon resets it). */
const cycle: Req[] = [
  { setupRequest: (req, c) => ((c.who = pick(identities)), as(c, { ...req, method: 'GET', path: '/api/v1/collection/thing?perPage=20&orderBy=id&orderDir=desc' })) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'GET', path: `/api/v1/collection/thing/${pick(c.who!.itemIds)}` }) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'GET', path: `/api/v1/collection/thing?perPage=10&page=2&filters=${filters}` }) },
  {
    setupRequest: (req, c) => json(c, req, 'POST', '/api/v1/collection/thing', { code: `c-${randomBytes(6).toString('hex')}`, labels: ['a', 'b'], status: 'open', score: 1 }),
    onResponse: (status, body, c) => {
      if (status === 201) c.created = JSON.parse(body).id;
    },
  },
  { setupRequest: (req, c) => json(c, req, 'PATCH', `/api/v1/collection/thing/${c.created ?? 0}`, { 'labels+=': ['c'], status: 'held' }) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'GET', path: '/api/v1/app/user.current' }) },
  {
    setupRequest: (req, c) =>
      as(c, {
        ...req, method: 'POST', path: '/api/v1/upload/thing/doc',
        body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\n${'soak bytes '.repeat(50)}\r\n--${boundary}--\r\n`,
      }, { 'content-type': `multipart/form-data; boundary=${boundary}` }),
    onResponse: (status, body, c) => {
      if (status === 200) c.promise = JSON.parse(body)[0];
    },
  },
  { setupRequest: (req, c) => json(c, req, 'PATCH', `/api/v1/collection/thing/${c.created ?? 0}`, { doc: c.promise ?? 'missing' }) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'GET', path: `/api/v1/collection/thing/${c.created ?? 0}` }) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'DELETE', path: `/api/v1/collection/thing/${c.created ?? 0}` }) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'GET', path: `/api/v1/collection/thing/${pick(c.who!.itemIds)}` }) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'GET', path: '/api/v1/collection/thing?perPage=50&orderBy=score&orderDir=asc' }) },
  {
    setupRequest: (req, c) => ({ ...req, method: 'POST', path: '/api/v1/auth', headers: { host: c.who!.host, 'content-type': 'application/json' }, body: JSON.stringify({ user: c.who!.login, password: c.who!.password }) }),
    onResponse: (status, body, c) => {
      if (status === 200) c.issued = JSON.parse(body).authToken.keyString;
    },
  },
  { setupRequest: (req, c) => ({ ...req, method: 'POST', path: '/api/v1/deauth', headers: { host: c.who!.host, 'content-type': 'application/json' }, body: JSON.stringify({ key: c.issued ?? 'none:none' }) }) },
  { setupRequest: (req, c) => as(c, { ...req, method: 'GET', path: '/api/v1/collection/thing?perPage=20' }) },
];

interface Window {
  latencies: number[];
  statuses: Map<number, number>;
}
const freshWindow = (): Window => ({ latencies: [], statuses: new Map() });

function run(seconds: number, rate: number | undefined, onResponse?: (status: number, ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: api.url, connections, duration: seconds, requests: cycle as unknown as autocannon.Request[], ...(rate ? { overallRate: rate } : {}) },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (onResponse) instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
  });
}

const percentile = (values: number[], p: number) => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

try {
  await run(5, undefined); // warm-up of the peak measurement
  const peakStatuses = new Map<number, number>();
  const peak = await run(peakSeconds, undefined, (status) => peakStatuses.set(status, (peakStatuses.get(status) ?? 0) + 1));
  const peakRate = peak.requests.average;
  console.log(`peak: ${peakRate.toFixed(0)} req/s over ${peakSeconds} s, ${connections} connections (p50 ${peak.latency.p50} ms, p99 ${peak.latency.p99} ms; statuses ${JSON.stringify([...peakStatuses])})`);
  const rate = Math.max(1, Math.round(peakRate * fraction));
  console.log(`soak: ${rate} req/s (${Math.round(fraction * 100)}% of peak) for ${minutes} min, a sample every ${sampleSeconds} s, warm-up ${warmupSeconds} s\n`);

  const windows: (Window & { serverSample: ServerSample; second: number })[] = [];
  let window = freshWindow();
  const startedAt = Date.now();
  const seenSamples = serverSamples.length;
  const header = ['t (s)', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'RSS MB', 'heap MB', 'loop p99 ms', 'loop max ms'];
  console.log(header.map((h) => h.padStart(12)).join(''));
  const flusher = setInterval(() => {
    // Pair each new server sample with the client responses seen since the previous one.
    while (serverSamples.length > seenSamples + windows.length) {
      const sample = serverSamples[seenSamples + windows.length];
      const second = Math.round((sample.at - startedAt) / 1000);
      const done = { ...window, serverSample: sample, second };
      window = freshWindow();
      windows.push(done);
      const non2xx = [...done.statuses].filter(([s]) => s < 200 || s >= 300).reduce((sum, [, n]) => sum + n, 0);
      const row = [second, Math.round(done.latencies.length / sampleSeconds), percentile(done.latencies, 50).toFixed(1), percentile(done.latencies, 99).toFixed(1), non2xx,
        (sample.rss / 2 ** 20).toFixed(1), (sample.heapUsed / 2 ** 20).toFixed(1), sample.loopP99Ms, sample.loopMaxMs];
      console.log(row.map((v) => String(v).padStart(12)).join(''));
    }
  }, 500);
  const statuses = new Map<number, number>();
  const soak = await run(minutes * 60, rate, (status, ms) => {
    window.latencies.push(ms);
    window.statuses.set(status, (window.statuses.get(status) ?? 0) + 1);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  clearInterval(flusher);

  // ----------------------------------------------------------------------- the verdict
  const steady = windows.filter((w) => w.second > warmupSeconds && w.latencies.length > 0);
  if (steady.length < 6) throw new Error(`only ${steady.length} samples after warm-up: run longer (--minutes)`);
  const third = Math.max(3, Math.floor(steady.length / 3));
  const first = steady.slice(0, third);
  const last = steady.slice(-third);
  const rssFirst = median(first.map((w) => w.serverSample.rss));
  const rssLast = median(last.map((w) => w.serverSample.rss));
  const rssGrowth = (rssLast - rssFirst) / rssFirst;
  const p99First = median(first.map((w) => percentile(w.latencies, 99)));
  const p99Last = median(last.map((w) => percentile(w.latencies, 99)));
  const p99Ratio = p99Last / Math.max(p99First, 1);
  const non2xx = [...statuses].filter(([s]) => s < 200 || s >= 300);
  console.log(`\nsent ${soak.requests.total} requests at ${soak.requests.average.toFixed(0)} req/s (target ${rate}); statuses ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}; errors ${soak.errors}, timeouts ${soak.timeouts}`);
  console.log(`latency over the whole soak: p50 ${soak.latency.p50} ms, p99 ${soak.latency.p99} ms (corrected for coordinated omission)`);
  console.log(`RSS after warm-up: ${(rssFirst / 2 ** 20).toFixed(1)} MB (median of the first ${third} samples) → ${(rssLast / 2 ** 20).toFixed(1)} MB (last ${third}): ${(rssGrowth * 100).toFixed(1)}% (bound ${MAX_RSS_GROWTH * 100}%)`);
  console.log(`p99 per window after warm-up: ${p99First.toFixed(1)} ms (median of the first ${third}) → ${p99Last.toFixed(1)} ms (last ${third}): × ${p99Ratio.toFixed(2)} (bound × ${MAX_P99_RATIO})`);
  console.log(`event-loop delay p99 per window: median ${median(steady.map((w) => w.serverSample.loopP99Ms)).toFixed(1)} ms, worst ${Math.max(...steady.map((w) => w.serverSample.loopP99Ms))} ms`);
  const ok = rssGrowth < MAX_RSS_GROWTH && p99Ratio <= MAX_P99_RATIO && non2xx.length === 0 && soak.errors === 0;
  console.log(`verdict: ${ok ? 'PASS' : 'FAIL'}${non2xx.length ? ` (non-2xx answers: ${JSON.stringify(non2xx)})` : ''}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await api.stop();
}
