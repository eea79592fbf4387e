// The shell of the account pages (the verification link's and the password reset's): one small
// HTML document with no script, one inline style the Content-Security-Policy admits by its hash,
// and the headers of a page that carries a one-time token.
import { createHash } from 'node:crypto';
import { escapeHtml } from '../../lib/html.ts';

export interface PageStyle {
  css: string;
  /** The CSP source of exactly this stylesheet. */
  source: string;
}

export function pageStyle(css: string): PageStyle {
  return { css, source: `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'` };
}

/** No script, no resource but the page's style; forms post to this origin and to `formOrigins`. */
export function accountPageHeaders(style: PageStyle, formOrigins: string[] = []): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src ${style.source}`,
      `form-action ${["'self'", ...formOrigins].join(' ')}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    // The page carries a one-time token: no cache keeps it, no Referer sends it on.
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
}

/** `main`: the page's content, already HTML (escape what comes from data with escapeHtml). */
export function accountPageDocument(style: PageStyle, title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${style.css}</style>
</head>
<body>
<main>
${main}
</main>
</body>
</html>
`;
}
