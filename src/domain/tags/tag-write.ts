// One transaction for a tag write, with the failures a concurrent change can cause named.
import type { Db } from '../../store/database.ts';
import type { Tx } from '../../store/items/item-store.ts';
import { AppError } from '../../errors/define-error.ts';
import { Errors } from '../../errors/registry.ts';
import { translatePrismaError } from '../../store/translate-prisma-error.ts';

type DriverError = { meta?: { driverAdapterError?: { cause?: { kind?: string } } } };

export async function tagWrite<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.$transaction((tx) => work(tx as Tx));
  } catch (error) {
    if (error instanceof AppError) throw error;
    // A tag deleted between the visibility check and the insert of an assignment.
    if ((error as DriverError).meta?.driverAdapterError?.cause?.kind === 'ForeignKeyConstraintViolation') {
      throw Errors.conflict({ message: 'A tag or item changed meanwhile; retry' });
    }
    throw translatePrismaError(error, 'Tag');
  }
}

