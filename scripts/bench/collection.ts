// Benchmark of the generic collection, uncached: the list `status in (open, in_progress)`
// ordered by created_on desc, page 3 of 25, with total; get one by id; create one.
// Usage: npm run bench:collection -- --items 100000 [--seconds 10] [--rounds 3]
//        (DATABASE_URL=postgresql://... for PostgreSQL; a fresh database is required)
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { load, median, startProcess, tempDatabaseUrl, type Run } from './lib.ts';
import { seedProjects } from './seed-projects.ts';
import { sqliteFilePath } from '../../src/store/database.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
  },
});
const count = Number(values.items);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const databaseUrl = process.env.DATABASE_URL ?? tempDatabaseUrl();
const admin = { email: 'bench@example.com', password: 'bench-password-1' };

const seedStart = Date.now();
const { type, rootTag } = await seedProjects(databaseUrl, count, admin);
console.log(`seeded ${count} projects in ${((Date.now() - seedStart) / 1000).toFixed(1)} s (${databaseUrl.startsWith('file:') ? 'SQLite' : 'PostgreSQL'})`);

const api = await startProcess('src/main.ts', {
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: 'warn',
  KEY_RATE_LIMIT_PER_MINUTE: '0',
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
});
try {
  const auth = await fetch(`${api.url}/api/v1/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: admin.email, password: admin.password }),
  });
  const key = ((await auth.json()) as { authToken: { keyString: string } }).authToken.keyString;
  const headers = { key };
  const filters = JSON.stringify([{ property: 'status', type: 'in', param: ['open', 'in_progress'] }]);
  const listUrl = `${api.url}/api/v1/collection/project?page=3&perPage=25&orderBy=created_on&orderDir=desc&filters=${encodeURIComponent(filters)}`;
  // Items tagged under one top-level tag (about an eighth of them), newest first.
  const tagUrl = `${api.url}/api/v1/collection/project?page=3&perPage=25&orderBy=created_on&orderDir=desc&tags=${rootTag}&includeTagDescendants=true`;
  const getUrl = `${api.url}/api/v1/collection/project/${Math.ceil(count / 2)}`;
  const createUrl = `${api.url}/api/v1/collection/project`;
  const createBody = JSON.stringify({ title: 'Bench', status: 'open', priority: 2, owner: 'user1', labels: ['web', 'api'] });

  const sample = await fetch(listUrl, { headers });
  const page = (await sample.json()) as { stats: unknown };
  console.log('list answers', sample.status, JSON.stringify(page.stats));
  const tagSample = await fetch(tagUrl, { headers });
  console.log('tag list answers', tagSample.status, JSON.stringify(((await tagSample.json()) as { stats: unknown }).stats));

  const scenarios = [
    { name: 'list (10 connections)', url: listUrl, connections: 10 },
    { name: 'list (1 client)', url: listUrl, connections: 1 },
    { name: 'list by tag with descendants (10 connections)', url: tagUrl, connections: 10 },
    { name: 'list by tag with descendants (1 client)', url: tagUrl, connections: 1 },
    { name: 'get by id (10 connections)', url: getUrl, connections: 10 },
    { name: 'get by id (1 client)', url: getUrl, connections: 1 },
    { name: 'create (10 connections)', url: createUrl, connections: 10, method: 'POST', body: createBody },
  ];
  await load({ url: listUrl, headers, connections: 10, seconds: 3 }); // warm-up
  const results = new Map<string, Run[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const s of scenarios) {
      results.get(s.name)!.push(
        await load({ url: s.url, headers: s.body ? { ...headers, 'content-type': 'application/json' } : headers, connections: s.connections, seconds, method: s.method, body: s.body }),
      );
    }
  }
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${api.child.pid}/status`, 'utf8'))![1]) / 1024;
  console.table(
    scenarios.map((s) => {
      const list = results.get(s.name)!;
      return {
        scenario: s.name,
        'req/s (median)': Math.round(median(list.map((r) => r.requestsPerSecond))),
        'p50 ms': median(list.map((r) => r.p50)),
        'p99 ms': median(list.map((r) => r.p99)),
        'non-2xx': list.reduce((n, r) => n + r.non2xx, 0),
        errors: list.reduce((n, r) => n + r.errors, 0),
      };
    }),
  );
  console.log(`server RSS after the runs: ${rss.toFixed(0)} MB; ${rounds} rounds × ${seconds} s per scenario`);
  await explain(databaseUrl, type.id, type.properties.find((p) => p.systemName === 'status')!.id);
} finally {
  await api.stop();
}

/** The plans of the list's queries, as the server runs them (the total comes from ValueCount). */
async function explain(url: string, typeId: number, statusId: number) {
  const where = `i."typeId" = ${typeId} AND EXISTS (SELECT 1 FROM "ItemValue" v WHERE v."itemId" = i."id" AND v."propertyId" = ${statusId} AND v."text" IN ('open','in_progress'))`;
  const queries = [
    ['page', `SELECT i."id", i."uuid", i."data" FROM "Item" i WHERE ${where} ORDER BY i."createdOn" DESC, i."id" DESC LIMIT 25 OFFSET 50`],
    ['total (counters)', `SELECT "count" FROM "ValueCount" WHERE "propertyId" = ${statusId} AND "key" IN ('t:open', 't:in_progress')`],
    ['total without counters (other filter shapes)', `SELECT COUNT(*) FROM "ItemValue" d WHERE d."propertyId" = ${statusId} AND d."text" IN ('open','in_progress')`],
  ];
  if (url.startsWith('file:')) {
    const sqlite = new BetterSqlite3(sqliteFilePath(url), { readonly: true });
    for (const [name, sql] of queries) {
      console.log(`plan (${name}):\n  ${sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => (r as { detail: string }).detail).join('\n  ')}`);
    }
    sqlite.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const [name, sql] of queries) {
      const { rows } = await client.query(`EXPLAIN ANALYZE ${sql}`);
      console.log(`plan (${name}):\n  ${rows.map((r) => r['QUERY PLAN']).join('\n  ')}`);
    }
    await client.end();
  }
}
