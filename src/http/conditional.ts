// Conditional requests and the request's cache directives (RFC 9110 §13.1.2, §15.4.5), written
// here rather than taken from `fresh`: that package refuses every 304 to a request that says
// `Cache-Control: no-cache`, which fetch() adds to every request carrying If-None-Match.

/** Whether If-None-Match names the current tag: `*`, or any listed tag under weak comparison. */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const value = header.trim();
  if (value === '*') return true;
  const opaque = stripWeak(etag);
  for (const part of value.split(',')) {
    const tag = part.trim();
    if (tag && stripWeak(tag) === opaque) return true;
  }
  return false;
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

export type CacheDirective = 'none' | 'no-cache' | 'no-store';

/** no-store wins over no-cache; `max-age=0` and `Pragma: no-cache` (HTTP/1.0's form) ask for no-cache too. */
export function requestDirective(cacheControl: string | undefined, pragma: string | undefined, noCacheParam: string | undefined): CacheDirective {
  const directives = (cacheControl ?? '').toLowerCase().split(',').map((d) => d.trim().split('=')[0]);
  if (directives.includes('no-store')) return 'no-store';
  if (directives.includes('no-cache') || /(^|,)\s*max-age\s*=\s*0\s*(,|$)/i.test(cacheControl ?? '')) return 'no-cache';
  if (/(^|,)\s*no-cache\s*(,|$)/i.test(pragma ?? '')) return 'no-cache';
  if (noCacheParam === '1') return 'no-cache';
  return 'none';
}
