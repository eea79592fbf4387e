// Soak: the three resource findings of issue 7 against a real process, reporting its RSS.
//   1. edit + create cycles on a wide enum type (validators must not accumulate);
//   2. requests with random, well-formed Host headers (the host memo must stay bounded);
//   3. the largest allowed item written while /healthz is polled (latency must stay low).
// Usage: tsx scripts/bench/soak-resources.ts [-- --cycles 120 --hosts 3000]
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { parseArgs } from 'node:util';
import { startProcess, tempDatabaseUrl } from './lib.ts';
import { MAX_ENUM_VALUES, MAX_VALUES_PER_ITEM } from '../../src/domain/items/limits.ts';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '120' }, hosts: { type: 'string', default: '3000' } } });
const admin = { email: 'soak@example.com', password: 'soak-password-1' };
const api = await startProcess('src/main.ts', {
  DATABASE_URL: tempDatabaseUrl(),
  ADMIN_EMAIL: admin.email,
  ADMIN_PASSWORD: admin.password,
  LOG_LEVEL: 'warn',
  KEY_RATE_LIMIT_PER_MINUTE: '1000000000',
});

const rssMb = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${api.child.pid}/status`, 'utf8'))![1]) / 1024);

function call(method: string, path: string, options: { key?: string; body?: unknown; host?: string } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.key) headers.key = options.key;
  if (options.host) headers.host = options.host;
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, api.url), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

try {
  const key = (await call('POST', '/api/v1/auth', { body: { user: admin.email, password: admin.password } })).body.authToken.keyString as string;
  /** A user holding every grant on the types (the operator manages types, not items). */
  const writer = async (...typeIds: number[]) => {
    const grants = typeIds.map((typeId) => ({ typeId, show: true, create: true, edit: true, delete: true }));
    const role = (await call('POST', '/api/v1/admin/roles', { key, body: { name: `soak-${typeIds.join('-')}`, permissions: ['useApi'], typePermissions: grants } })).body;
    const login = `writer-${typeIds.join('-')}@example.com`;
    await call('POST', '/api/v1/admin/users', { key, body: { login, name: login, password: admin.password, roles: [role.id] } });
    return (await call('POST', '/api/v1/auth', { body: { user: login, password: admin.password } })).body.authToken.keyString as string;
  };
  console.log(`start: ${rssMb()} MB`);

  // 1. validators
  const enumValues = (n: number) => Array.from({ length: n }, (_, i) => `value-${i}-`.padEnd(100, 'x'));
  const type = (await call('POST', '/api/v1/admin/types', { key, body: { systemName: 'soak', properties: [{ systemName: 'e', kind: 'enum', enumValues: enumValues(MAX_ENUM_VALUES - 100) }] } })).body;
  const typeWriter = await writer(type.id);
  const cycles = Number(values.cycles);
  for (let i = 0; i < cycles; i++) {
    await call('PATCH', `/api/v1/admin/types/${type.id}/properties/${type.properties[0].id}`, { key, body: { enumValues: enumValues(MAX_ENUM_VALUES - 100 + (i % 100)) } });
    const created = await call('POST', `/api/v1/collection/${type.id}`, { key: typeWriter, body: { e: 'value-0-'.padEnd(100, 'x') } });
    if (created.status !== 201) throw new Error(`create answered ${created.status}`);
  }
  console.log(`after ${cycles} edit + create cycles: ${rssMb()} MB`);

  // 2. hosts
  const hosts = Number(values.hosts);
  for (let i = 0; i < hosts; i++) await call('GET', '/api/v1/nothing', { host: `h${i}-${'x'.repeat(240)}.test` });
  const malformed = await call('GET', '/api/v1/nothing', { host: 'x'.repeat(16 * 1024) });
  console.log(`after ${hosts} random hosts: ${rssMb()} MB (a 16 KB host answers ${malformed.status} ${malformed.body.code})`);

  // 3. the widest allowed write while /healthz is polled
  const wide = (await call('POST', '/api/v1/admin/types', { key, body: { systemName: 'wide', properties: Array.from({ length: 100 }, (_, i) => ({ systemName: `n${i}`, kind: 'integer', multiple: true })) } })).body;
  const wideWriter = await writer(wide.id);
  const body: Record<string, number[]> = {};
  for (let i = 0; i < MAX_VALUES_PER_ITEM; i++) (body[`n${i % 100}`] ??= []).push(i);
  let writing = true;
  let slowest = 0;
  const poll = (async () => {
    while (writing) {
      const started = performance.now();
      await call('GET', '/healthz');
      slowest = Math.max(slowest, performance.now() - started);
    }
  })();
  const started = performance.now();
  for (let i = 0; i < 10; i++) await call('POST', `/api/v1/collection/${wide.id}`, { key: wideWriter, body });
  const perWrite = (performance.now() - started) / 10;
  writing = false;
  await poll;
  const over = await call('POST', `/api/v1/collection/${wide.id}`, { key: wideWriter, body: { ...body, n0: [...body.n0, 1] } });
  console.log(`largest allowed item (${MAX_VALUES_PER_ITEM} values): ${perWrite.toFixed(0)} ms per write, slowest /healthz ${slowest.toFixed(0)} ms; one more value answers ${over.status} ${over.body.code}; ${rssMb()} MB`);
} finally {
  await api.stop();
}
