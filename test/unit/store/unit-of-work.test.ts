// The unit of work against a real database (SQLite; PostgreSQL when DATABASE_URL is set): one
// transaction per write, hooks only after a commit and in order, a failing hook reported but not
// failing the write, nested units joining the outer one, and errors translated exactly once.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { AppError } from '../../../src/errors/define-error.ts';
import { Errors } from '../../../src/errors/registry.ts';
import { openDatabase, type Database, type Tx } from '../../../src/store/database.ts';
import { applyMigrations } from '../../../src/store/migrate.ts';
import { UnitOfWork, type Work } from '../../../src/store/unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

const slug = () => `t-${randomBytes(5).toString('hex')}`;
const tenantRow = (s: string) => ({ slug: s, name: s, securityKey: 'k'.repeat(32) });

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the write to fail');
}

describe('store/unit-of-work', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let database: Database;
  let hookErrors: unknown[];
  let unit: UnitOfWork;

  const exists = async (s: string) => (await database.prisma.tenant.count({ where: { slug: s } })) === 1;

  before(async () => {
    testDb = await createTestDatabase();
    await applyMigrations(testDb.url);
    database = await openDatabase({ databaseUrl: testDb.url });
  });
  after(async () => {
    await database?.close();
    await testDb?.drop();
  });
  beforeEach(() => {
    hookErrors = [];
    unit = new UnitOfWork(database.prisma, (error) => hookErrors.push(error));
  });

  describe('when the write commits', () => {
    it('runs its hooks after the commit, in the order registered, before the write resolves', async () => {
      const s = slug();
      const seen: string[] = [];
      const result = await unit.write(async (tx, work) => {
        await tx.tenant.create({ data: tenantRow(s) });
        work.afterCommit(async () => {
          // Outside the transaction: only a committed row is visible here.
          seen.push(`first, row visible: ${await exists(s)}`);
        });
        work.afterCommit(async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          seen.push('second, after a delay');
        });
        work.afterCommit(() => seen.push('third'));
        seen.push('body done');
        return 'answer';
      });
      expect(result).to.equal('answer');
      expect(seen).to.deep.equal(['body done', 'first, row visible: true', 'second, after a delay', 'third']);
    });

    it('reports a hook that throws, runs the hooks after it, and still answers the committed result', async () => {
      const s = slug();
      const ran: number[] = [];
      const boom = new Error('hook failed');
      const result = await unit.write(async (tx, work) => {
        work.afterCommit(() => ran.push(1));
        work.afterCommit(() => {
          throw boom;
        });
        work.afterCommit(async () => {
          throw new Error('async hook failed');
        });
        work.afterCommit(() => ran.push(4));
        return (await tx.tenant.create({ data: tenantRow(s) })).slug;
      });
      expect(result).to.equal(s);
      expect(await exists(s)).to.equal(true);
      expect(ran).to.deep.equal([1, 4]);
      expect(hookErrors).to.have.length(2);
      expect(hookErrors[0]).to.equal(boom);
      expect((hookErrors[1] as Error).message).to.equal('async hook failed');
    });

    it('refuses a hook registered after the unit has ended (a leaked Work), as a reported hook error', async () => {
      let leaked: Work | undefined;
      await unit.write(async (_tx, work) => {
        leaked = work;
        work.afterCommit(() => work.afterCommit(() => undefined));
      });
      expect(hookErrors).to.have.length(1);
      expect((hookErrors[0] as Error).message).to.match(/has ended/);
      expect(() => leaked!.afterCommit(() => undefined)).to.throw(/has ended/);
    });
  });

  describe('when the write rolls back', () => {
    it('runs no hook when the body throws, and keeps none of its rows', async () => {
      const s = slug();
      let ran = false;
      const refusal = Errors.conflict({ message: 'refused by the write itself' });
      const error = await rejection(
        unit.write(async (tx, work) => {
          await tx.tenant.create({ data: tenantRow(s) });
          work.afterCommit(() => (ran = true));
          throw refusal;
        }),
      );
      expect(error).to.equal(refusal);
      expect(ran).to.equal(false);
      expect(await exists(s)).to.equal(false);
      expect(hookErrors).to.deep.equal([]);
    });

    it('runs no hook when a statement fails (a unique violation), and translates that error once, naming what', async () => {
      const taken = slug();
      await database.prisma.tenant.create({ data: tenantRow(taken) });
      const s = slug();
      let ran = false;
      const error = await rejection(
        unit.write(async (tx, work) => {
          await tx.tenant.create({ data: tenantRow(s) });
          work.afterCommit(() => (ran = true));
          await tx.tenant.create({ data: tenantRow(taken) });
        }, { what: 'Tenant' }),
      );
      expect(error).to.be.instanceOf(AppError);
      expect(error).to.include({ status: 409, code: 'CONFLICT', message: 'Tenant with the same slug already exists' });
      expect(ran).to.equal(false);
      expect(await exists(s)).to.equal(false);
    });

    it('lets a write name a database refusal itself, before the generic translation', async () => {
      const taken = slug();
      await database.prisma.tenant.create({ data: tenantRow(taken) });
      const named = Errors.conflict({ message: 'that slug is taken' });
      const translateCalls: unknown[] = [];
      const error = await rejection(
        unit.write((tx) => tx.tenant.create({ data: tenantRow(taken) }), {
          what: 'Tenant',
          translate: (raw) => {
            translateCalls.push(raw);
            return (raw as { code?: string }).code === 'P2002' ? named : undefined;
          },
        }),
      );
      expect(error).to.equal(named);
      expect(translateCalls).to.have.length(1);
      // A refusal the write raised itself is not passed to translate at all.
      const own = Errors.notFound({ what: 'Tenant', id: 1 });
      expect(await rejection(unit.write(async () => { throw own; }, { translate: (raw) => (translateCalls.push(raw), undefined) }))).to.equal(own);
      expect(translateCalls).to.have.length(1);
    });

    it('answers 503 DATABASE_UNAVAILABLE with Retry-After when the database cannot answer', async () => {
      const unreachable = Object.assign(new Error("Can't reach database server"), { name: 'PrismaClientKnownRequestError', code: 'P1001' });
      let ran = false;
      const error = await rejection(
        unit.write(async (_tx, work) => {
          work.afterCommit(() => (ran = true));
          throw unreachable;
        }),
      );
      expect(error).to.be.instanceOf(AppError);
      expect(error).to.include({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(Number((error as AppError).headers?.['Retry-After'])).to.be.greaterThan(0);
      expect(ran).to.equal(false);
    });

    it('passes an unknown error on untouched (the error boundary answers 500 for it)', async () => {
      const bug = new TypeError('a bug');
      expect(await rejection(unit.write(async () => { throw bug; }))).to.equal(bug);
    });
  });

  describe('nested units', () => {
    it('join the outer unit: one transaction, one hook list, run after the outer commit', async () => {
      const outerSlug = slug();
      const innerSlug = slug();
      const seen: string[] = [];
      let innerTx: Tx | undefined;
      let outerTx: Tx | undefined;
      await unit.write(async (tx, work) => {
        outerTx = tx;
        await tx.tenant.create({ data: tenantRow(outerSlug) });
        work.afterCommit(() => seen.push('outer hook'));
        await unit.write(async (inner, innerWork) => {
          innerTx = inner;
          // The outer unit's uncommitted row is visible: the same transaction.
          seen.push(`inner sees outer row: ${(await inner.tenant.count({ where: { slug: outerSlug } })) === 1}`);
          await inner.tenant.create({ data: tenantRow(innerSlug) });
          innerWork.afterCommit(async () => seen.push(`inner hook, inner row committed: ${await exists(innerSlug)}`));
        }, { within: work });
        seen.push('inner done, nothing run yet');
        work.afterCommit(() => seen.push('outer hook after the inner'));
      });
      expect(innerTx).to.equal(outerTx);
      expect(seen).to.deep.equal([
        'inner sees outer row: true',
        'inner done, nothing run yet',
        'outer hook',
        'inner hook, inner row committed: true',
        'outer hook after the inner',
      ]);
    });

    it('roll back with the outer unit, whose failure runs none of the inner hooks', async () => {
      const innerSlug = slug();
      let ran = false;
      const refusal = Errors.badRequest({ message: 'the outer write refuses after the inner one' });
      const error = await rejection(
        unit.write(async (_tx, work) => {
          await unit.write(async (inner, innerWork) => {
            await inner.tenant.create({ data: tenantRow(innerSlug) });
            innerWork.afterCommit(() => (ran = true));
          }, { within: work });
          throw refusal;
        }),
      );
      expect(error).to.equal(refusal);
      expect(ran).to.equal(false);
      expect(await exists(innerSlug)).to.equal(false);
    });

    it('translate a database error once: the inner unit names it, the outer passes the registry error on', async () => {
      const taken = slug();
      await database.prisma.tenant.create({ data: tenantRow(taken) });
      const outerTranslate: unknown[] = [];
      const error = await rejection(
        unit.write(
          (_tx, work) => unit.write((inner) => inner.tenant.create({ data: tenantRow(taken) }), { within: work, what: 'Inner tenant' }),
          { what: 'Outer', translate: (raw) => (outerTranslate.push(raw), undefined) },
        ),
      );
      expect(error).to.be.instanceOf(AppError);
      expect(error).to.include({ status: 409, code: 'CONFLICT', message: 'Inner tenant with the same slug already exists' });
      expect((error as AppError).details).to.equal(undefined);
      expect(outerTranslate).to.deep.equal([]);
    });
  });
});
