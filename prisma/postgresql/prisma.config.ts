// Prisma CLI configuration for the PostgreSQL copy of the schema (derived by
// scripts/db/pg-schema.ts). Use it with `--config prisma/postgresql/prisma.config.ts`.
// The CLI connects to DATABASE_URL, which must be a postgresql:// URL for the commands that
// need a database (migrate diff --from-migrations, migrate deploy/status, db execute).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';
import { MigrationPgAdapterFactory } from '../../scripts/db/pg-adapter.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

// See the root prisma.config.ts: stops the CLI from looking for native engine files.
process.env.PRISMA_QUERY_ENGINE_LIBRARY ??= path.join(root, 'package.json');
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, 'package.json');

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(here, 'schema.prisma'),
  migrations: { path: path.join(here, 'migrations') },
  async adapter() {
    const url = process.env.DATABASE_URL ?? '';
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error('prisma/postgresql/prisma.config.ts: set DATABASE_URL to a postgresql:// URL');
    }
    return new MigrationPgAdapterFactory(url);
  },
});
