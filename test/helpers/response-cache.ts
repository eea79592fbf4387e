// What the response-cache tests check on every answer: the cache headers of a 200 (ETag,
// Cache-Control, Vary, X-Cache), a 304 that keeps them without a body, a wall clock in a zone
// computed independently of the server, and changes made straight in the database (behind the
// API's back, so that only a TTL can reveal them).
import { expect } from 'chai';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { ApiResponse } from './server.ts';
import type { TestDatabase } from './database.ts';

/** The contract's ETag: strong, a quoted lower-case hex digest. */
export const STRONG_ETAG = /^"[0-9a-f]{16,64}"$/;
export const CACHE_CONTROL = 'private, must-revalidate';

export type CacheOutcome = 'HIT' | 'MISS' | 'BYPASS';

const describeResponse = (res: ApiResponse) => `${res.status} ${JSON.stringify(res.headers)} ${res.text.slice(0, 300)}`;

/** A cache-eligible 200: the four cache headers, and X-Cache equal to `outcome` when given. */
export function expectCached(res: ApiResponse, outcome?: CacheOutcome | CacheOutcome[]): string {
  expect(res.status, describeResponse(res)).to.equal(200);
  expect(res.headers.etag, `ETag of ${describeResponse(res)}`).to.match(STRONG_ETAG);
  expect(res.headers['cache-control'], 'Cache-Control').to.equal(CACHE_CONTROL);
  expect(res.headers.vary, 'Vary').to.be.a('string').and.not.equal('');
  expect(res.headers['x-cache'], 'X-Cache').to.be.oneOf(['HIT', 'MISS', 'BYPASS']);
  if (outcome !== undefined) {
    const allowed = Array.isArray(outcome) ? outcome : [outcome];
    expect(res.headers['x-cache'], `X-Cache of ${res.status} (expected ${allowed.join(' or ')})`).to.be.oneOf(allowed);
  }
  return res.headers.etag;
}

/** 304 with no body, carrying the ETag, Cache-Control and Vary the 200 had, and a Date. */
export function expectNotModified(res: ApiResponse, of: ApiResponse) {
  expect(res.status, describeResponse(res)).to.equal(304);
  expect(res.bytes.length, 'a 304 has no body').to.equal(0);
  expect(res.headers.etag, 'ETag kept in the 304').to.equal(of.headers.etag);
  expect(res.headers['cache-control'], 'Cache-Control kept in the 304').to.equal(CACHE_CONTROL);
  expect(res.headers.vary, 'Vary kept in the 304').to.equal(of.headers.vary);
  expect(res.headers.date, 'Date in the 304').to.be.a('string');
  expect(Number.isNaN(Date.parse(res.headers.date)), `Date ${res.headers.date}`).to.equal(false);
}

/** An instant as wall clock + offset in `zone` (seconds precision), computed with Intl. */
export function inZone(instant: string | number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset',
    }).formatToParts(new Date(instant)).map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** Runs one statement on the test database directly (SQLite file or PostgreSQL database). */
export async function sqlOn(database: TestDatabase, statement: string, params: unknown[] = []): Promise<void> {
  if (database.dialect === 'sqlite') {
    const file = new BetterSqlite3(database.file!);
    try {
      file.prepare(statement.replace(/\$\d+/g, '?')).run(...params);
    } finally {
      file.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(statement, params);
  } finally {
    await client.end();
  }
}

/** Rewrites one stored property of an item in the Item row only, behind the API (no invalidation). */
export async function rewriteStoredValue(database: TestDatabase, itemId: number, property: string, value: unknown): Promise<void> {
  const read = async (): Promise<string> => {
    if (database.dialect === 'sqlite') {
      const file = new BetterSqlite3(database.file!, { readonly: true });
      try {
        return (file.prepare('SELECT "data" FROM "Item" WHERE "id" = ?').get(itemId) as { data: string }).data;
      } finally {
        file.close();
      }
    }
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query('SELECT "data" FROM "Item" WHERE "id" = $1', [itemId])).rows[0].data;
    } finally {
      await client.end();
    }
  };
  const data = JSON.parse(await read());
  data[property] = value;
  await sqlOn(database, 'UPDATE "Item" SET "data" = $1 WHERE "id" = $2', [JSON.stringify(data), itemId]);
}
