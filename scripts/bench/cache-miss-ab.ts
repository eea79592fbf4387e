// Where the miss path's extra cost with the cache on comes from: list misses (a new key per
// request) against processes with the cache off, on, and on with a byte cap that stores nothing
// (the stage's lookup and key without the store's put), alternating rounds.
// With --baseline <dir> (a checkout of an earlier commit, its node_modules linked), that tree's
// cache off and cache on run in the same alternating rounds: before and after side by side.
// Usage: npx tsx scripts/bench/cache-miss-ab.ts [--items 100000 --seconds 5 --rounds 4 --route list|get --baseline dir]
import { parseArgs } from 'node:util';
import { cpuMs, load, mainThreadCpuMs, median, startProcess, tempDatabaseUrl, type Run } from './lib.ts';
import { seedProjects } from './seed-projects.ts';

const { values } = parseArgs({
  options: { items: { type: 'string', default: '100000' }, seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '4' }, route: { type: 'string', default: 'list' }, baseline: { type: 'string' } },
});
const count = Number(values.items);
const admin = { email: 'bench@example.com', password: 'bench-password-1' };
const databaseUrl = process.env.DATABASE_URL ?? tempDatabaseUrl();
await seedProjects(databaseUrl, count, admin);
const common = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', LOG_FORMAT: 'json', KEY_RATE_LIMIT_PER_MINUTE: '1000000000', REDIS_URL: '' };
const variants: { name: string; env: Record<string, string>; cwd?: string }[] = [
  { name: 'cache off', env: { CACHE_STORE: 'none' } },
  { name: 'cache on (memory)', env: { CACHE_STORE: 'memory' } },
  { name: 'cache on, stores nothing (CACHE_MAX_BYTES=1)', env: { CACHE_STORE: 'memory', CACHE_MAX_BYTES: '1' } },
];
if (values.baseline) {
  variants.push(
    { name: 'baseline: cache off', env: { CACHE_STORE: 'none' }, cwd: values.baseline },
    { name: 'baseline: cache on (memory)', env: { CACHE_STORE: 'memory' }, cwd: values.baseline },
  );
}
const servers = await Promise.all(variants.map((v) => startProcess('src/main.ts', { ...common, ...v.env }, '/healthz', { cwd: v.cwd })));
try {
  const auth = await fetch(`${servers[0].url}/api/v1/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: admin.email, password: admin.password }) });
  const key = ((await auth.json()) as { authToken: { keyString: string } }).authToken.keyString;
  const counters = variants.map(() => 0);
  const nextPath = (v: number) => () => {
    const i = counters[v]++;
    if (values.route === 'get') return `/api/v1/collection/project/${(i % count) + 1}`;
    const pad = (n: number) => ' '.repeat(n);
    const filters = `[${pad(i % 97)}{"property":"status",${pad(Math.floor(i / 97) % 97)}"type":"in","param":["open","in_progress"]}${pad(Math.floor(i / 9409))}]`;
    return `/api/v1/collection/project?page=3&perPage=25&orderBy=created_on&orderDir=desc&filters=${encodeURIComponent(filters)}`;
  };
  const run = (v: number, seconds: number) => load({ url: servers[v].url + '/', headers: { key }, connections: 10, seconds, nextPath: nextPath(v) });
  for (let v = 0; v < variants.length; v++) await run(v, 2);
  const results: Run[][] = variants.map(() => []);
  const cpu: number[][] = variants.map(() => []);
  const mainCpu: number[][] = variants.map(() => []);
  for (let round = 1; round <= Number(values.rounds); round++) {
    const forward = variants.map((_, i) => i);
    const order = round % 2 ? forward : forward.reverse();
    for (const v of order) {
      const pid = servers[v].child.pid!;
      const before = cpuMs(pid);
      const mainBefore = mainThreadCpuMs(pid);
      const r = await run(v, Number(values.seconds));
      cpu[v].push(((cpuMs(pid) - before) * 1000) / Math.max(1, r.total));
      mainCpu[v].push(((mainThreadCpuMs(pid) - mainBefore) * 1000) / Math.max(1, r.total));
      results[v].push(r);
      console.log(`round ${round}: ${variants[v].name}: ${Math.round(r.requestsPerSecond)} req/s (${JSON.stringify(r.statuses)})`);
    }
  }
  console.table(variants.map((v, i) => {
    // Each tree against its own cache off.
    const o = v.cwd ? variants.findIndex((w) => w.cwd === v.cwd && w.env.CACHE_STORE === 'none') : 0;
    const off = median(results[o].map((r) => r.requestsPerSecond));
    const offCpu = median(cpu[o]);
    const rps = median(results[i].map((r) => r.requestsPerSecond));
    return { variant: v.name, 'req/s': Math.round(rps), 'p50 ms': median(results[i].map((r) => r.p50)), 'p99 ms': median(results[i].map((r) => r.p99)), 'vs off': Number((rps / off).toFixed(3)), 'CPU µs/answer': Math.round(median(cpu[i])), 'CPU vs off': Number((median(cpu[i]) / offCpu).toFixed(3)), 'main thread µs': Math.round(median(mainCpu[i])), 'other threads µs': Math.round(median(cpu[i].map((c, r) => c - mainCpu[i][r]))) };
  }));
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
