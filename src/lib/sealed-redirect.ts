// Sealing a small value (a password-reset redirect URL) so it can travel in a link: AES-256-GCM
// under a key derived with HKDF-SHA256 from the tenant's security key, with associated data that
// binds it to what it was issued for (tenant, user, token). A changed byte, another tenant's key
// or another binding makes `open` return null: the caller treats the value as absent and invalid.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Format byte first: a later format (another cipher) can be told apart from this one. */
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** A sealed value longer than this (base64url characters) is refused before any work. */
export const MAX_SEALED_LENGTH = 4096;

/** What a sealed value is bound to: each part is authenticated, none is carried in the value. */
export interface SealBinding {
  purpose: string;
  tenantId: number;
  userId: number;
  tokenId: string;
}

/** One 256-bit key per tenant and purpose; the security key itself never encrypts anything. */
export function deriveKey(securityKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(securityKey, 'utf8'), Buffer.from('jetstack-sealed-v1', 'utf8'), Buffer.from(purpose, 'utf8'), 32));
}

function associatedData(binding: SealBinding): Buffer {
  // JSON of fixed field order: no two bindings give the same bytes (a `|` join could be confused
  // by a token id containing `|`).
  return Buffer.from(JSON.stringify([VERSION, binding.purpose, binding.tenantId, binding.userId, binding.tokenId]), 'utf8');
}

/** `base64url(version ‖ nonce ‖ ciphertext ‖ tag)`; a fresh random nonce per value. */
export function seal(securityKey: string, binding: SealBinding, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(securityKey, binding.purpose), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(binding));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]).toString('base64url');
}

/** The plaintext, or null when the value was changed, is not ours, or is bound to something else. */
export function open(securityKey: string, binding: SealBinding, sealed: string): string | null {
  if (sealed.length > MAX_SEALED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES || bytes[0] !== VERSION) return null;
  const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const body = bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(securityKey, binding.purpose), nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(binding));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    // GCM's tag check failed: tampered, truncated, another key or another binding.
    return null;
  }
}
