// One unit of work for a tag write, with the failures a concurrent change can cause named.
import type { Tx } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import { Errors } from '../../errors/registry.ts';

type DriverError = { meta?: { driverAdapterError?: { cause?: { kind?: string } } } };

export function tagWrite<T>(unitOfWork: UnitOfWork, body: (tx: Tx, work: Work) => Promise<T>): Promise<T> {
  return unitOfWork.write(body, {
    what: 'Tag',
    // A tag deleted between the visibility check and the insert of an assignment.
    translate: (error) =>
      (error as DriverError).meta?.driverAdapterError?.cause?.kind === 'ForeignKeyConstraintViolation'
        ? Errors.conflict({ message: 'A tag or item changed meanwhile; retry' })
        : undefined,
  });
}
