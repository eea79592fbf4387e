// Benchmark of the response cache (issue 8), in one run, alternating rounds at 10 connections:
// cache hits (a get one and the collection benchmark's list) against a bare node:http server
// replaying the same bytes and headers, from the memory store and from Redis; and the miss path
// with the cache on against the cache off (CACHE_STORE=none). Every answer must be 200 and the hit
// rounds must be hits (a sample of each round checked, and the server's own hit counter).
// Usage: npm run bench:cache [-- --items 100000 --seconds 5 --rounds 5 --connections 10 --profile | --profile-only]
//        (DATABASE_URL=postgresql://... a fresh database for PostgreSQL; REDIS_URL to use a given
//        Redis, else a private redis-server is started on a loopback port)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { cpuMs, freePort, load, median, startProcess, tempDatabaseUrl, type Process, type Run } from './lib.ts';
import { seedProjects } from './seed-projects.ts';
import { printSummary } from './profile-top.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    /** After the measured rounds: CPU profiles of the hit path (get one, list) and of list misses, cache on and off. */
    profile: { type: 'boolean', default: false },
    /** Only the profiles (no measured rounds). */
    'profile-only': { type: 'boolean', default: false },
    'profile-seconds': { type: 'string', default: '10' },
    /** Comma-separated filters of the profiled runs, words joined by '-' (e.g. `miss-get,hit-list`). */
    'profile-runs': { type: 'string' },
  },
});
const count = Number(values.items);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const TARGETS = { hitOverBare: 0.4, redisHitOverBare: 0.25, listHitP99Ms: 5, missOnOverOff: 0.95 };
const SAMPLE = 10;

const databaseUrl = process.env.DATABASE_URL ?? tempDatabaseUrl();
const admin = { email: 'bench@example.com', password: 'bench-password-1' };
const problems: string[] = [];
let statsMissing = false;
const check = (ok: boolean, what: string) => {
  if (!ok) problems.push(what);
  return ok;
};

console.log(machine());
const loadAtStart = os.loadavg()[0];
const seedStart = Date.now();
await seedProjects(databaseUrl, count, admin);
console.log(`seeded ${count} projects in ${((Date.now() - seedStart) / 1000).toFixed(1)} s (${databaseUrl.startsWith('file:') ? 'SQLite' : 'PostgreSQL'})`);

const redis = await redisForBench();
const common = {
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  LOG_FORMAT: 'json',
  // The limiter stays on (a hit never skips it), with a budget the run never reaches.
  KEY_RATE_LIMIT_PER_MINUTE: process.env.KEY_RATE_LIMIT_PER_MINUTE ?? '1000000000',
};
const started: Process[] = [];
const start = async (env: Record<string, string>, nodeArgs: string[] = []) => {
  const p = await startProcess('src/main.ts', { ...common, ...env }, '/healthz', { nodeArgs });
  started.push(p);
  return p;
};
try {
  // REDIS_URL '' keeps a REDIS_URL of this shell from reaching the processes that must not use it.
  const [memory, shared, off] = await Promise.all([
    start({ CACHE_STORE: 'memory', REDIS_URL: '' }),
    start({ CACHE_STORE: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
    start({ CACHE_STORE: 'none', REDIS_URL: '' }),
  ]);
  const key = await signIn(memory.url);
  const headers = { key };
  const filters = JSON.stringify([{ property: 'status', type: 'in', param: ['open', 'in_progress'] }]);
  const paths = {
    get: `/api/v1/collection/project/${Math.ceil(count / 2)}`,
    list: `/api/v1/collection/project?page=3&perPage=25&orderBy=created_on&orderDir=desc&filters=${encodeURIComponent(filters)}`,
  };

  // The bytes a hit answers, recorded once from the memory process, replayed by the bare server.
  const recorded: Record<string, { status: number; headers: Record<string, string>; body: string }> = {};
  const hitBody: Record<string, Buffer> = {};
  for (const [name, p] of Object.entries(paths)) {
    const first = await get(memory.url + p, headers);
    const second = await get(memory.url + p, headers);
    check(first.status === 200 && second.status === 200, `${name}: the API answers ${first.status}, ${second.status}`);
    check(second.headers['x-cache'] === 'HIT', `${name}: the second request is not a hit (X-Cache ${second.headers['x-cache']})`);
    check(second.body.equals(first.body), `${name}: the hit's bytes differ from the miss's`);
    console.log(`${name}: ${second.body.length} bytes, X-Cache ${first.headers['x-cache']} then ${second.headers['x-cache']}, ETag ${second.headers.etag}`);
    recorded[p] = { status: second.status, headers: replayable(second.headers), body: second.body.toString('base64') };
    hitBody[p] = second.body;
    for (const [other, url] of [['Redis', shared.url], ['cache off', off.url]] as const) {
      const answer = await get(url + p, headers);
      check(answer.status === 200 && answer.body.equals(second.body), `${name}: the ${other} process answers other bytes (${answer.status})`);
      if (other === 'Redis') check(answer.headers.etag === second.headers.etag, `${name}: the Redis process gives another ETag for the same bytes`);
    }
  }
  const responsesFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'jetstack-bench-cache-')), 'responses.json');
  writeFileSync(responsesFile, JSON.stringify(recorded));
  const bare = await startProcess('scripts/bench/bare-replay.ts', { BARE_RESPONSES: responsesFile });
  started.push(bare);
  for (const p of Object.values(paths)) {
    const replay = await get(bare.url + p, {});
    check(replay.status === 200 && replay.body.equals(hitBody[p]), `the bare server does not replay ${p}`);
  }

  // True misses (lookup, compute, store) with the cache on: a new key per request, the same
  // sequence on both sides. Get one: a new item each time. The list: the same filter with other
  // whitespace in its JSON (the key holds the query's text, the database sees the same query).
  // Requests of one URL with no-cache are not that: concurrent ones of a key are computed once.
  // (--items must exceed one side's get-one misses of the run, ~1000 req/s × seconds × rounds:
  // past it the ids come round again, those answers are hits, and the sample check says so.)
  const ids = { on: 0, off: 0 };
  const nextId = (side: 'on' | 'off') => () => `/api/v1/collection/project/${(ids[side]++ % count) + 1}`;
  const lists = { on: 0, off: 0 };
  const nextList = (side: 'on' | 'off') => () => {
    const i = lists[side]++;
    const pad = (n: number) => ' '.repeat(n);
    const spaced = `[${pad(i % 97)}{"property":"status",${pad(Math.floor(i / 97) % 97)}"type":"in","param":["open","in_progress"]}${pad(Math.floor(i / 9409))}]`;
    return paths.list.replace(`filters=${encodeURIComponent(filters)}`, `filters=${encodeURIComponent(spaced)}`);
  };
  const noCache = { ...headers, 'cache-control': 'no-cache' };
  interface Scenario {
    name: string;
    target: Process;
    path: string;
    headers: Record<string, string>;
    nextPath?: () => string;
    /** Hit rounds: the server's hit counter must grow by the round's requests. */
    hits?: 'memory' | 'redis';
    /** The X-Cache every sampled answer must carry. */
    xCache?: 'MISS' | 'BYPASS';
  }
  const scenarios: Scenario[] = [
    { name: 'bare node:http, get one', target: bare, path: paths.get, headers: {} },
    { name: 'hit, get one (memory)', target: memory, path: paths.get, headers, hits: 'memory' },
    { name: 'hit, get one (Redis)', target: shared, path: paths.get, headers, hits: 'redis' },
    { name: 'bare node:http, list', target: bare, path: paths.list, headers: {} },
    { name: 'hit, list (memory)', target: memory, path: paths.list, headers, hits: 'memory' },
    { name: 'hit, list (Redis)', target: shared, path: paths.list, headers, hits: 'redis' },
    { name: 'bypass (no-cache), get one, cache on', target: memory, path: paths.get, headers: noCache, xCache: 'BYPASS' },
    { name: 'bypass (no-cache), get one, cache off', target: off, path: paths.get, headers: noCache, xCache: 'BYPASS' },
    { name: 'bypass (no-cache), get one, cache on (Redis)', target: shared, path: paths.get, headers: noCache, xCache: 'BYPASS' },
    { name: 'bypass (no-cache), list, cache on', target: memory, path: paths.list, headers: noCache, xCache: 'BYPASS' },
    { name: 'bypass (no-cache), list, cache off', target: off, path: paths.list, headers: noCache, xCache: 'BYPASS' },
    { name: 'bypass (no-cache), list, cache on (Redis)', target: shared, path: paths.list, headers: noCache, xCache: 'BYPASS' },
    { name: 'miss (new key each), get one, cache on', target: memory, path: paths.get, headers, nextPath: nextId('on'), xCache: 'MISS' },
    { name: 'miss (new key each), get one, cache off', target: off, path: paths.get, headers, nextPath: nextId('off'), xCache: 'BYPASS' },
    { name: 'miss (new key each), list, cache on', target: memory, path: paths.list, headers, nextPath: nextList('on'), xCache: 'MISS' },
    { name: 'miss (new key each), list, cache off', target: off, path: paths.list, headers, nextPath: nextList('off'), xCache: 'BYPASS' },
  ];
  const run = (s: Scenario, duration: number) =>
    load({ url: s.target.url + s.path, headers: s.headers, connections, seconds: duration, nextPath: s.nextPath });

  if (!values['profile-only']) {
    for (const s of scenarios) await run(s, 2); // warm-up (JIT, memos, the SQLite page cache)
    const results = new Map<string, Run[]>(scenarios.map((s) => [s.name, []]));
    const seen = new Map<string, Set<string>>(scenarios.map((s) => [s.name, new Set()]));
    /** The server's CPU time per answer in each round, in µs. */
    const cpu = new Map<string, number[]>(scenarios.map((s) => [s.name, []]));
    for (let round = 1; round <= rounds; round++) {
      // Reversed every other round, so that neither side of a pair always runs first.
      for (const s of round % 2 ? scenarios : [...scenarios].reverse()) {
        const before = s.hits ? await hitCount(s.target.url, key) : null;
        const cpuBefore = cpuMs(s.target.child.pid!);
        const result = await run(s, seconds);
        cpu.get(s.name)!.push(((cpuMs(s.target.child.pid!) - cpuBefore) * 1000) / Math.max(1, result.total));
        results.get(s.name)!.push(result);
        check(
          Object.keys(result.statuses).every((code) => code === '200') && result.errors === 0 && result.timeouts === 0,
          `${s.name}, round ${round}: not every answer was 200 (${JSON.stringify(result.statuses)}, ${result.errors} errors, ${result.timeouts} timeouts)`,
        );
        // A sample after the round, as the load generator sent it.
        const sampled: string[] = [];
        for (let i = 0; i < SAMPLE; i++) {
          const answer = await get(s.target.url + (s.nextPath ? s.nextPath() : s.path), s.headers);
          const hit = answer.headers['x-cache'] === 'HIT' && answer.body.equals(hitBody[s.path]);
          sampled.push(`${answer.status} ${answer.headers['x-cache'] ?? '-'}${s.hits && !hit ? ' (not the recorded hit)' : ''}`);
        }
        for (const answer of sampled) seen.get(s.name)!.add(answer);
        const expected = s.hits ? '200 HIT' : s.xCache ? `200 ${s.xCache}` : '200 ';
        const wrong = sampled.filter((a) => !a.startsWith(expected) || a.endsWith(')'));
        check(wrong.length === 0, `${s.name}, round ${round}: ${wrong.length} of ${SAMPLE} sampled answers not "${expected}"${s.hits ? ' with the recorded bytes' : ''}: ${[...new Set(wrong)].join(', ')}`);
        if (before !== null) {
          // Redis figures are flushed to the shared store about once a second.
          if (s.hits === 'redis') await new Promise((r) => setTimeout(r, 1_500));
          const after = await hitCount(s.target.url, key);
          const hits = after! - before;
          // Less than one miss per connection is an entry's TTL ending during the round (lists: 5 min).
          check(hits >= result.total + SAMPLE - connections, `${s.name}, round ${round}: the server counted ${hits} hits for ${result.total} answers + ${SAMPLE} sampled`);
        }
        console.log(`round ${round}: ${s.name}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
      }
    }

    const rss = (p: Process) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.child.pid}/status`, 'utf8'))![1]) / 1024);
    const row = (name: string) => {
      const list = results.get(name)!;
      return {
        scenario: name,
        'req/s': Math.round(median(list.map((r) => r.requestsPerSecond))),
        'p50 ms': median(list.map((r) => r.p50)),
        'p99 ms': median(list.map((r) => r.p99)),
        'server CPU µs/answer': Math.round(median(cpu.get(name)!)),
        answers: list.reduce((n, r) => n + r.total, 0),
        'non-200': list.reduce((n, r) => n + r.total - (r.statuses['200'] ?? 0), 0),
        errors: list.reduce((n, r) => n + r.errors + r.timeouts, 0),
        sampled: [...seen.get(name)!].join(', '),
      };
    };
    const rows = scenarios.map((s) => row(s.name));
    console.table(rows);
    const rps = (name: string) => rows.find((r) => r.scenario === name)!['req/s'];
    /** The ratio of the medians, and the median of the per-round ratios (steadier on a shared machine). */
    const ratio = (a: string, b: string) => {
      const perRound = results.get(a)!.map((r, i) => r.requestsPerSecond / results.get(b)![i].requestsPerSecond);
      // CPU per answer the other way round: b's cost over a's, so that above 1 is again "a cheaper".
      return { ofMedians: rps(a) / rps(b), perRound: median(perRound), cpu: median(cpu.get(b)!) / median(cpu.get(a)!) };
    };
    const listHitP99 = rows.find((r) => r.scenario === 'hit, list (memory)')!['p99 ms'];
    const verdicts = [
      ['memory hit / bare, get one', ratio('hit, get one (memory)', 'bare node:http, get one'), TARGETS.hitOverBare],
      ['memory hit / bare, list', ratio('hit, list (memory)', 'bare node:http, list'), TARGETS.hitOverBare],
      ['Redis hit / bare, get one', ratio('hit, get one (Redis)', 'bare node:http, get one'), TARGETS.redisHitOverBare],
      ['Redis hit / bare, list', ratio('hit, list (Redis)', 'bare node:http, list'), TARGETS.redisHitOverBare],
      ['bypass (no-cache) cache on / off, get one', ratio('bypass (no-cache), get one, cache on', 'bypass (no-cache), get one, cache off'), TARGETS.missOnOverOff],
      ['bypass (no-cache) cache on / off, list', ratio('bypass (no-cache), list, cache on', 'bypass (no-cache), list, cache off'), TARGETS.missOnOverOff],
      ['miss cache on / off, get one (new key each)', ratio('miss (new key each), get one, cache on', 'miss (new key each), get one, cache off'), TARGETS.missOnOverOff],
      ['miss cache on / off, list (new key each)', ratio('miss (new key each), list, cache on', 'miss (new key each), list, cache off'), TARGETS.missOnOverOff],
      ['bypass (no-cache) Redis on / off, get one', ratio('bypass (no-cache), get one, cache on (Redis)', 'bypass (no-cache), get one, cache off'), null],
      ['bypass (no-cache) Redis on / off, list', ratio('bypass (no-cache), list, cache on (Redis)', 'bypass (no-cache), list, cache off'), null],
    ] as const;
    console.table([
      ...verdicts.map(([what, r, target]) => ({
        what,
        'ratio of medians': Number(r.ofMedians.toFixed(3)),
        'median of per-round ratios': Number(r.perRound.toFixed(3)),
        'by server CPU per answer': Number(r.cpu.toFixed(3)),
        target: target === null ? '(no target)' : `≥ ${target}`,
        verdict: target === null ? '' : r.ofMedians >= target ? 'PASS' : 'FAIL',
      })),
      { what: 'memory hit, list: p99', 'ratio of medians': listHitP99, 'median of per-round ratios': '', 'by server CPU per answer': '', target: `< ${TARGETS.listHitP99Ms} ms`, verdict: listHitP99 < TARGETS.listHitP99Ms ? 'PASS' : 'FAIL' },
    ]);
    console.log(`server RSS after the runs: memory ${rss(memory)} MB, Redis ${rss(shared)} MB, cache off ${rss(off)} MB`);
    console.log(`${rounds} alternating rounds × ${seconds} s per scenario, ${connections} connections; load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`);
    console.log('\nFor docs/benchmarks.md:\n');
    console.log('| scenario | req/s | p50 | p99 | server CPU per answer |\n|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.scenario} | ${r['req/s'].toLocaleString('en').replace(/,/g, ' ')} | ${r['p50 ms']} ms | ${r['p99 ms']} ms | ${r['server CPU µs/answer']} µs |`);
    console.log('\n| ratio | req/s (medians) | by CPU per answer | target |\n|---|---|---|---|');
    for (const [what, r, target] of verdicts) console.log(`| ${what} | ${r.ofMedians.toFixed(3)} | ${r.cpu.toFixed(3)} | ${target === null ? '—' : `≥ ${target}`} |`);
    console.log(`| memory hit, list: p99 | ${listHitP99} ms | | < ${TARGETS.listHitP99Ms} ms |`);

  }
  if (values.profile || values['profile-only']) await profiles(paths, headers, nextList, nextId);
} finally {
  await Promise.all(started.map((p) => p.stop()));
  await redis.stop();
}
if (problems.length) {
  console.error(`\n${problems.length} check(s) failed:\n  - ${problems.slice(0, 40).join('\n  - ')}`);
  process.exitCode = 1;
} else {
  console.log(`\nevery answer 200; every sampled answer with its X-Cache (hits: the recorded bytes)${statsMissing ? '' : '; the hit counters matched'}`);
}

/**
 * CPU profiles (profiling slows the server: not measured): the memory store's hit path for both
 * routes, and the list's true-miss path with the cache on and off. One process each; only the
 * samples taken during the load count (not the boot, warm-up or exit).
 */
async function profiles(paths: { get: string; list: string }, headers: Record<string, string>, missList: (side: 'on' | 'off') => () => string, missGet: (side: 'on' | 'off') => () => string) {
  const all = [
    { name: 'hit, get one (memory)', store: 'memory', path: paths.get },
    { name: 'hit, list (memory)', store: 'memory', path: paths.list },
    { name: 'miss (new key each), list, cache on', store: 'memory', path: paths.list, nextPath: missList('on') },
    { name: 'miss (new key each), list, cache off', store: 'none', path: paths.list, nextPath: missList('off') },
    { name: 'miss (new key each), get one, cache on', store: 'memory', path: paths.get, nextPath: missGet('on') },
    { name: 'miss (new key each), get one, cache off', store: 'none', path: paths.get, nextPath: missGet('off') },
  ];
  // --profile-runs hit,miss-get…: only the runs whose name holds every word of one of the filters.
  const filters = values['profile-runs'] ? values['profile-runs'].split(',').map((f) => f.split('-')) : null;
  const runs = filters ? all.filter((r) => filters.some((words) => words.every((w) => r.name.includes(w)))) : all;
  const profileSeconds = Number(values['profile-seconds']);
  for (const r of runs) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jetstack-cpuprof-'));
    const server = await startProcess('src/main.ts', { ...common, CACHE_STORE: r.store, REDIS_URL: '' }, '/healthz', { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    let loadStart = 0;
    let loadEnd = 0;
    try {
      await get(server.url + r.path, headers);
      await load({ url: server.url + r.path, headers, connections, seconds: 2, nextPath: r.nextPath });
      loadStart = Date.now();
      const result = await load({ url: server.url + r.path, headers, connections, seconds: profileSeconds, nextPath: r.nextPath });
      loadEnd = Date.now();
      console.log(`\nprofiled ${r.name}: ${Math.round(result.requestsPerSecond)} req/s under the profiler`);
    } finally {
      await server.stop();
    }
    const exited = Date.now();
    // The main thread's profile (thread 0); the others are helpers' threads.
    for (const file of readdirSync(dir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))) {
      printSummary(path.join(dir, file), 20, { fromEndMs: exited - loadStart, toEndMs: exited - loadEnd });
    }
  }
}

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: admin.email, password: admin.password }),
  });
  if (res.status !== 200) throw new Error(`POST /auth answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { authToken: { keyString: string } }).authToken.keyString;
}

/** The server's hit count for the tenant (cache.stats), or null when it has no such command. */
async function hitCount(url: string, key: string): Promise<number | null> {
  const res = await get(`${url}/api/v1/app/cache.stats`, { key });
  if (res.status !== 200) {
    if (!statsMissing) console.warn(`cache.stats answered ${res.status}: the hit rounds are checked by their samples only`);
    statsMissing = true;
    return null;
  }
  return (JSON.parse(res.body.toString('utf8')) as { totals: { hits: number } }).totals.hits;
}

/** A GET as the load generator sends it (no Accept-Encoding, its own connection), bytes as received. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The headers a hit answered, for the bare server to send as they are (it adds Date and the connection's own). */
function replayable(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || ['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name)) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** REDIS_URL under a prefix of this run, or a private redis-server on a free loopback port. */
async function redisForBench(): Promise<{ url: string; prefix: string; stop(): Promise<void> }> {
  const prefix = `bench-cache-${process.pid}-${Date.now()}`;
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, prefix, stop: async () => undefined };
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      await client.quit();
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log(`private redis-server on ${url} (pid ${child.pid})`);
  return {
    url,
    prefix,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function machine(): string {
  const cpus = os.cpus();
  const debian = (() => {
    try {
      return `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}`;
    } catch {
      return os.release();
    }
  })();
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${cpus.length} vCPU ${cpus[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${debian}, Node ${process.version.slice(1)}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}
