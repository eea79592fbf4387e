// Which database failures mean "the database cannot answer now" (503 DATABASE_UNAVAILABLE),
// with the error shapes Prisma 6 and its pg / better-sqlite3 adapters were seen to throw.
import { expect } from 'chai';
import { AppError } from '../../../src/errors/define-error.ts';
import { isDatabaseUnavailable, translatePrismaError } from '../../../src/store/translate-prisma-error.ts';

const known = (code: string, cause?: object) =>
  Object.assign(new Error(`Invalid invocation\n${code}`), { name: 'PrismaClientKnownRequestError', code, meta: cause ? { modelName: 'Item', driverAdapterError: { name: 'DriverAdapterError', cause } } : { modelName: 'Item' } });
const adapter = (cause: object) => Object.assign(new Error('driver failed'), { name: 'DriverAdapterError', cause });

describe('isDatabaseUnavailable', () => {
  const unavailable: [string, unknown][] = [
    ['P1001 (PostgreSQL refused the connection)', known('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['P1017 (the server closed the connection)', known('P1017')],
    ['P2024 (no pooled connection free in time)', known('P2024')],
    ['SQLITE_BUSY past the busy timeout (SocketTimeout)', known('P1008', { kind: 'SocketTimeout' })],
    ['57P01 inside a transaction (the server is shutting down)', adapter({ kind: 'postgres', code: '57P01', severity: 'FATAL', message: 'terminating connection due to administrator command' })],
    ['57P03 (the server is starting up)', adapter({ kind: 'postgres', code: '57P03', severity: 'FATAL', message: 'the database system is starting up' })],
    ['08006 (connection failure)', adapter({ kind: 'postgres', code: '08006', severity: 'FATAL', message: 'connection failure' })],
    ['pg: Connection terminated unexpectedly (nested as a cause)', Object.assign(new Error('query failed'), { cause: new Error('Connection terminated unexpectedly') })],
    // pg refuses a query on a client whose socket already failed (seen mid-transaction when PostgreSQL stopped).
    ['pg: Client has encountered a connection error and is not queryable', new Error('Client has encountered a connection error and is not queryable')],
    ['pg: Client was closed and is not queryable', new Error('Client was closed and is not queryable')],
  ];
  for (const [name, error] of unavailable) {
    it(`is true for ${name}, which translates to 503 DATABASE_UNAVAILABLE with Retry-After`, () => {
      expect(isDatabaseUnavailable(error)).to.equal(true);
      const translated = translatePrismaError(error) as AppError;
      expect(translated).to.be.instanceOf(AppError);
      expect(translated).to.include({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(Number(translated.headers?.['Retry-After'])).to.be.within(1, 60);
    });
  }

  const refusals: [string, unknown][] = [
    ['P2002 (unique violation)', known('P2002', { kind: 'UniqueConstraintViolation' })],
    ['P2025 (record not found)', known('P2025')],
    ['23505 from the driver', adapter({ kind: 'postgres', code: '23505', severity: 'ERROR', message: 'duplicate key' })],
    ['42P01 (a missing table is a bug, not an outage)', adapter({ kind: 'TableDoesNotExist', table: 'Item' })],
    ['a plain Error', new Error('boom')],
    ['a string', 'boom'],
    ['null', null],
  ];
  for (const [name, error] of refusals) {
    it(`is false for ${name}`, () => {
      expect(isDatabaseUnavailable(error)).to.equal(false);
    });
  }
});
