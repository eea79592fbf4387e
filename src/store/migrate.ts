// Applies pending migrations at server start without the Prisma CLI, recording them in
// `_prisma_migrations` exactly as `prisma migrate deploy` does (same table, checksum = sha256 hex
// of migration.sql, same timestamps), so `prisma migrate status` and `migrate deploy` agree.
//
//   SQLite:     prisma/migrations,            better-sqlite3 `exec`
//   PostgreSQL: prisma/postgresql/migrations, `pg` client, whole script as one query,
//               under pg_advisory_lock(72707369) (the lock `prisma migrate` itself takes), so
//               two processes starting together (or this and the CLI) do not race.
//
// Each migration runs in its own transaction together with its `_prisma_migrations` row: a failed
// migration leaves nothing behind (no half-applied schema, no "failed" row) and is reported.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { SQLITE_BUSY_TIMEOUT_MS, dialectOf, pgSchemaOf, prepareSqliteFile, sqliteFilePath, type Dialect } from './database.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const MIGRATIONS_DIRS: Record<Dialect, string> = {
  sqlite: path.join(ROOT, 'prisma/migrations'),
  postgresql: path.join(ROOT, 'prisma/postgresql/migrations'),
};

/** Prisma's advisory lock key for migrations on PostgreSQL. */
const PG_MIGRATION_LOCK = 72707369;

// The DDL Prisma's schema engine uses for its bookkeeping table.
const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const PG_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  script: string;
  checksum: string;
}

/** The migrations in `dir`, in the order Prisma applies them (folder names, sorted). */
export function readMigrations(dir: string): Migration[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const bytes = fs.readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, script: bytes.toString('utf8'), checksum: crypto.createHash('sha256').update(bytes).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

/**
 * Decides what to apply from the rows already recorded. Throws, like `prisma migrate deploy`
 * (P3009), when a migration is recorded as started but neither finished nor rolled back.
 */
function pending(migrations: Migration[], rows: AppliedRow[], log: (msg: string) => void): Migration[] {
  const live = rows.filter((r) => r.rolled_back_at === null || r.rolled_back_at === undefined);
  const failed = live.filter((r) => r.finished_at === null || r.finished_at === undefined);
  if (failed.length) {
    throw new Error(
      `migrations recorded as failed in _prisma_migrations: ${failed.map((r) => r.migration_name).join(', ')}; ` +
        'fix the database, then mark them with `prisma migrate resolve --applied|--rolled-back <name>`',
    );
  }
  const applied = new Map(live.map((r) => [r.migration_name, r.checksum]));
  const local = new Set(migrations.map((m) => m.name));
  for (const name of applied.keys()) {
    if (!local.has(name)) log(`warning: migration ${name} is applied to the database but not found locally`);
  }
  for (const m of migrations) {
    const sum = applied.get(m.name);
    if (sum !== undefined && sum !== m.checksum) log(`warning: migration ${m.name} was modified after it was applied`);
  }
  return migrations.filter((m) => !applied.has(m.name));
}

/** Prisma's schema engine (through the driver adapter) stores SQLite timestamps like this. */
function sqliteTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

function applySqlite(file: string, migrations: Migration[], log: (msg: string) => void): string[] {
  prepareSqliteFile(file);
  const db = new BetterSqlite3(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  const done: string[] = [];
  try {
    // Prisma's SQLite migrations that redefine a table wrap it in `PRAGMA foreign_keys=OFF/ON`,
    // which is a no-op inside a transaction. With foreign keys on, `DROP TABLE` of a parent table
    // would cascade-delete the child rows, so turn them off for the connection, and check them
    // explicitly before each commit instead.
    db.pragma('foreign_keys = OFF');
    db.exec(SQLITE_MIGRATIONS_TABLE);
    const rowsStmt = db.prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"');
    const todo = pending(migrations, rowsStmt.all() as AppliedRow[], log);
    for (const m of todo) {
      db.exec('BEGIN IMMEDIATE');
      try {
        // Another process may have applied it since we looked.
        const again = pending([m], rowsStmt.all() as AppliedRow[], () => {});
        if (again.length === 0) {
          db.exec('ROLLBACK');
          continue;
        }
        const startedAt = new Date();
        db.exec(m.script);
        const violations = db.pragma('foreign_key_check') as unknown[];
        if (violations.length) throw new Error(`foreign key violations after the migration: ${JSON.stringify(violations.slice(0, 5))}`);
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
           VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
        ).run(crypto.randomUUID(), m.checksum, sqliteTimestamp(new Date()), m.name, sqliteTimestamp(startedAt));
        db.exec('COMMIT');
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw new Error(`migration ${m.name} failed and was rolled back: ${(e as Error).message}`, { cause: e });
      }
      log(`applied migration ${m.name}`);
      done.push(m.name);
    }
  } finally {
    db.close();
  }
  return done;
}

async function applyPostgres(databaseUrl: string, migrations: Migration[], log: (msg: string) => void): Promise<string[]> {
  const schema = pgSchemaOf(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl, ...(schema ? { options: `-c search_path="${schema}"` } : {}) });
  await client.connect();
  const done: string[] = [];
  try {
    await client.query(`SELECT pg_advisory_lock(${PG_MIGRATION_LOCK})`);
    try {
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '""')}"`);
      await client.query(PG_MIGRATIONS_TABLE);
      // Under the lock, nobody else applies migrations: one read is enough.
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations',
      );
      for (const m of pending(migrations, rows, log)) {
        const startedAt = new Date();
        await client.query('BEGIN');
        try {
          // No parameters: the simple query protocol, so the whole script is one query.
          await client.query(m.script);
          await client.query(
            `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
             VALUES ($1, $2, $3, $4, NULL, NULL, $5, 1)`,
            [crypto.randomUUID(), m.checksum, new Date(), m.name, startedAt],
          );
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`migration ${m.name} failed and was rolled back: ${(e as Error).message}`, { cause: e });
        }
        log(`applied migration ${m.name}`);
        done.push(m.name);
      }
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${PG_MIGRATION_LOCK})`).catch(() => {});
    }
  } finally {
    await client.end();
  }
  return done;
}

/**
 * Applies the pending migrations of the database's dialect; returns the names applied, in order.
 * `migrationsDir` overrides the folder (tests).
 */
export async function applyMigrations(
  databaseUrl: string,
  log: (msg: string) => void = () => {},
  migrationsDir?: string,
): Promise<string[]> {
  const dialect = dialectOf(databaseUrl);
  const migrations = readMigrations(migrationsDir ?? MIGRATIONS_DIRS[dialect]);
  if (dialect === 'sqlite') return applySqlite(sqliteFilePath(databaseUrl), migrations, log);
  return applyPostgres(databaseUrl, migrations, log);
}
