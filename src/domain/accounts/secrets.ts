// A challenge's secrets: codes drawn uniformly from the CSPRNG, link secrets of 256 random bits,
// and the keyed hash (HMAC-SHA256 under the tenant's security key) that is all the database keeps.
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { safeEqualHex } from '../../lib/crypto.ts';

export const VERIFICATION_METHODS = ['mail_link', 'mail_code', 'sms_code'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

/** `length` decimal digits, each value equally likely (randomInt rejects biased draws). */
export function drawCode(length: number): string {
  return String(randomInt(0, 10 ** length)).padStart(length, '0');
}

/** 32 random bytes, independent of any code sent with it. */
export function drawLinkSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Bound to the challenge row and method: a secret of one challenge or method never fits another. */
export function keyedHash(key: string, challengeId: number, method: VerificationMethod, secret: string): string {
  return createHmac('sha256', key).update(`${challengeId}\u0000${method}\u0000${secret}`).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHash(stored: string, computed: string): boolean {
  return safeEqualHex(stored, computed);
}
