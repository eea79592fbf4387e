// Prisma CLI configuration for the SQLite (source) schema.
// The PostgreSQL copy has its own config: prisma/postgresql/prisma.config.ts.
//
// Prisma 6.19 with `engine: "js"` runs the WASM schema engine through a driver adapter, so the
// CLI works without the native engines (which cannot be downloaded here). See
// shared/notes/toolchain-facts.md, section "Prisma".
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

const root = path.dirname(fileURLToPath(import.meta.url));

// A few CLI code paths still look for native engine files; pointing these variables at any
// existing file stops them from trying to download one.
process.env.PRISMA_QUERY_ENGINE_LIBRARY ??= path.join(root, 'package.json');
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, 'package.json');

/**
 * The schema engine applies each migration to the shadow database with one `executeRaw` call,
 * which better-sqlite3 `prepare`s and which therefore fails on any script with more than one
 * statement. On the shadow database, parameterless statements go through `exec` instead.
 */
class SQLiteMigrationAdapterFactory extends PrismaBetterSQLite3 {
  override async connectToShadowDb() {
    const adapter = await super.connectToShadowDb();
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (query) => {
      if (query.args.length > 0) return executeRaw(query);
      await adapter.executeScript(query.sql);
      return 0;
    };
    return adapter;
  }
}

/** The database the CLI talks to: DATABASE_URL when it is a SQLite `file:` URL. */
function sqliteUrl(): string {
  const url = process.env.DATABASE_URL;
  if (url && url.startsWith('file:')) return url;
  return 'file:./data/jetstack.db';
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(root, 'prisma/schema.prisma'),
  migrations: { path: path.join(root, 'prisma/migrations') },
  // The shadow database (used by `migrate diff --from-migrations`) is an in-memory database.
  async adapter() {
    const url = sqliteUrl();
    const file = url.slice('file:'.length);
    // better-sqlite3 creates the file but not its directory. (The scripts under scripts/db/ pass
    // `file::memory:` for commands that need no real database, such as `migrate diff`.)
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return new SQLiteMigrationAdapterFactory({ url });
  },
});
