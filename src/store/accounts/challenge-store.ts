// The verification challenge's hot reads (answer, retry, the link page) as bound SQL, and the
// conditional updates every process relies on: counters change only where a WHERE still holds.
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { Db, Tx } from '../database.ts';
import type { VerificationMethod } from '../../domain/accounts/secrets.ts';

export interface ChallengeRow {
  id: number;
  publicId: string;
  tenantId: number;
  userId: number;
  email: string;
  phone: string | null;
  methods: VerificationMethod[];
  redirectUrl: string | null;
  state: 'open' | 'completed' | 'locked' | 'revoked';
  failures: number;
  retries: number;
  nextSendAt: Date;
  /** The user's login now: a challenge counts only while it still equals `email`. */
  userLogin: string;
}

export interface SecretRow {
  id: number;
  method: VerificationMethod;
  secretHash: string;
  expiresAt: Date;
  doneAt: Date | null;
}

type Client = Db | Tx;

/** SQLite hands raw DATETIME values back as text or numbers, PostgreSQL as Date. */
const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number)));

const CHALLENGE_COLUMNS = Prisma.sql`c."id", c."publicId", c."tenantId", c."userId", c."email", c."phone", c."methods", c."redirectUrl",
  c."state", c."failures", c."retries", c."nextSendAt", u."login" AS "userLogin"`;

function toChallenge(row: Record<string, unknown>): ChallengeRow {
  return {
    id: Number(row.id),
    publicId: String(row.publicId),
    tenantId: Number(row.tenantId),
    userId: Number(row.userId),
    email: String(row.email),
    phone: row.phone === null ? null : String(row.phone),
    methods: JSON.parse(String(row.methods)) as VerificationMethod[],
    redirectUrl: row.redirectUrl === null ? null : String(row.redirectUrl),
    state: String(row.state) as ChallengeRow['state'],
    failures: Number(row.failures),
    retries: Number(row.retries),
    nextSendAt: toDate(row.nextSendAt),
    userLogin: String(row.userLogin),
  };
}

/** One tenant's challenge by its public id (the tenant is part of the key: ids never cross). */
export async function challengeByPublicId(db: Client, tenantId: number, publicId: string): Promise<ChallengeRow | null> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>(Prisma.sql`
    SELECT ${CHALLENGE_COLUMNS} FROM "VerificationChallenge" c JOIN "User" u ON u."id" = c."userId"
    WHERE c."tenantId" = ${tenantId} AND c."publicId" = ${publicId}`);
  return rows.length ? toChallenge(rows[0]) : null;
}

/** The user's newest open challenge, the user named by id or by login. */
export async function openChallengeOfUser(db: Client, tenantId: number, who: { userId?: number; login?: string }): Promise<ChallengeRow | null> {
  const match = who.userId !== undefined ? Prisma.sql`u."id" = ${who.userId}` : Prisma.sql`u."login" = ${who.login ?? ''}`;
  const rows = await db.$queryRaw<Record<string, unknown>[]>(Prisma.sql`
    SELECT ${CHALLENGE_COLUMNS} FROM "VerificationChallenge" c JOIN "User" u ON u."id" = c."userId"
    WHERE c."tenantId" = ${tenantId} AND u."tenantId" = ${tenantId} AND ${match} AND c."state" = 'open'
    ORDER BY c."id" DESC LIMIT 1`);
  return rows.length ? toChallenge(rows[0]) : null;
}

/** The secrets not revoked by a retry: the current one of each method (done or not). */
export async function liveSecrets(db: Client, challengeId: number): Promise<SecretRow[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>(Prisma.sql`
    SELECT "id", "method", "secretHash", "expiresAt", "doneAt" FROM "VerificationSecret"
    WHERE "challengeId" = ${challengeId} AND "revokedAt" IS NULL ORDER BY "id"`);
  return rows.map((row) => ({
    id: Number(row.id),
    method: String(row.method) as VerificationMethod,
    secretHash: String(row.secretHash),
    expiresAt: toDate(row.expiresAt),
    doneAt: row.doneAt === null ? null : toDate(row.doneAt),
  }));
}

/** The methods of a challenge with a consumed secret. */
export async function doneMethods(db: Client, challengeId: number): Promise<Set<VerificationMethod>> {
  const rows = await db.$queryRaw<{ method: string }[]>(Prisma.sql`
    SELECT DISTINCT "method" FROM "VerificationSecret" WHERE "challengeId" = ${challengeId} AND "doneAt" IS NOT NULL`);
  return new Set(rows.map((r) => r.method as VerificationMethod));
}

/**
 * Takes one of the challenge's `limit` attempts before any comparison: one UPDATE whose WHERE
 * holds only while attempts are left, so concurrent guesses on any process cannot exceed it.
 * Returns the failures count after the increment, or null when none was left (or not open).
 */
export async function reserveAttempt(tx: Tx, challengeId: number, limit: number): Promise<number | null> {
  const rows = await tx.$queryRaw<{ failures: unknown }[]>(Prisma.sql`
    UPDATE "VerificationChallenge" SET "failures" = "failures" + 1
    WHERE "id" = ${challengeId} AND "state" = 'open' AND "failures" < ${limit}
    RETURNING "failures"`);
  return rows.length ? Number(rows[0].failures) : null;
}

/** Gives back the attempt a correct answer reserved. */
export async function refundAttempt(tx: Tx, challengeId: number): Promise<void> {
  await tx.$executeRaw(Prisma.sql`UPDATE "VerificationChallenge" SET "failures" = "failures" - 1 WHERE "id" = ${challengeId} AND "failures" > 0`);
}
