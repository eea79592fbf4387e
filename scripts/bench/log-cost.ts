// What the per-request log line costs a cache hit: two memory-cache processes, LOG_LEVEL=info
// (a line per request) and LOG_LEVEL=warn (none), the same cached get one, alternating rounds,
// server CPU per answer from /proc. The bare node:http server the hit ratio is taken against logs nothing.
// Usage: npx tsx scripts/bench/log-cost.ts [--seconds 3 --rounds 4]
import { parseArgs } from 'node:util';
import { cpuMs, load, median, startProcess, tempDatabaseUrl } from './lib.ts';
import { seedProjects } from './seed-projects.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '4' } } });
const databaseUrl = tempDatabaseUrl();
const admin = { email: 'bench@example.com', password: 'bench-password-1' };
await seedProjects(databaseUrl, 1000, admin);
const common = { DATABASE_URL: databaseUrl, LOG_FORMAT: 'json', KEY_RATE_LIMIT_PER_MINUTE: '1000000000', REDIS_URL: '', CACHE_STORE: 'memory' };
const levels = ['info', 'warn'];
const servers = await Promise.all(levels.map((level) => startProcess('src/main.ts', { ...common, LOG_LEVEL: level })));
try {
  const auth = await fetch(`${servers[0].url}/api/v1/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: admin.email, password: admin.password }) });
  const key = ((await auth.json()) as { authToken: { keyString: string } }).authToken.keyString;
  const run = (i: number, seconds: number) => load({ url: `${servers[i].url}/api/v1/collection/project/5`, headers: { key }, connections: 10, seconds });
  for (let i = 0; i < servers.length; i++) await run(i, 2);
  const rps: number[][] = levels.map(() => []);
  const cpu: number[][] = levels.map(() => []);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const i of round % 2 ? [1, 0] : [0, 1]) {
      const before = cpuMs(servers[i].child.pid!);
      const result = await run(i, Number(values.seconds));
      rps[i].push(result.requestsPerSecond);
      cpu[i].push(((cpuMs(servers[i].child.pid!) - before) * 1000) / Math.max(1, result.total));
    }
  }
  console.table(levels.map((level, i) => ({ LOG_LEVEL: level, 'hits req/s': Math.round(median(rps[i])), 'server CPU µs/answer': Math.round(median(cpu[i])) })));
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
