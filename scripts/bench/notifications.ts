// Benchmark of the notifications feed: one recipient with --feed notifications (default 10^5)
// in a table of --total rows (default 10^6; the rest spread over other recipients), half of the
// recipient's read. Measures the first page, a page deep in the cursor chain, unread_only, the
// unread count command, and a 304 poll, each with autocannon at 10 connections and one client,
// then prints the query plans of the statements the server runs.
// Usage: npm run bench:notifications -- [--feed 100000] [--total 1000000] [--seconds 5] [--rounds 1]
//        (SQLite in a temp file; DATABASE_URL=postgresql://... for a fresh PostgreSQL database)
import { parseArgs } from 'node:util';
import os from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { load, median, startProcess, tempDatabaseUrl, type Run } from './lib.ts';
import { sqliteFilePath } from '../../src/store/database.ts';
import { encodeCursor } from '../../src/domain/notifications/cursor.ts';

const { values } = parseArgs({
  options: {
    feed: { type: 'string', default: '100000' },
    total: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
  },
});
const feedSize = Number(values.feed);
const total = Math.max(Number(values.total), feedSize);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const databaseUrl = process.env.DATABASE_URL ?? tempDatabaseUrl();
const sqlite = databaseUrl.startsWith('file:');
const admin = { email: 'bench@example.com', password: 'bench-password-1' };
const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', KEY_RATE_LIMIT_PER_MINUTE: '0', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };

async function signIn(url: string): Promise<string> {
  const auth = await fetch(`${url}/api/v1/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: admin.email, password: admin.password }) });
  return ((await auth.json()) as { authToken: { keyString: string } }).authToken.keyString;
}

// 1. migrate and bootstrap through the server itself, learn the admin's user id
const first = await startProcess('src/main.ts', env);
const me = (await (await fetch(`${first.url}/api/v1/app/user.current`, { headers: { key: await signIn(first.url) } })).json()) as { id: number };
await first.stop();
const recipient = `u:${me.id}`;

// 2. seed straight through the driver: rows as the store writes them, and the feed's counter
const BASE_MS = Date.UTC(2026, 0, 1);
const row = (i: number) => {
  const mine = i < feedSize;
  const created = BASE_MS + Math.floor(i / 3) * 1000; // three per second: ties on created
  return [1, mine ? recipient : `u:other-${i % 5000}`, 'bench', `Notification ${i}`, 'body', '{"n":1}', null, created, mine && i % 2 === 0 ? created + 10 : null, null, null];
};
const COLUMNS = '"tenantId", "recipient", "category", "title", "body", "data", "actionUrl", "createdMs", "readMs", "archivedMs", "expiresMs"';
const seedStart = Date.now();
let tenantSecret: string;
if (sqlite) {
  const db = new BetterSqlite3(sqliteFilePath(databaseUrl));
  const insert = db.prepare(`INSERT INTO "Notification" (${COLUMNS}) VALUES (${COLUMNS.split(',').map(() => '?').join(', ')})`);
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(...row(i));
  });
  for (let i = 0; i < total; i += 20_000) batch(i, Math.min(total, i + 20_000));
  db.prepare('INSERT INTO "NotificationFeed" ("tenantId", "recipient", "unread", "version", "lastEvent") VALUES (1, ?, ?, 1, 0)').run(recipient, Math.floor(feedSize / 2));
  db.exec('ANALYZE');
  tenantSecret = (db.prepare('SELECT "securityKey" FROM "Tenant" WHERE "id" = 1').get() as { securityKey: string }).securityKey;
  db.close();
} else {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (let i = 0; i < total; i += 5_000) {
    const rows = [];
    for (let j = i; j < Math.min(total, i + 5_000); j++) rows.push(row(j));
    const params = rows.flat();
    const tuples = rows.map((_, r) => `(${Array.from({ length: 11 }, (_, c) => `$${r * 11 + c + 1}`).join(', ')})`).join(', ');
    await client.query(`INSERT INTO "Notification" (${COLUMNS}) VALUES ${tuples}`, params);
  }
  await client.query('INSERT INTO "NotificationFeed" ("tenantId", "recipient", "unread", "version", "lastEvent") VALUES (1, $1, $2, 1, 0)', [recipient, Math.floor(feedSize / 2)]);
  await client.query('ANALYZE');
  tenantSecret = (await client.query('SELECT "securityKey" FROM "Tenant" WHERE "id" = 1')).rows[0].securityKey;
  await client.end();
}
console.log(`seeded ${total} notifications (${feedSize} for one recipient) in ${((Date.now() - seedStart) / 1000).toFixed(1)} s (${sqlite ? 'SQLite' : 'PostgreSQL'})`);

// 3. measure
const api = await startProcess('src/main.ts', env);
try {
  const key = await signIn(api.url);
  const headers = { key };
  const feed = `${api.url}/api/v1/collection/notifications`;
  // A cursor 90% down the chain, as the client would hold after paging that far.
  const deepIndex = Math.floor(feedSize * 0.9);
  const deep = encodeCursor(tenantSecret, { callerId: me.id, recipient, unreadOnly: false, after: null }, { createdMs: BASE_MS + Math.floor(deepIndex / 3) * 1000, id: deepIndex + 1 });
  const sample = await fetch(feed, { headers });
  const etag = sample.headers.get('etag')!;
  console.log('first page', sample.status, 'X-Unread-Count', sample.headers.get('x-unread-count'));
  const deepSample = await fetch(`${feed}?cursor=${encodeURIComponent(deep)}`, { headers });
  console.log('deep page', deepSample.status, ((await deepSample.json()) as { items: { id: number }[] }).items[0]?.id);
  const scenarios = [
    { name: 'first page', url: feed },
    { name: 'deep cursor page (90%)', url: `${feed}?cursor=${encodeURIComponent(deep)}` },
    { name: 'unread_only first page', url: `${feed}?unread_only=true` },
    { name: 'unread count command', url: `${api.url}/api/v1/app/notifications.unreadCount` },
    { name: '304 poll (If-None-Match)', url: feed, extra: { 'if-none-match': etag } },
  ].flatMap((s) => [10, 1].map((connections) => ({ ...s, connections, label: `${s.name} (${connections === 1 ? '1 client' : '10 connections'})` })));
  await load({ url: feed, headers, connections: 10, seconds: 2 }); // warm-up
  const results = new Map<string, Run[]>(scenarios.map((s) => [s.label, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const s of scenarios) results.get(s.label)!.push(await load({ url: s.url, headers: { ...headers, ...(s.extra ?? {}) }, connections: s.connections, seconds }));
  }
  console.table(
    scenarios.map((s) => {
      const list = results.get(s.label)!;
      return {
        scenario: s.label,
        'req/s': Math.round(median(list.map((r) => r.requestsPerSecond))),
        'p50 ms': median(list.map((r) => r.p50)),
        'p99 ms': median(list.map((r) => r.p99)),
        statuses: JSON.stringify(list[0].statuses),
        errors: list.reduce((n, r) => n + r.errors, 0),
      };
    }),
  );
  console.log(`${rounds} round(s) × ${seconds} s per scenario; ${os.cpus().length} CPUs (${os.cpus()[0]?.model}); node ${process.version}`);
  await explain(recipient, BASE_MS + Math.floor(deepIndex / 3) * 1000, deepIndex + 1);
} finally {
  await api.stop();
}

/** The plans of the statements store/notifications/notification-store.ts runs, with real values. */
async function explain(who: string, deepCreated: number, deepId: number) {
  const now = Date.now();
  const base = `n."tenantId" = 1 AND n."recipient" = '${who}'`;
  const live = `COALESCE(n."expiresMs", 9007199254740991) > ${now}`;
  const order = 'ORDER BY n."createdMs" DESC, n."id" DESC LIMIT 26';
  const queries = [
    ['first page', `SELECT n."id" FROM "Notification" n WHERE ${base} AND n."archivedMs" IS NULL AND ${live} ${order}`],
    ['deep cursor page', `SELECT n."id" FROM "Notification" n WHERE ${base} AND n."archivedMs" IS NULL AND ${live} AND (n."createdMs", n."id") < (${deepCreated}, ${deepId}) ${order}`],
    ['unread_only', `SELECT n."id" FROM "Notification" n WHERE ${base} AND n."readMs" IS NULL AND ${live} ${order}`],
    ['expiry correction of the count', `SELECT COUNT(*) FROM "Notification" n WHERE ${base} AND n."expiresMs" <= ${now} AND n."readMs" IS NULL`],
  ];
  if (sqlite) {
    const db = new BetterSqlite3(sqliteFilePath(databaseUrl), { readonly: true });
    for (const [name, sql] of queries) console.log(`plan (${name}):\n  ${db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => (r as { detail: string }).detail).join('\n  ')}`);
    db.close();
  } else {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    for (const [name, sql] of queries) console.log(`plan (${name}):\n  ${(await client.query(`EXPLAIN ANALYZE ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n  ')}`);
    await client.end();
  }
}
