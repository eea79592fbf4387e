// The feed's opaque cursors: a keyset position (created, id) signed with HMAC-SHA256 under a key
// derived from the tenant's secret, and bound to the caller and the filters of the page it
// came from. A position, not a row: the cursor stays valid when its anchor is archived, read,
// expired or purged, and ties on `created` are broken by `id`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Errors } from '../../errors/registry.ts';

export interface KeysetPosition {
  createdMs: number;
  id: number;
}

/** What a cursor is only valid with: the same tenant (the key), caller, feed and filters. */
export interface CursorBinding {
  callerId: number;
  recipient: string;
  unreadOnly: boolean;
  after: string | null;
}

const VERSION = 1;

function macKey(tenantSecret: string): Buffer {
  return createHmac('sha256', tenantSecret).update('notification-cursor/v1').digest();
}

function bindingText(binding: CursorBinding): string {
  return JSON.stringify([binding.callerId, binding.recipient, binding.unreadOnly, binding.after]);
}

function sign(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, 16);
}

export function encodeCursor(tenantSecret: string, binding: CursorBinding, position: KeysetPosition): string {
  const payload = Buffer.from(JSON.stringify([VERSION, position.createdMs, position.id, bindingText(binding)])).toString('base64url');
  return `${payload}.${sign(macKey(tenantSecret), payload).toString('base64url')}`;
}

/** NOTIFICATION_CURSOR_INVALID when malformed or not signed by this tenant; _MISMATCH when bound elsewhere. */
export function decodeCursor(tenantSecret: string, binding: CursorBinding, cursor: string): KeysetPosition {
  const [payload, mac, extra] = cursor.split('.');
  if (!payload || !mac || extra !== undefined) throw Errors.notificationCursorInvalid();
  const expected = sign(macKey(tenantSecret), payload);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw Errors.notificationCursorInvalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw Errors.notificationCursorInvalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== VERSION) throw Errors.notificationCursorInvalid();
  const [, createdMs, id, bound] = parsed as [number, unknown, unknown, unknown];
  if (!Number.isSafeInteger(createdMs) || !Number.isSafeInteger(id) || typeof bound !== 'string') throw Errors.notificationCursorInvalid();
  if (bound !== bindingText(binding)) throw Errors.notificationCursorMismatch();
  return { createdMs: createdMs as number, id: id as number };
}
