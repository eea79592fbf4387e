import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { expect } from 'chai';
import { openDatabase } from '../../../src/store/database.ts';
import { MIGRATIONS_DIRS, applyMigrations, readMigrations } from '../../../src/store/migrate.ts';

async function tenantRoundTrip(databaseUrl: string, dialect: 'sqlite' | 'postgresql'): Promise<void> {
  const db = await openDatabase({ databaseUrl });
  try {
    expect(db.dialect).to.equal(dialect);
    const created = await db.prisma.tenant.create({
      data: { slug: 'acme', name: 'Acme', securityKey: 'k'.repeat(32) },
    });
    const read = await db.prisma.tenant.findUnique({ where: { slug: 'acme' } });
    expect(read).to.not.equal(null);
    expect(read!.id).to.equal(created.id);
    expect(read!.name).to.equal('Acme');
    expect(read!.isRoot).to.equal(false);
    expect(read!.defaultTimeZone).to.equal('UTC');
    expect(read!.createdAt).to.be.instanceOf(Date);
  } finally {
    await db.close();
  }
}

describe('store/migrate: SQLite', () => {
  let dir: string;
  let url: string;
  const expected = readMigrations(MIGRATIONS_DIRS.sqlite);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jetstack-migrate-'));
    url = `file:${path.join(dir, 'nested', 'test.db')}`; // the parent folder does not exist yet
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has migrations to apply', () => {
    expect(expected.length).to.be.greaterThan(0);
  });

  it('applies every migration to a fresh file, recording them as Prisma does', async () => {
    const logs: string[] = [];
    const applied = await applyMigrations(url, (m) => logs.push(m));
    expect(applied).to.deep.equal(expected.map((m) => m.name));
    expect(logs).to.have.length(expected.length);

    const db = new BetterSqlite3(path.join(dir, 'nested', 'test.db'), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT * FROM "_prisma_migrations" ORDER BY migration_name')
        .all() as Array<Record<string, unknown>>;
      expect(rows.map((r) => r.migration_name)).to.deep.equal(expected.map((m) => m.name));
      for (const [i, row] of rows.entries()) {
        const file = path.join(MIGRATIONS_DIRS.sqlite, expected[i]!.name, 'migration.sql');
        expect(row.checksum).to.equal(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
        expect(row.applied_steps_count).to.equal(1);
        expect(row.finished_at).to.be.a('string');
        expect(row.rolled_back_at).to.equal(null);
        expect(row.logs).to.equal(null);
        expect(row.id).to.match(/^[0-9a-f-]{36}$/);
      }
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    } finally {
      db.close();
    }
  });

  it('applies nothing the second time', async () => {
    expect(await applyMigrations(url)).to.deep.equal([]);
  });

  it('creates and reads a Tenant through openDatabase', async () => {
    await tenantRoundTrip(url, 'sqlite');
  });

  it('refuses a database with a migration recorded as failed', async () => {
    const db = new BetterSqlite3(path.join(dir, 'nested', 'test.db'));
    db.prepare('UPDATE "_prisma_migrations" SET finished_at = NULL').run();
    db.close();
    let error: Error | undefined;
    await applyMigrations(url).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/recorded as failed/);
  });
});

const serverUrl = process.env.DATABASE_URL;
const withPostgres = !!serverUrl && serverUrl.startsWith('postgresql://');

(withPostgres ? describe : describe.skip)('store/migrate: PostgreSQL (DATABASE_URL)', () => {
  const name = `jetstack_test_${crypto.randomBytes(6).toString('hex')}`;
  let url: string;
  const expected = readMigrations(MIGRATIONS_DIRS.postgresql);

  async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  before(async () => {
    await admin((c) => c.query(`CREATE DATABASE "${name}"`));
    const u = new URL(serverUrl!);
    u.pathname = `/${name}`;
    url = u.toString();
  });
  after(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}"`));
  });

  it('applies every migration once when two processes start together', async () => {
    const [a, b] = await Promise.all([applyMigrations(url), applyMigrations(url)]);
    const names = expected.map((m) => m.name);
    // The advisory lock serialises them: one applies everything, the other finds nothing to do.
    expect([a, b].sort((x, y) => y.length - x.length)).to.deep.equal([names, []]);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT * FROM _prisma_migrations ORDER BY migration_name');
      expect(rows.map((r) => r.migration_name)).to.deep.equal(names);
      for (const [i, row] of rows.entries()) {
        expect(row.checksum).to.equal(expected[i]!.checksum);
        expect(row.applied_steps_count).to.equal(1);
        expect(row.finished_at).to.be.instanceOf(Date);
      }
    } finally {
      await client.end();
    }
  });

  it('applies nothing the second time', async () => {
    expect(await applyMigrations(url)).to.deep.equal([]);
  });

  it('creates and reads a Tenant through openDatabase', async () => {
    await tenantRoundTrip(url, 'postgresql');
  });
});
