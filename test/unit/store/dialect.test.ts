// store/dialect.ts: the hot-path reader and the in-transaction statements, on whichever database
// the suite runs (SQLite by default, PostgreSQL with DATABASE_URL): the same rows through every
// path, a reader that never sees an open transaction's writes, and no statement after a
// transaction has ended.
import { expect } from 'chai';
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { applyMigrations } from '../../../src/store/migrate.ts';
import { UnitOfWork } from '../../../src/store/unit-of-work.ts';
import { bool, execute, instant, int, readRows } from '../../../src/store/dialect.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

const counts = Prisma.sql`SELECT "typeId", "count" FROM "TypeCount" ORDER BY "typeId"`;
const shape = (rows: { typeId: unknown; count: unknown }[]) => rows.map((r) => ({ typeId: int(r.typeId), count: int(r.count) }));
const bump = (typeId: number, delta: number) =>
  Prisma.sql`INSERT INTO "TypeCount" ("typeId", "count") VALUES (${typeId}, ${delta}) ON CONFLICT ("typeId") DO UPDATE SET "count" = "TypeCount"."count" + excluded."count"`;

describe('store/dialect: direct reads and in-transaction statements', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let database: Database;
  let unitOfWork: UnitOfWork;

  before(async () => {
    testDb = await createTestDatabase();
    await applyMigrations(testDb.url);
    database = await openDatabase({ databaseUrl: testDb.url });
    unitOfWork = new UnitOfWork(database.prisma, (error) => {
      throw error;
    });
  });
  after(async () => {
    await database.close();
    await testDb.drop();
  });

  it('reads what a committed write stored; an open transaction sees its own rows, a reader outside does not', async () => {
    let inside: unknown;
    let outside: unknown;
    await unitOfWork.write(async (tx) => {
      expect(await execute(tx, bump(901, 2))).to.equal(1);
      inside = shape(await readRows(tx, counts));
      outside = shape(await readRows(database.prisma, counts));
    });
    expect(inside).to.deep.equal([{ typeId: 901, count: 2 }]);
    expect(outside).to.deep.equal([]);
    expect(shape(await readRows(database.prisma, counts))).to.deep.equal([{ typeId: 901, count: 2 }]);
    // The same fragment through Prisma's $queryRaw gives the same values.
    expect(shape(await database.prisma.$queryRaw(counts))).to.deep.equal([{ typeId: 901, count: 2 }]);
  });

  it('changes nothing when the write rolls back', async () => {
    const failed = await unitOfWork
      .write(async (tx) => {
        await execute(tx, bump(901, 40));
        throw new Error('refused');
      })
      .catch((error: Error) => error.message);
    expect(failed).to.equal('refused');
    expect(shape(await readRows(database.prisma, counts))).to.deep.equal([{ typeId: 901, count: 2 }]);
  });

  it('refuses a statement after the transaction timed out, and it changes nothing', async () => {
    const failed = await unitOfWork
      .write(
        async (tx) => {
          await new Promise((resolve) => setTimeout(resolve, 400));
          await execute(tx, bump(901, 1000));
        },
        { timeout: 100 },
      )
      .catch((error: Error) => error.message);
    expect(failed).to.match(/Transaction|closed|expired|timeout/i);
    expect(shape(await readRows(database.prisma, counts))).to.deep.equal([{ typeId: 901, count: 2 }]);
  });

  it('reads timestamps and booleans alike on every path', async () => {
    const at = new Date('2026-03-29T01:30:05.123Z');
    await unitOfWork.write(async (tx) => {
      await execute(tx, Prisma.sql`INSERT INTO "Tenant" ("slug", "name", "isRoot", "securityKey", "createdAt", "updatedAt") VALUES (${'dialect-t'}, ${'T'}, ${false}, ${'k'}, ${at}, ${at})`);
    });
    const query = Prisma.sql`SELECT "createdAt", "isRoot" FROM "Tenant" WHERE "slug" = ${'dialect-t'}`;
    for (const rows of [await readRows<{ createdAt: unknown; isRoot: unknown }>(database.prisma, query), await database.prisma.$queryRaw<{ createdAt: unknown; isRoot: unknown }[]>(query)]) {
      expect(instant(rows[0].createdAt).toISOString()).to.equal(at.toISOString());
      expect(bool(rows[0].isRoot)).to.equal(false);
    }
  });

  it('takes stored text with or without its zone as UTC', () => {
    expect(instant('2026-12-02T04:28:05.000+00:00').toISOString()).to.equal('2026-12-02T04:28:05.000Z');
    expect(instant('2026-12-02 04:28:05').toISOString()).to.equal('2026-12-02T04:28:05.000Z');
    expect(instant('2026-12-02T04:28:05.5Z').toISOString()).to.equal('2026-12-02T04:28:05.500Z');
  });
});
