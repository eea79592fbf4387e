// Upload reservations: the bytes and the slot an upload in progress holds against its user's
// limits, taken before the body is read. The check and the reservation are one step under a
// per-user lock, so parallel uploads, in one process or many, cannot all pass a check that none
// of them has yet counted against.
import { randomBytes } from 'node:crypto';
import type { Db, Dialect, Tx } from '../database.ts';
import type { UnitOfWork } from '../unit-of-work.ts';

/** Namespace of the two-key PostgreSQL advisory locks taken here ('upld'); the key is the user id. */
const LOCK_SPACE = 0x75706c64;
/** Reservation sizes are stored as INTEGER (32 bits on PostgreSQL). */
const MAX_RESERVATION = 2 ** 31 - 1;

export interface ReserveRequest {
  tenantId: number;
  userId: number;
  /** The most this upload can store (its Content-Length, or files × size limit). */
  wanted: number;
  /** Most bytes the user may hold in unused uploads and reservations together. */
  quotaBytes: number;
  /** Most uploads of the user in progress at once. */
  maxConcurrent: number;
  /** When an unreleased reservation (a crashed process) stops counting. */
  expiresAt: Date;
}

/** A granted reservation holds at most `wanted` bytes: what was left of the quota, if less. */
export type Reservation = GrantedReservation | { granted: false; reason: 'busy' | 'quota' };
export type GrantedReservation = { granted: true; id: string; bytes: number };

export class UploadReservations {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly dialect: Dialect,
  ) {}

  async reserve(request: ReserveRequest): Promise<Reservation> {
    const { tenantId, userId } = request;
    const now = new Date();
    return this.unitOfWork.write(async (tx) => {
      await this.lockUser(tx, userId);
      // On SQLite this first write takes the database's write lock, which serialises the rest.
      await tx.uploadReservation.deleteMany({ where: { userId, expiresAt: { lte: now } } });
      const active = await tx.uploadReservation.aggregate({ where: { userId }, _count: { _all: true }, _sum: { bytes: true } });
      if (active._count._all >= request.maxConcurrent) return { granted: false, reason: 'busy' } as const;
      const promised = await tx.filePromise.aggregate({ where: { tenantId, userId, expiresAt: { gt: now } }, _sum: { size: true } });
      const left = request.quotaBytes - Number(active._sum.bytes ?? 0) - Number(promised._sum.size ?? 0);
      if (left <= 0) return { granted: false, reason: 'quota' } as const;
      const bytes = Math.min(request.wanted, left, MAX_RESERVATION);
      const id = randomBytes(12).toString('base64url');
      await tx.uploadReservation.create({ data: { id, tenantId, userId, bytes, expiresAt: request.expiresAt } });
      return { granted: true, id, bytes } as const;
    }, { what: 'Upload reservation', maxWait: 10_000, timeout: 10_000 });
  }

  /** Ends a reservation (the upload failed, or its promises now count instead); idempotent. */
  async release(id: string): Promise<void> {
    await this.releaseIn(this.db, id);
  }

  /** Ends a reservation inside another write's transaction (or, given the client, on its own). */
  async releaseIn(tx: Tx, id: string): Promise<void> {
    await tx.uploadReservation.deleteMany({ where: { id } });
  }

  /** Drops reservations past their expiry (left by crashed processes). */
  async sweepExpired(now = new Date()): Promise<number> {
    return (await this.db.uploadReservation.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }

  /**
   * PostgreSQL runs READ COMMITTED: two transactions would each miss the other's new row. A
   * transaction-scoped advisory lock per user orders them. SQLite writers run one at a time.
   */
  private async lockUser(tx: Tx, userId: number): Promise<void> {
    if (this.dialect !== 'postgresql') return;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_SPACE}::int, ${userId}::int)`;
  }
}
