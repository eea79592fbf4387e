// Opens the application database: SQLite (`file:<path>`) or PostgreSQL (`postgresql://...`).
// Both go through Prisma driver adapters (engineType "client": no native engine).
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma-sqlite/client.ts';
import { PrismaClient as PgPrismaClient } from '../../generated/prisma-pg/client.ts';
import { CatalogTextClient } from './pg-types.ts';
import { attachReader, capturingSqliteConnection, openDirectReader } from './dialect.ts';

export type Dialect = 'sqlite' | 'postgresql';

/** The Prisma client type the store and domain code is written against (= Database['prisma']). */
export type Db = PrismaClient;

/** A transaction's client: the same model API as Db, and no way to open a second transaction. */
export type Tx = Omit<Db, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export interface Database {
  /** Typed as the SQLite client; on PostgreSQL it is the PostgreSQL client (same model API). */
  prisma: PrismaClient;
  dialect: Dialect;
  close(): Promise<void>;
}

/** How long a SQLite connection waits for another writer's lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function dialectOf(databaseUrl: string): Dialect {
  if (databaseUrl.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql';
  throw new Error('databaseUrl must be file:<path> (SQLite) or postgresql://... (PostgreSQL)');
}

/** `file:./data/x.db?x=y` → `./data/x.db` (relative paths are relative to the working directory). */
export function sqliteFilePath(databaseUrl: string): string {
  return databaseUrl.slice('file:'.length).replace(/\?.*$/, '');
}

/** Creates the file's directory and switches the file to WAL (a persistent setting of the file). */
export function prepareSqliteFile(file: string): void {
  if (file === ':memory:') return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new BetterSqlite3(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

/** The `schema` query parameter Prisma URLs may carry (default: the server's search_path). */
export function pgSchemaOf(databaseUrl: string): string | undefined {
  return new URL(databaseUrl).searchParams.get('schema') ?? undefined;
}

export async function openDatabase(opts: { databaseUrl: string }): Promise<Database> {
  const { databaseUrl } = opts;
  const dialect = dialectOf(databaseUrl);

  if (dialect === 'sqlite') {
    const file = sqliteFilePath(databaseUrl);
    prepareSqliteFile(file);
    // `timeout` is better-sqlite3's busy_timeout. The adapter keeps one connection; WAL lets
    // other processes read while it writes.
    let attach: ((target: PrismaClient) => void) | undefined;
    const adapter = capturingSqliteConnection(new PrismaBetterSQLite3({ url: file, timeout: SQLITE_BUSY_TIMEOUT_MS }, { timestampFormat: 'iso8601' }), (a) => (attach = a));
    const prisma = new PrismaClient({ adapter });
    await prisma.$connect();
    attach?.(prisma);
    const reader = openDirectReader({ dialect, file, timeout: SQLITE_BUSY_TIMEOUT_MS });
    attachReader(prisma, reader);
    return { prisma, dialect, close: async () => { await reader?.close(); await prisma.$disconnect(); } };
  }

  const schema = pgSchemaOf(databaseUrl);
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      // Lets `$queryRaw` return `name`/`"char"` columns (catalog queries), see pg-types.ts.
      Client: CatalogTextClient as typeof pg.Client,
      ...(schema ? { options: `-c search_path="${schema}"` } : {}),
    },
    schema ? { schema } : undefined,
  );
  const pgClient = new PgPrismaClient({ adapter });
  await pgClient.$connect();
  // The two generated clients have the same models and methods but are distinct TypeScript types
  // (each carries its own provider-specific input types, e.g. QueryMode only on PostgreSQL), so
  // one is not assignable to the other. The rest of the code is written against the SQLite
  // client's API, which the PostgreSQL client accepts too; this is the one place that casts.
  const prisma = pgClient as unknown as PrismaClient;
  const reader = openDirectReader({ dialect, databaseUrl, schema });
  attachReader(prisma, reader);
  return { prisma, dialect, close: async () => { await reader?.close(); await pgClient.$disconnect(); } };
}
