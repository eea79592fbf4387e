// npm run db:migration -- <name> [--empty]
//
// Writes prisma/migrations/<timestamp>_<name>/migration.sql (SQLite) and
// prisma/postgresql/migrations/<timestamp>_<name>/migration.sql (PostgreSQL): the difference
// between what the existing migrations build and the current schema. (`prisma migrate dev` is
// broken with the WASM schema engine, so this uses `prisma migrate diff --from-migrations`.)
//
// SQLite needs nothing (its shadow database is in memory). PostgreSQL needs a server for the
// shadow database: DATABASE_URL must be a postgresql:// URL of a user allowed to CREATE DATABASE;
// a temporary database is created there and dropped again. Nothing else on the server changes.
//
// --empty writes empty migrations (for hand-written SQL, e.g. data migrations): fill in both.
import fs from 'node:fs';
import path from 'node:path';
import { writePgSchema } from './pg-schema.ts';
import { PROVIDERS, isPostgresUrl, runPrismaOk, type Provider } from './prisma-cli.ts';
import { migrationNames, writeLockFile } from './migrations.ts';

const EMPTY = '-- This is an empty migration.\n';

function usage(msg: string): never {
  console.error(`${msg}\nusage: npm run db:migration -- <name> [--empty]`);
  process.exit(2);
}

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** A timestamp later than every existing migration's, so the new one sorts last. */
function nextTimestamp(existing: string[]): string {
  let ts = timestamp(new Date());
  const last = existing.map((n) => n.slice(0, 14)).filter((t) => /^\d{14}$/.test(t)).sort().at(-1);
  if (last && ts <= last) ts = String(BigInt(last) + 1n);
  return ts;
}

function diff(provider: Provider, databaseUrl: string | undefined): string {
  const { migrations, schema } = PROVIDERS[provider];
  // --exit-code: 0 = no difference, 2 = difference, 1 = error.
  const res = runPrismaOk(
    provider,
    ['migrate', 'diff', '--from-migrations', migrations, '--to-schema-datamodel', schema, '--script', '--exit-code'],
    databaseUrl,
    [0, 2],
  );
  return res.status === 2 ? res.stdout : '';
}

function main(): void {
  const args = process.argv.slice(2);
  const empty = args.includes('--empty');
  const rest = args.filter((a) => a !== '--empty');
  if (rest.length !== 1) usage('expected exactly one migration name');
  const name = rest[0]!.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!name) usage('the migration name must contain letters or digits');

  if (writePgSchema()) console.log('updated prisma/postgresql/schema.prisma');
  writeLockFile('sqlite');
  writeLockFile('postgresql');

  const sqliteNames = migrationNames('sqlite');
  const pgNames = migrationNames('postgresql');
  if (sqliteNames.join('\n') !== pgNames.join('\n')) {
    console.error('The SQLite and PostgreSQL migration folders differ; fix that first (npm run db:check says how).');
    process.exit(1);
  }

  let sqliteSql = EMPTY;
  let pgSql = EMPTY;
  if (!empty) {
    const pgUrl = process.env.DATABASE_URL;
    if (!isPostgresUrl(pgUrl)) {
      console.error(
        'A PostgreSQL server is needed to compute the PostgreSQL migration (for its shadow database).\n' +
          'Set DATABASE_URL=postgresql://USER@HOST:PORT/DB (a user that may CREATE DATABASE) and run again.',
      );
      process.exit(1);
    }
    sqliteSql = diff('sqlite', undefined);
    pgSql = diff('postgresql', pgUrl);
    if (!sqliteSql && !pgSql) {
      console.log('The migrations already match the schema: nothing to write.');
      return;
    }
    sqliteSql ||= EMPTY;
    pgSql ||= EMPTY;
  }

  const folder = `${nextTimestamp(sqliteNames)}_${name}`;
  for (const [provider, sql] of [['sqlite', sqliteSql], ['postgresql', pgSql]] as const) {
    const dir = path.join(PROVIDERS[provider].migrations, folder);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
    console.log(`wrote ${path.relative(process.cwd(), path.join(dir, 'migration.sql'))}`);
  }
}

main();
