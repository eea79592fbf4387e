// The pure parts of a password reset: the token a link carries and its keyed hash, the link
// itself, the rules a redirect_url must meet, and the URL the browser is sent to afterwards.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Errors } from '../../errors/registry.ts';
import { deriveKey, open, seal, type SealBinding } from '../../lib/sealed-redirect.ts';
import type { TenantContext } from '../identity/tenant.ts';

/** Why a reset did not happen, as the redirect's `reason` says it. */
export type ResetFailure = 'expired' | 'used' | 'invalid' | 'too_many_attempts';

/** Wrong secrets a token takes; the one that reaches this locks it (`too_many_attempts`). */
export const MAX_WRONG_SECRETS = 5;
/** The longest redirect_url accepted (the sealed form in the link is about 4/3 of it plus 40). */
export const MAX_REDIRECT_LENGTH = 2048;

const REDIRECT_PURPOSE = 'password-reset-redirect';
const TOKEN_HASH_PURPOSE = 'password-reset-token';
/** `<publicId>.<secret>`: 12 random bytes of id and 32 (256 bits) of secret, both base64url. */
const TOKEN_SHAPE = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export interface NewToken {
  publicId: string;
  /** The secret goes into the mail only; the database keeps `secretHash`. */
  text: string;
  secretHash: string;
}

/** HMAC-SHA256 of the secret under a key derived from the tenant's security key, hex. */
export function hashSecret(securityKey: string, secret: string): string {
  return createHmac('sha256', deriveKey(securityKey, TOKEN_HASH_PURPOSE)).update(secret, 'utf8').digest('hex');
}

export function newToken(securityKey: string): NewToken {
  const publicId = randomBytes(12).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { publicId, text: `${publicId}.${secret}`, secretHash: hashSecret(securityKey, secret) };
}

/** A token's parts, or null when the text cannot be one (nothing to look up). */
export function parseToken(text: string | undefined): { publicId: string; secret: string } | null {
  const match = TOKEN_SHAPE.exec(text ?? '');
  return match ? { publicId: match[1], secret: match[2] } : null;
}

/** Constant-time: the hash of the offered secret against the stored one. */
export function secretMatches(securityKey: string, secret: string, storedHash: string): boolean {
  const offered = Buffer.from(hashSecret(securityKey, secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return offered.length === stored.length && timingSafeEqual(offered, stored);
}

function binding(tenantId: number, userId: number, tokenId: string): SealBinding {
  return { purpose: REDIRECT_PURPOSE, tenantId, userId, tokenId };
}

export function sealRedirect(tenant: TenantContext, userId: number, tokenId: string, redirectUrl: string): string {
  return seal(tenant.securityKey, binding(tenant.id, userId, tokenId), redirectUrl);
}

/** The redirect URL, or null when the sealed text was changed or belongs to another tenant, user or token. */
export function openRedirect(tenant: TenantContext, userId: number, tokenId: string, sealed: string): string | null {
  const url = open(tenant.securityKey, binding(tenant.id, userId, tokenId), sealed);
  // Checked again on the way out: a value we sealed was valid, but the check is cheap.
  return url !== null && isHttpUrl(url) ? url : null;
}

/** The reset page's address for this token: built from configuration, never from a request's Host. */
export function resetLink(baseUrl: string, token: string, sealedRedirect: string | null): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/api/v1/reset-password`);
  url.searchParams.set('token', token);
  if (sealedRedirect) url.searchParams.set('redirect', sealedRedirect);
  return url.href;
}

/**
 * A DNS name or an IP literal. The URL parser lets `;`, `,`, `'` and `*` through in a host: such
 * an origin could break out of the page's Content-Security-Policy (it names the origin), and no
 * real host has them.
 */
const PLAIN_HOST = /^(?:[a-z0-9_-]+\.)*[a-z0-9_-]+\.?$|^\[[0-9a-f:.]+\]$/i;

function isHttpUrl(text: string): URL | null {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && PLAIN_HOST.test(url.hostname) ? url : null;
  } catch {
    return null;
  }
}

/**
 * The redirect_url as it will be used (normalized by the URL parser), or a 400: not an absolute
 * http(s) URL (relative, `//host`, `javascript:`, credentials in it), or not on one of the
 * tenant's allowed origins when it names some.
 */
export function checkRedirectUrl(text: string, allowedOrigins: string[]): string {
  const url = text.length <= MAX_REDIRECT_LENGTH ? isHttpUrl(text) : null;
  if (!url) throw Errors.redirectUrlInvalid();
  if (allowedOrigins.length > 0 && !allowedOrigins.includes(url.origin)) throw Errors.redirectUrlNotAllowed({ origin: url.origin });
  return url.href;
}

/** The redirect with the flow's outcome appended (an existing `status` / `reason` is replaced). */
export function outcomeUrl(redirectUrl: string, outcome: 'success' | ResetFailure): string {
  const url = new URL(redirectUrl);
  url.searchParams.delete('reason');
  if (outcome === 'success') {
    url.searchParams.set('status', 'success');
  } else {
    url.searchParams.set('status', 'error');
    url.searchParams.set('reason', outcome);
  }
  return url.href;
}
