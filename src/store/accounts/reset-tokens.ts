// PasswordResetToken rows: every query names the tenant, and every state change is one guarded
// UPDATE, so two requests racing with one token cannot both use it or both miss a wrong guess.
import type { Db, Tx } from '../database.ts';

export interface ResetTokenRow {
  id: number;
  tenantId: number;
  userId: number;
  publicId: string;
  secretHash: string;
  expiresAt: Date;
  failedAttempts: number;
  usedAt: Date | null;
  revokedAt: Date | null;
}

/** How long spent tokens are kept (for the audit's sake) before a new request of the same user removes them. */
const KEEP_SPENT_MS = 24 * 3600_000;

export function findToken(db: Db | Tx, tenantId: number, publicId: string): Promise<ResetTokenRow | null> {
  return db.passwordResetToken.findFirst({ where: { tenantId, publicId } });
}

export async function createToken(tx: Tx, row: { tenantId: number; userId: number; publicId: string; secretHash: string; expiresAt: Date }, now: Date): Promise<void> {
  await tx.passwordResetToken.deleteMany({ where: { tenantId: row.tenantId, userId: row.userId, expiresAt: { lt: new Date(now.getTime() - KEEP_SPENT_MS) } } });
  await tx.passwordResetToken.create({ data: row });
}

/** Counts one wrong secret (never past `max`) and answers the count it reached. */
export async function countWrongSecret(db: Db, tokenId: number, max: number): Promise<number> {
  await db.passwordResetToken.updateMany({ where: { id: tokenId, failedAttempts: { lt: max } }, data: { failedAttempts: { increment: 1 } } });
  const row = await db.passwordResetToken.findUnique({ where: { id: tokenId }, select: { failedAttempts: true } });
  return row?.failedAttempts ?? max;
}

/** Marks the token used if it still may be; false when another request got there first (or it expired meanwhile). */
export async function consumeToken(tx: Tx, tokenId: number, now: Date, maxWrong: number): Promise<boolean> {
  const { count } = await tx.passwordResetToken.updateMany({
    where: { id: tokenId, usedAt: null, revokedAt: null, expiresAt: { gt: now }, failedAttempts: { lt: maxWrong } },
    data: { usedAt: now },
  });
  return count === 1;
}

/** Revokes every other outstanding token of the user; answers how many. */
export async function revokeOtherTokens(tx: Tx, tenantId: number, userId: number, keepId: number, now: Date): Promise<number> {
  const { count } = await tx.passwordResetToken.updateMany({
    where: { tenantId, userId, id: { not: keepId }, usedAt: null, revokedAt: null },
    data: { revokedAt: now },
  });
  return count;
}
