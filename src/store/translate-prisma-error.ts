// Database errors → registry errors, in one place (unique → 409 naming the fields, missing → 404,
// database down or busy → 503 with Retry-After).
import { AppError } from '../errors/define-error.ts';
import { Errors } from '../errors/registry.ts';

interface AdapterCause {
  kind?: string;
  code?: string;
  constraint?: { fields?: string[] };
}

interface PrismaLikeError {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  meta?: { target?: unknown; modelName?: string; driverAdapterError?: { cause?: AdapterCause } };
}

/** Seconds a client is told to wait: the pool opens new connections on the next request. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * Prisma's codes for a server it cannot reach or that hung up (P1001 unreachable, P1002 and
 * P1008 timed out — SQLite's SQLITE_BUSY arrives as a timeout —, P1017 connection closed,
 * P2024 no free pooled connection).
 */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** Driver adapter error kinds with the same meaning. */
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-57P03 (the server is shutting
 * down, crashed, or still starting up: "cannot connect now"), 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

const PG_CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

function adapterCause(error: PrismaLikeError): AdapterCause | undefined {
  if (error.meta?.driverAdapterError?.cause) return error.meta.driverAdapterError.cause;
  if (error.name === 'DriverAdapterError' && error.cause && typeof error.cause === 'object') return error.cause as AdapterCause;
  return undefined;
}

/**
 * Whether the database could not answer at all (as opposed to refusing this query). Such a
 * failure says nothing about the request; pg's pool drops dead clients and connects anew, so
 * the same request succeeds once the server is back.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const e = error as PrismaLikeError;
  if (e.code && UNAVAILABLE_PRISMA_CODES.has(e.code)) return true;
  const cause = adapterCause(e);
  if (cause?.kind && UNAVAILABLE_ADAPTER_KINDS.has(cause.kind)) return true;
  if (cause?.kind === 'postgres' && UNAVAILABLE_SQLSTATE.test(cause.code ?? '')) return true;
  if (e.code && UNAVAILABLE_SQLSTATE.test(e.code)) return true;
  // pg's own errors when a socket dies mid-query, or when a query is sent on a client whose
  // socket already failed or closed (seen mid-transaction while PostgreSQL stopped).
  if (PG_CONNECTION_LOST.test(e.message ?? '')) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

export function databaseUnavailable() {
  const retryAfter = DATABASE_RETRY_AFTER_SECONDS;
  return Errors.databaseUnavailable({ retryAfter }, { headers: { 'Retry-After': String(retryAfter) } });
}

function uniqueFields(error: PrismaLikeError): string {
  const target = error.meta?.target;
  if (Array.isArray(target)) return target.join(', ');
  if (typeof target === 'string') return target;
  const fields = error.meta?.driverAdapterError?.cause?.constraint?.fields;
  return fields?.length ? fields.join(', ') : 'a unique field';
}

/** Used by the unit of work (store/unit-of-work.ts), the one place writes' errors are translated. */
export function translatePrismaError(error: unknown, what = 'Record'): unknown {
  if (error instanceof AppError) return error;
  const code = (error as PrismaLikeError)?.code;
  if (code === 'P2002') {
    const fields = uniqueFields(error as PrismaLikeError).replace(/\btenantId,?\s*/g, '').replace(/^, |, $/g, '');
    return Errors.conflict({ message: `${what} with the same ${fields || 'unique value'} already exists` });
  }
  if (code === 'P2025') return Errors.notFound({ what, id: '(requested)' });
  if (code === 'P2003') return Errors.badRequest({ message: `${what} refers to something that does not exist` });
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  return error;
}
