// A fresh, empty database per test server: a temp SQLite file, or a new database on the
// PostgreSQL server named by DATABASE_URL (CREATE DATABASE, dropped again at the end).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  dialect: 'sqlite' | 'postgresql';
  /** The SQLite file, for dump checks. */
  file: string | null;
  drop(): Promise<void>;
}

export const usingPostgres = () => /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');
export const usingRedis = () => Boolean(process.env.REDIS_URL);

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!usingPostgres()) {
    const dir = mkdtempSync(path.join(tmpdir(), 'jetstack-test-'));
    const file = path.join(dir, 'test.db');
    return { url: `file:${file}`, dialect: 'sqlite', file, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const base = new URL(process.env.DATABASE_URL!);
  const name = `jt_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dialect: 'postgresql',
    file: null,
    async drop() {
      const client = new pg.Client({ connectionString: base.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
