// Benchmark: GET /api/v1/auth (a key-authenticated request through the whole pipeline) against
// a bare node:http server returning the same bytes, alternating rounds in one run.
// Usage: npm run bench:auth [-- --seconds 10 --rounds 3 --connections 10]
import { parseArgs } from 'node:util';
import { load, median, startProcess, tempDatabaseUrl, type Run } from './lib.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '10' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

const admin = { email: 'bench@example.com', password: 'bench-password-1' };
const api = await startProcess('src/main.ts', {
  DATABASE_URL: tempDatabaseUrl(),
  ADMIN_EMAIL: admin.email,
  ADMIN_PASSWORD: admin.password,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  KEY_RATE_LIMIT_PER_MINUTE: process.env.KEY_RATE_LIMIT_PER_MINUTE ?? '1000000000',
});
const bare = await startProcess('scripts/bench/bare-server.ts', {});
try {
  const created = await fetch(`${api.url}/api/v1/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: admin.email, password: admin.password }),
  });
  const key = ((await created.json()) as { authToken: { keyString: string } }).authToken.keyString;
  const check = await fetch(`${api.url}/api/v1/auth`, { headers: { key } });
  console.log(`API answers ${check.status} ${await check.text()}`);

  const target = { api: `${api.url}/api/v1/auth`, bare: `${bare.url}/api/v1/auth` };
  await load({ url: target.api, headers: { key }, connections, seconds: 3 }); // warm-up
  await load({ url: target.bare, connections, seconds: 3 });
  const runs: { api: Run[]; bare: Run[] } = { api: [], bare: [] };
  for (let round = 1; round <= rounds; round++) {
    runs.bare.push(await load({ url: target.bare, connections, seconds }));
    runs.api.push(await load({ url: target.api, headers: { key }, connections, seconds }));
    console.log(`round ${round}: bare ${runs.bare.at(-1)!.requestsPerSecond.toFixed(0)} req/s, api ${runs.api.at(-1)!.requestsPerSecond.toFixed(0)} req/s`);
  }
  const summary = (name: string, list: Run[]) => ({
    target: name,
    'req/s (median)': Math.round(median(list.map((r) => r.requestsPerSecond))),
    'p50 ms (median)': median(list.map((r) => r.p50)),
    'p99 ms (median)': median(list.map((r) => r.p99)),
    'non-2xx': list.reduce((n, r) => n + r.non2xx, 0),
    errors: list.reduce((n, r) => n + r.errors, 0),
  });
  const rows = [summary('bare node:http', runs.bare), summary('GET /api/v1/auth', runs.api)];
  console.table(rows);
  console.log(`ratio api/bare: ${(rows[1]['req/s (median)'] / rows[0]['req/s (median)']).toFixed(3)} (${connections} connections, ${rounds} × ${seconds} s rounds, alternating)`);
} finally {
  await api.stop();
  await bare.stop();
}
