// The one way a write reaches the database: one transaction, database errors translated once,
// and the work that must follow a commit (file bytes removed, generations bumped, later the
// outbox and notifications) registered as hooks that run only once the commit has succeeded.
import { AppError } from '../errors/define-error.ts';
import type { Db, Tx } from './database.ts';
import { translatePrismaError } from './translate-prisma-error.ts';
import { bindTransaction } from './dialect.ts';

/** Work after a commit. Awaited before the write answers, so the next request sees its effect. */
export type AfterCommitHook = () => unknown;

/** A write in progress: its transaction, and what to do once (and only if) it commits. */
export interface Work {
  readonly tx: Tx;
  /** `hook` runs after the outermost unit commits, in registration order; never after a rollback. */
  afterCommit(hook: AfterCommitHook): void;
}

export interface WriteOptions {
  /**
   * The unit this write joins (a service called inside another service's write): the same
   * transaction and hook list, committed or rolled back with the outer write.
   */
  within?: Work;
  /** What a translated error names ("Item of books", "Tag"); "Record" by default. */
  what?: string;
  /** A refusal this write can name better than the generic translation; undefined: the generic one. */
  translate?: (error: unknown) => AppError | undefined;
  /** Prisma's interactive-transaction limits in ms (defaults 2000 and 5000); not for a joined unit. */
  maxWait?: number;
  timeout?: number;
}

export class UnitOfWork {
  constructor(
    private readonly db: Db,
    /** Told about a hook that threw: its write has committed, so its answer stays a success. */
    private readonly onHookError: (error: unknown) => void,
  ) {}

  async write<T>(body: (tx: Tx, work: Work) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    const outer = options.within;
    // Joined: no second transaction (it would not see the outer one's rows, and on SQLite it
    // would wait for the outer one's lock); the outer unit commits and runs the hooks.
    if (outer) return translatedOnce(() => body(outer.tx, outer), options);

    const hooks: AfterCommitHook[] = [];
    let open = true;
    const limits = { ...(options.maxWait ? { maxWait: options.maxWait } : {}), ...(options.timeout ? { timeout: options.timeout } : {}) };
    let result: T;
    try {
      result = await translatedOnce(
        () =>
          this.db.$transaction((client) => {
            const tx = client as Tx;
            bindTransaction(tx, this.db);
            const work: Work = {
              tx,
              afterCommit(hook) {
                if (!open) throw new Error('afterCommit called on a unit of work that has ended');
                hooks.push(hook);
              },
            };
            return body(tx, work);
          }, limits),
        options,
      );
    } finally {
      open = false;
    }
    for (const hook of hooks) {
      try {
        await hook();
      } catch (error) {
        this.onHookError(error);
      }
    }
    return result;
  }
}

/**
 * Database errors become registry errors here and nowhere else. An AppError passes untouched:
 * it is a refusal the write made itself, or one an inner (joined) unit has already translated.
 */
async function translatedOnce<T>(run: () => Promise<T>, options: WriteOptions): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw options.translate?.(error) ?? translatePrismaError(error, options.what);
  }
}
