// Database errors → registry errors, in one place (unique → 409 naming the fields, missing → 404).
import { AppError } from '../errors/define-error.ts';
import { Errors } from '../errors/registry.ts';

interface PrismaLikeError {
  code?: string;
  meta?: { target?: unknown; modelName?: string; driverAdapterError?: { cause?: { constraint?: { fields?: string[] } } } };
}

function uniqueFields(error: PrismaLikeError): string {
  const target = error.meta?.target;
  if (Array.isArray(target)) return target.join(', ');
  if (typeof target === 'string') return target;
  const fields = error.meta?.driverAdapterError?.cause?.constraint?.fields;
  return fields?.length ? fields.join(', ') : 'a unique field';
}

export function translatePrismaError(error: unknown, what = 'Record'): unknown {
  if (error instanceof AppError) return error;
  const code = (error as PrismaLikeError)?.code;
  if (code === 'P2002') {
    const fields = uniqueFields(error as PrismaLikeError).replace(/\btenantId,?\s*/g, '').replace(/^, |, $/g, '');
    return Errors.conflict({ message: `${what} with the same ${fields || 'unique value'} already exists` });
  }
  if (code === 'P2025') return Errors.notFound({ what, id: '(requested)' });
  if (code === 'P2003') return Errors.badRequest({ message: `${what} refers to something that does not exist` });
  return error;
}

/** Runs a write and rethrows database errors as registry errors. */
export async function translated<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translatePrismaError(error, what);
  }
}
