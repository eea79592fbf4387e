// Driver adapter for the Prisma CLI (WASM schema engine) on PostgreSQL, with workarounds for
// four bugs of @prisma/adapter-pg 6.19 under the migration CLI
// (shared/notes/toolchain-facts.md, section "Prisma"):
//   1. catalog columns of type `name` (OID 19) and `"char"` (OID 18) fail to deserialize
//      (prisma/orm#27403): src/store/pg-types.ts's pg.Client subclass relabels them as text;
//   2. executeScript splits scripts on every `;`: we send the script as one simple query (as
//      the native engine does; PostgreSQL runs a multi-statement simple query atomically);
//   3. the stock shadow database is dropped while its pool is still open, and leaks: we create
//      the shadow database ourselves and drop it after closing its pool;
//   4. with `connectionString`, pg ignores the shadow database's name, so the "shadow" would be
//      the main database: we always pass host/port/user/password/database as separate fields.
// Every pool also gets `allowExitOnIdle: true`, or each CLI command idles ~10 s before exiting.
import crypto from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { CatalogTextClient } from '../../src/store/pg-types.ts';

type PgConfig = pg.ClientConfig & { allowExitOnIdle?: boolean; max?: number };

/** Splits a postgresql:// URL into separate fields (workaround 4). */
export function pgConfigFromUrl(databaseUrl: string): { config: PgConfig; schema?: string } {
  const u = new URL(databaseUrl);
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw new Error(`not a PostgreSQL URL: ${u.protocol}//…`);
  }
  const config: PgConfig = {
    host: decodeURIComponent(u.hostname) || u.searchParams.get('host') || 'localhost',
    port: u.port ? Number(u.port) : 5432,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
  };
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode && sslmode !== 'disable') config.ssl = { rejectUnauthorized: sslmode === 'verify-full' };
  const schema = u.searchParams.get('schema') ?? undefined;
  if (schema) config.options = `-c search_path=${schema}`;
  return { config, schema };
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

async function withAdminClient<T>(config: PgConfig, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Adapter factory for the migration CLI, with the workarounds above. */
export class MigrationPgAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';
  readonly #config: PgConfig;
  readonly #schema: string | undefined;

  constructor(databaseUrl: string) {
    const { config, schema } = pgConfigFromUrl(databaseUrl);
    this.#config = config;
    this.#schema = schema;
  }

  async #connectTo(config: PgConfig): Promise<Adapter> {
    const poolConfig: pg.PoolConfig = { ...config, allowExitOnIdle: true, Client: CatalogTextClient as typeof pg.Client };
    const adapter = await new PrismaPg(poolConfig, this.#schema ? { schema: this.#schema } : undefined).connect();
    // Workaround 2: the whole script as one simple query (no parameters => simple protocol).
    adapter.executeScript = async (script: string) => {
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    };
    return adapter;
  }

  connect(): Promise<Adapter> {
    return this.#connectTo(this.#config);
  }

  /** Workaround 3: a shadow database we create, and drop after closing its pool. */
  async connectToShadowDb(): Promise<Adapter> {
    const name = `prisma_shadow_${crypto.randomBytes(8).toString('hex')}`;
    await withAdminClient(this.#config, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
    let adapter: Adapter;
    try {
      adapter = await this.#connectTo({ ...this.#config, database: name });
    } catch (e) {
      await withAdminClient(this.#config, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`));
      throw e;
    }
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await withAdminClient(this.#config, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`));
    };
    return adapter;
  }
}
