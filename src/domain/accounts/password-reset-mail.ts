// The password-reset mail: plain text and HTML with the same link. The link is the only secret
// in it; it goes to the outbox and the recipient, never to a log line.
import { escapeHtml } from '../../lib/html.ts';

export interface ResetMailInput {
  tenantName: string;
  login: string;
  name: string;
  link: string;
  ttlSeconds: number;
}

/** "30 minutes", "1 hour", "90 seconds": the validity as a person reads it. */
export function describeDuration(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute');
  return unit(seconds, 'second');
}

export function resetMail(input: ResetMailInput): { subject: string; text: string; html: string } {
  const valid = describeDuration(input.ttlSeconds);
  const subject = `Reset your ${input.tenantName} password`;
  const text = [
    `Hello ${input.name},`,
    '',
    `someone asked to reset the password of ${input.login} at ${input.tenantName}.`,
    `To choose a new password, open this link within ${valid}:`,
    '',
    input.link,
    '',
    'The link works once. If you did not ask for this, ignore this mail: your password stays as it is.',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;font-size:16px;line-height:1.5">',
    `<p>Hello ${escapeHtml(input.name)},</p>`,
    `<p>someone asked to reset the password of <b>${escapeHtml(input.login)}</b> at ${escapeHtml(input.tenantName)}.`,
    ` To choose a new password, open this link within ${valid}:</p>`,
    `<p><a href="${escapeHtml(input.link)}">Choose a new password</a></p>`,
    '<p>The link works once. If you did not ask for this, ignore this mail: your password stays as it is.</p>',
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
