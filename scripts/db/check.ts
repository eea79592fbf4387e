// npm run db:check
//
// Fails (exit 1) when the database files are out of date with prisma/schema.prisma:
//   1. prisma/postgresql/schema.prisma is not what scripts/db/pg-schema.ts derives (offline);
//   2. a migration_lock.toml is missing or names the wrong provider (offline);
//   3. the SQLite and PostgreSQL migration folders do not have the same names (offline);
//   4. the SQLite migrations do not build the current schema (offline: in-memory shadow database);
//   5. the PostgreSQL migrations do not build the current schema. This one needs a PostgreSQL
//      server for the shadow database: it runs when DATABASE_URL is a postgresql:// URL (a
//      temporary database is created there and dropped), and is skipped with a note otherwise.
//      Checks 3 and 4 still catch a schema change made without `npm run db:migration`, since
//      that script always writes both migrations together.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, pgSchemaIsCurrent } from './pg-schema.ts';
import { PROVIDERS, isPostgresUrl, runPrisma, type Provider } from './prisma-cli.ts';
import { lockFilePath, lockFileText, migrationNames } from './migrations.ts';

const problems: string[] = [];
const rel = (p: string) => path.relative(ROOT, p);

if (!pgSchemaIsCurrent()) {
  problems.push('prisma/postgresql/schema.prisma is out of date with prisma/schema.prisma: run `npm run db:generate`.');
}

for (const provider of ['sqlite', 'postgresql'] as const) {
  const file = lockFilePath(provider);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== lockFileText(provider)) {
    problems.push(`${rel(file)} is missing or does not say provider = "${provider}".`);
  }
}

const sqliteNames = migrationNames('sqlite');
const pgNames = migrationNames('postgresql');
const onlySqlite = sqliteNames.filter((n) => !pgNames.includes(n));
const onlyPg = pgNames.filter((n) => !sqliteNames.includes(n));
if (onlySqlite.length || onlyPg.length) {
  problems.push(
    'The SQLite and PostgreSQL migrations differ (each migration must exist for both; ' +
      '`npm run db:migration -- <name>` writes both):' +
      onlySqlite.map((n) => `\n  only in prisma/migrations: ${n}`).join('') +
      onlyPg.map((n) => `\n  only in prisma/postgresql/migrations: ${n}`).join(''),
  );
}

function checkMigrations(provider: Provider, databaseUrl: string | undefined): void {
  const { migrations, schema } = PROVIDERS[provider];
  if (!fs.existsSync(lockFilePath(provider))) return; // reported above; the CLI cannot run without it
  const res = runPrisma(provider, [
    'migrate', 'diff', '--from-migrations', migrations, '--to-schema-datamodel', schema, '--script', '--exit-code',
  ], databaseUrl);
  if (res.status === 0) {
    console.log(`ok: ${rel(migrations)} builds ${rel(schema)}`);
  } else if (res.status === 2) {
    problems.push(
      `${rel(migrations)} is out of date with ${rel(schema)}: run \`npm run db:migration -- <name>\`.\n` +
        `Missing SQL:\n${res.stdout.replace(/^/gm, '    ')}`,
    );
  } else {
    problems.push(`could not check ${rel(migrations)} (prisma exited ${res.status}):\n${res.stdout}${res.stderr}`);
  }
}

checkMigrations('sqlite', undefined);
const url = process.env.DATABASE_URL;
if (!pgSchemaIsCurrent()) {
  console.log('note: PostgreSQL migrations not diffed: the PostgreSQL schema copy is stale (see below).');
} else if (isPostgresUrl(url)) {
  checkMigrations('postgresql', url);
} else {
  console.log(
    'note: PostgreSQL migrations not diffed against the schema (that needs a server: set ' +
      'DATABASE_URL=postgresql://...); checked only that they match the SQLite migrations by name.',
  );
}

if (problems.length) {
  console.error(`\ndb:check failed:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('db:check: database schema files are up to date.');
