// The texts a challenge sends: one mail (link and/or code) and one SMS, built from the
// configured public base URL (never the request's Host).
import type { VerificationMethod } from './secrets.ts';
import { escapeHtml } from '../../lib/html.ts';

export interface SentSecrets {
  mail_link?: string;
  mail_code?: string;
  sms_code?: string;
}

/** The link page's URL for one challenge and link secret. */
export function verificationLink(publicBaseUrl: string, userId: number, challengeId: string, secret: string): string {
  const url = new URL('/api/v1/verify-account', publicBaseUrl.endsWith('/') ? publicBaseUrl : `${publicBaseUrl}/`);
  url.searchParams.set('user', String(userId));
  url.searchParams.set('challenge', challengeId);
  url.searchParams.set('secret', secret);
  return url.toString();
}

export function verificationMail(input: { tenantName: string; userName: string; link?: string; code?: string; minutes: Partial<Record<VerificationMethod, number>> }) {
  const lines = [`Hello ${input.userName},`, '', `please confirm your account at ${input.tenantName}.`, ''];
  const html = [`<p>Hello ${escapeHtml(input.userName)},</p>`, `<p>please confirm your account at ${escapeHtml(input.tenantName)}.</p>`];
  if (input.link) {
    lines.push(`Open this link and press the button on the page (valid ${input.minutes.mail_link} minutes):`, input.link, '');
    html.push(`<p><a href="${escapeHtml(input.link)}">Confirm my account</a> (valid ${input.minutes.mail_link} minutes)</p>`);
  }
  if (input.code) {
    lines.push(`Your verification code (valid ${input.minutes.mail_code} minutes): ${input.code}`, '');
    html.push(`<p>Your verification code (valid ${input.minutes.mail_code} minutes): <strong>${input.code}</strong></p>`);
  }
  lines.push('If you did not ask for this account, ignore this message.');
  html.push('<p>If you did not ask for this account, ignore this message.</p>');
  return { subject: `Confirm your account at ${input.tenantName}`, text: lines.join('\n'), html: html.join('\n') };
}

export function verificationSms(tenantName: string, code: string, minutes: number): string {
  return `${code} is your ${tenantName} verification code (valid ${minutes} min).`;
}
