// Where SQLite and PostgreSQL differ for the SQL the store builds itself, in one place: how a
// `Prisma.sql` fragment is rendered and bound for each driver, how rows come back (integers,
// booleans, timestamps), and the hot-path reader that runs such fragments on the driver's own
// prepared statements instead of through Prisma's per-call query pipeline (~300 µs of CPU per
// model call, ~100-200 µs per `$queryRaw`, against a few µs for a prepared statement).
//
// The reader is for reads outside a transaction only: SQLite gets a second, read-only
// connection (WAL: it sees every committed write, never an open transaction's rows), and
// PostgreSQL a small pool of its own. Inside a transaction, or where no reader exists (an
// in-memory SQLite database), the same fragment runs through the transaction's `$queryRaw`.
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Prisma } from '../../generated/prisma-sqlite/client.ts';
import type { Db, Dialect, Tx } from './database.ts';

/** Runs a fragment on the driver, rows as plain objects (column name → driver value). */
export interface DirectReader {
  dialect: Dialect;
  rows<T>(sql: Prisma.Sql): Promise<T[]>;
  close(): Promise<void>;
}

/** The stored text of a SQLite DateTime, as Prisma's better-sqlite3 adapter writes it (iso8601). */
export const sqliteInstant = (date: Date) => date.toISOString().replace('Z', '+00:00');

function bindSqlite(value: unknown): unknown {
  if (value instanceof Date) return sqliteInstant(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

// TIMESTAMP(3) columns hold UTC without a zone: bound as UTC text, so the process's own zone
// (which pg would apply to a Date) never shifts a value.
function bindPg(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return value === undefined ? null : value;
}

/** A database-level failure of a direct read, shaped as the driver adapter's so translation stays in one place. */
function adapterShaped(error: unknown): unknown {
  const e = error as { code?: string; message?: string };
  const unreachable = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'].includes(e?.code ?? '');
  const busy = e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_BUSY_SNAPSHOT';
  if (!unreachable && !busy) return error;
  return Object.assign(new Error(e.message ?? 'database unreachable'), {
    name: 'DriverAdapterError',
    cause: { kind: busy ? 'SocketTimeout' : 'DatabaseNotReachable', originalCode: e.code },
  });
}

/** Prepared statements kept per connection; fragments are few and fixed in shape, so this stays small. */
const MAX_STATEMENTS = 500;

/** A SQLite connection's prepared statements, by SQL text. */
class SqliteStatements {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** The serial of the adapter transaction now open on this connection (0: none). */
  openTransaction = 0;
  transactionsStarted = 0;
  constructor(readonly connection: BetterSqlite3.Database) {}

  private prepared(sql: Prisma.Sql): BetterSqlite3.Statement {
    const text = sql.sql;
    let statement = this.statements.get(text);
    if (!statement) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      statement = this.connection.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  rows<T>(sql: Prisma.Sql): T[] {
    try {
      return this.prepared(sql).all(...sql.values.map(bindSqlite)) as T[];
    } catch (error) {
      throw adapterShaped(error);
    }
  }

  run(sql: Prisma.Sql): number {
    try {
      return this.prepared(sql).run(...sql.values.map(bindSqlite)).changes;
    } catch (error) {
      throw adapterShaped(error);
    }
  }
}

function sqliteReader(file: string, timeout: number): DirectReader {
  const statements = new SqliteStatements(new BetterSqlite3(file, { readonly: true, timeout }));
  return {
    dialect: 'sqlite',
    async rows<T>(sql: Prisma.Sql): Promise<T[]> {
      return statements.rows<T>(sql);
    },
    async close() {
      statements.connection.close();
    },
  };
}

/** TIMESTAMP (without zone) as its UTC text; everything else as pg parses it (int8 and numeric as text). */
const PG_TIMESTAMP = 1114;
const pgTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === PG_TIMESTAMP ? (text: string) => `${text.replace(' ', 'T')}Z` : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Connections of the read pool: reads are short, and the Prisma pool serves the writes. */
export const PG_READ_POOL_SIZE = 4;

function pgReader(databaseUrl: string, schema: string | undefined): DirectReader {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: PG_READ_POOL_SIZE,
    types: pgTypes,
    // Named statements skip parsing, but after five runs PostgreSQL may switch one to a generic
    // plan, which for a list (IN lists, LIMIT/OFFSET as parameters) can scan instead of seek:
    // measured 7 req/s instead of 800. Every run gets a plan for its own values, as with Prisma.
    options: `-c plan_cache_mode=force_custom_plan${schema ? ` -c search_path="${schema}"` : ''}`,
  });
  // A client that dies while idle (the server restarts) is dropped by the pool; the next read reconnects.
  pool.on('error', () => {});
  const names = new Map<string, string>();
  return {
    dialect: 'postgresql',
    async rows<T>(sql: Prisma.Sql): Promise<T[]> {
      const text = sql.text;
      let name = names.get(text);
      if (!name) {
        if (names.size >= MAX_STATEMENTS) names.clear();
        name = `hot_${names.size}_${text.length}`;
        names.set(text, name);
      }
      try {
        return (await pool.query({ name, text, values: sql.values.map(bindPg) })).rows as T[];
      } catch (error) {
        throw adapterShaped(error);
      }
    },
    close: () => pool.end(),
  };
}

export function openDirectReader(options: { dialect: 'sqlite'; file: string; timeout: number } | { dialect: 'postgresql'; databaseUrl: string; schema?: string }): DirectReader | null {
  if (options.dialect === 'postgresql') return pgReader(options.databaseUrl, options.schema);
  // A second connection to an in-memory database would be another, empty database.
  if (options.file === ':memory:' || options.file === '') return null;
  return sqliteReader(options.file, options.timeout);
}

const readers = new WeakMap<object, DirectReader>();
/** SQLite: the one connection Prisma's adapter runs everything on (its transactions included). */
const writeConnections = new WeakMap<object, SqliteStatements>();
/** SQLite: open transactions (the unit of work's `tx`) → that connection, and which of its transactions. */
const transactions = new WeakMap<object, { statements: SqliteStatements; serial: number }>();

/** Called once by openDatabase: reads through `db` (not its transactions) may use `reader`. */
export function attachReader(db: Db, reader: DirectReader | null): void {
  if (reader) readers.set(db, reader);
}

/**
 * Prisma's better-sqlite3 adapter factory, made to hand over the connection it opens. Every
 * statement of a Prisma transaction runs on that connection between its BEGIN and COMMIT (the
 * adapter's mutex admits one transaction at a time), so a statement the store runs on it
 * while the transaction's callback is active is part of that transaction. The adapter's
 * transactions are numbered as they start and end, so a statement for a transaction that has
 * ended (Prisma's timeout rolled it back) is refused instead of running outside it.
 */
export function capturingSqliteConnection<F extends { connect(): Promise<unknown> }>(factory: F, onConnect: (db: (target: Db) => void) => void): F {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = (await connect()) as {
      client: BetterSqlite3.Database;
      startTransaction(...args: unknown[]): Promise<{ commit(): Promise<void>; rollback(): Promise<void> }>;
    };
    const statements = new SqliteStatements(adapter.client);
    const start = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (...args) => {
      const transaction = await start(...args);
      const serial = ++statements.transactionsStarted;
      statements.openTransaction = serial;
      const end = (finish: () => Promise<void>) => () => {
        if (statements.openTransaction === serial) statements.openTransaction = 0;
        return finish();
      };
      transaction.commit = end(transaction.commit.bind(transaction));
      transaction.rollback = end(transaction.rollback.bind(transaction));
      return transaction;
    };
    onConnect((target) => writeConnections.set(target, statements));
    return adapter;
  };
  return factory;
}

/** The unit of work calls this when it opens `tx` on `db`: on SQLite its statements may run on the connection directly. */
export function bindTransaction(tx: Tx, db: Db): void {
  const statements = writeConnections.get(db);
  if (statements && statements.openTransaction) transactions.set(tx, { statements, serial: statements.openTransaction });
}

/** The connection of `tx` if it is a SQLite transaction still open; throws if it has ended. */
function openConnection(tx: Db | Tx): SqliteStatements | undefined {
  const bound = transactions.get(tx);
  if (!bound) return undefined;
  if (bound.statements.openTransaction !== bound.serial || !bound.statements.connection.inTransaction) {
    throw Object.assign(new Error('Transaction already closed: a statement came after its end'), { code: 'P2028' });
  }
  return bound.statements;
}

/**
 * Rows of a fragment: on the direct reader when `db` is a root client that has one; on the
 * transaction's own connection (SQLite) or through its `$queryRaw` (PostgreSQL) when `db` is a
 * transaction, which then sees its own writes; through `$queryRaw` when there is no reader.
 * Callers read values through the helpers below, which accept every path's shapes.
 */
export async function readRows<T>(db: Db | Tx, sql: Prisma.Sql): Promise<T[]> {
  const reader = readers.get(db);
  if (reader) return reader.rows<T>(sql);
  const connection = openConnection(db);
  return connection ? connection.rows<T>(sql) : (db as Db).$queryRaw<T[]>(sql);
}

/** A statement in a transaction; the number of rows it changed. */
export async function execute(tx: Tx, sql: Prisma.Sql): Promise<number> {
  const connection = openConnection(tx);
  return connection ? connection.run(sql) : tx.$executeRaw(sql);
}

/** An integer column (number, bigint or pg's int8 text). */
export const int = (value: unknown): number => Number(value);
export const intOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
/** A boolean column (SQLite stores 0/1). */
export const bool = (value: unknown): boolean => value === true || value === 1 || value === 1n || value === '1';

/** A DateTime column: a Date ($queryRaw), or stored text with or without its zone (direct readers). */
export function instant(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const text = String(value);
  return new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}
export const instantOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : instant(value));

/** Row locks until the transaction ends, on PostgreSQL; SQLite writers already run one at a time. */
export function forUpdate(dialect: Dialect): Prisma.Sql {
  return dialect === 'postgresql' ? Prisma.sql` FOR UPDATE` : Prisma.empty;
}
