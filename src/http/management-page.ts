// The Application Management page (management-page.html, read once at boot) and the headers it
// is served with: a Content-Security-Policy that admits only its own inline style and script.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const html = readFileSync(new URL('./management-page.html', import.meta.url), 'utf8');

/** The CSP hash source of each inline block: the exact text between the tags, as browsers hash it. */
function inlineHashes(tag: 'style' | 'script'): string {
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);
  if (blocks.length === 0) throw new Error(`management-page.html has no <${tag}> block`);
  return blocks.map((text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`).join(' ');
}

// The page talks only to this origin's API; no other resource, frame, form target or base is
// allowed, so an injected tag (type names are user data) could neither run nor send anything.
const contentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${inlineHashes('script')}`,
  `style-src ${inlineHashes('style')}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const managementPage = {
  html,
  headers: {
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    // The page is static but changes with each release: revalidate rather than keep a stale copy.
    'Cache-Control': 'no-cache',
  },
} as const;
