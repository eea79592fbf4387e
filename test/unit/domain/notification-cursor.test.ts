// The feed's cursor codec (src/domain/notifications/cursor.ts): a round trip, and every way a
// cursor can be wrong answered with its own 400 code, never an exception of another kind.
import { expect } from 'chai';
import { decodeCursor, encodeCursor, type CursorBinding } from '../../../src/domain/notifications/cursor.ts';
import { AppError } from '../../../src/errors/define-error.ts';

const SECRET = 'tenant-secret-a';
const binding: CursorBinding = { callerId: 7, recipient: 'u:7', unreadOnly: false, after: null };
const position = { createdMs: 1_767_225_600_123, id: 42 };

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).status).to.equal(400);
    return (error as AppError).code;
  }
  throw new Error('expected a refusal');
}

describe('notification cursor codec', () => {
  it('round-trips a position under the same tenant and binding', () => {
    expect(decodeCursor(SECRET, binding, encodeCursor(SECRET, binding, position))).to.deep.equal(position);
  });

  it('is two base64url parts, payload and MAC', () => {
    expect(encodeCursor(SECRET, binding, position)).to.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses another tenant\'s, altered and malformed cursors with NOTIFICATION_CURSOR_INVALID', () => {
    const cursor = encodeCursor(SECRET, binding, position);
    const [payload, mac] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify([1, position.createdMs, 1, JSON.stringify([7, 'u:7', false, null])])).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${payload}.${mac.slice(2)}`, `${payload}.`, payload, '', '..', `${payload}.${mac}.x`, '%%%.%%%']) {
      expect(codeOf(() => decodeCursor(SECRET, binding, bad)), bad).to.equal('NOTIFICATION_CURSOR_INVALID');
    }
    expect(codeOf(() => decodeCursor('tenant-secret-b', binding, cursor))).to.equal('NOTIFICATION_CURSOR_INVALID');
  });

  it('refuses a cursor bound to another caller, feed or filter with NOTIFICATION_CURSOR_MISMATCH', () => {
    const cursor = encodeCursor(SECRET, binding, position);
    for (const other of [{ callerId: 8 }, { recipient: 'c:7' }, { unreadOnly: true }, { after: '2026-01-01T00:00:00Z' }]) {
      expect(codeOf(() => decodeCursor(SECRET, { ...binding, ...other }, cursor)), JSON.stringify(other)).to.equal('NOTIFICATION_CURSOR_MISMATCH');
    }
  });
});
