// Uncached hot paths before and after, side by side: one seeded database, a server from this
// tree and one from an earlier tree (--baseline <dir>, its node_modules linked), both with the
// response cache off, alternating rounds (order reversed every other round) over get one, list,
// get-by and create at 10 connections. Reports req/s, p50/p99 and server CPU per answer.
// With --profile <scenario> (get|list|getby|create) it only takes a CPU profile of this tree's
// server under that load and prints where the time went.
// Usage: npx tsx scripts/bench/hotpath-ab.ts [--items 100000 --seconds 5 --rounds 3 --baseline dir --scenarios get,list,getby,create]
//        (DATABASE_URL=postgresql://.../fresh_db REDIS_URL=redis://... for PostgreSQL + Redis)
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMs, load, median, startProcess, tempDatabaseUrl, type Run } from './lib.ts';
import { printSummary } from './profile-top.ts';
import { seedProjects } from './seed-projects.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    scenarios: { type: 'string', default: 'get,list,getby,create' },
    profile: { type: 'string' },
    'profile-seconds': { type: 'string', default: '8' },
  },
});
const count = Number(values.items);
const admin = { email: 'bench@example.com', password: 'bench-password-1' };
const databaseUrl = process.env.DATABASE_URL ?? tempDatabaseUrl();
const seeded = Date.now();
await seedProjects(databaseUrl, count, admin);
console.log(`seeded ${count} projects in ${((Date.now() - seeded) / 1000).toFixed(1)} s (${databaseUrl.startsWith('file:') ? 'SQLite' : 'PostgreSQL'}), load1 ${os.loadavg()[0].toFixed(2)}`);
const common = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', KEY_RATE_LIMIT_PER_MINUTE: '0', CACHE_STORE: 'none', REDIS_URL: process.env.REDIS_URL ?? '' };

const filters = encodeURIComponent(JSON.stringify([{ property: 'status', type: 'in', param: ['open', 'in_progress'] }]));
const mid = Math.ceil(count / 2);
const all = {
  get: { path: `/api/v1/collection/project/${mid}` },
  list: { path: `/api/v1/collection/project?page=3&perPage=25&orderBy=created_on&orderDir=desc&filters=${filters}` },
  getby: { path: `/api/v1/collection/project/get-by/title/${encodeURIComponent(`Project ${mid}`)}` },
  create: { path: '/api/v1/collection/project', method: 'POST', body: JSON.stringify({ title: 'Bench', status: 'open', priority: 2, owner: 'user1', labels: ['web', 'api'] }) },
} as Record<string, { path: string; method?: string; body?: string }>;
const scenarios = values.scenarios.split(',').filter((s) => all[s]);

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: admin.email, password: admin.password }) });
  return ((await res.json()) as { authToken: { keyString: string } }).authToken.keyString;
}
const headersFor = (key: string, s: string): Record<string, string> => (all[s].body ? { key, 'content-type': 'application/json' } : { key });
const run = (url: string, key: string, s: string, seconds: number) =>
  load({ url: url + all[s].path, headers: headersFor(key, s), connections: 10, seconds, method: all[s].method, body: all[s].body });

if (values.profile) {
  const s = values.profile;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jetstack-cpuprof-'));
  const server = await startProcess('src/main.ts', common, '/healthz', { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  let loadStart = 0;
  let loadEnd = 0;
  try {
    const key = await signIn(server.url);
    const sample = await fetch(server.url + all[s].path, { method: all[s].method ?? 'GET', headers: headersFor(key, s), body: all[s].body });
    console.log(`${s} answers ${sample.status}`);
    await run(server.url, key, s, 2);
    loadStart = Date.now();
    const result = await run(server.url, key, s, Number(values['profile-seconds']));
    loadEnd = Date.now();
    console.log(`profiled ${s}: ${Math.round(result.requestsPerSecond)} req/s under the profiler`);
  } finally {
    await server.stop();
  }
  const exited = Date.now();
  for (const file of readdirSync(dir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))) {
    printSummary(path.join(dir, file), 30, { fromEndMs: exited - loadStart, toEndMs: exited - loadEnd });
  }
  process.exit(0);
}

const variants = [{ name: 'this tree', cwd: undefined as string | undefined }];
if (values.baseline) variants.unshift({ name: `baseline (${values.baseline})`, cwd: values.baseline });
const servers = await Promise.all(variants.map((v) => startProcess('src/main.ts', common, '/healthz', { cwd: v.cwd })));
try {
  const keys = await Promise.all(servers.map((s) => signIn(s.url)));
  for (const [v, server] of servers.entries()) {
    for (const s of scenarios) {
      const sample = await fetch(server.url + all[s].path, { method: all[s].method ?? 'GET', headers: headersFor(keys[v], s), body: all[s].body });
      if (!sample.ok) throw new Error(`${variants[v].name}: ${s} answered ${sample.status}: ${await sample.text()}`);
      await run(server.url, keys[v], s, 2);
    }
  }
  const results = new Map<string, Run[]>();
  const cpu = new Map<string, number[]>();
  const loads: number[] = [];
  for (let round = 1; round <= Number(values.rounds); round++) {
    const forward = variants.map((_, i) => i);
    const order = round % 2 ? forward : forward.reverse();
    for (const s of scenarios) {
      for (const v of order) {
        const pid = servers[v].child.pid!;
        const before = cpuMs(pid);
        const r = await run(servers[v].url, keys[v], s, Number(values.seconds));
        const name = `${s}\u0000${v}`;
        results.set(name, [...(results.get(name) ?? []), r]);
        cpu.set(name, [...(cpu.get(name) ?? []), ((cpuMs(pid) - before) * 1000) / Math.max(1, r.total)]);
        loads.push(os.loadavg()[0]);
        console.log(`round ${round}: ${s}: ${variants[v].name}: ${Math.round(r.requestsPerSecond)} req/s p50 ${r.p50} ms (${JSON.stringify(r.statuses)}) load1 ${os.loadavg()[0].toFixed(2)}`);
      }
    }
  }
  const rows = scenarios.flatMap((s) =>
    variants.map((v, i) => {
      const list = results.get(`${s}\u0000${i}`)!;
      const rps = median(list.map((r) => r.requestsPerSecond));
      const base = median(results.get(`${s}\u00000`)!.map((r) => r.requestsPerSecond));
      return {
        scenario: s, variant: v.name, 'req/s': Math.round(rps), 'p50 ms': median(list.map((r) => r.p50)), 'p99 ms': median(list.map((r) => r.p99)),
        'vs first': Number((rps / base).toFixed(2)), 'CPU µs/answer': Math.round(median(cpu.get(`${s}\u0000${i}`)!)), 'non-2xx': list.reduce((n, r) => n + r.non2xx, 0),
      };
    }),
  );
  console.table(rows);
  console.log(`load1 during the rounds: median ${median(loads).toFixed(2)}, ${Math.min(...loads).toFixed(2)}..${Math.max(...loads).toFixed(2)}; ${values.rounds} rounds × ${values.seconds} s`);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
