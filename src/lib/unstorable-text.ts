// Text neither database can hold: NUL (PostgreSQL text refuses it) and lone UTF-16 surrogates
// (`"\ud800"` in JSON: no UTF-8 encoding exists, so Prisma's query protocol and PostgreSQL
// refuse it and SQLite would store bytes no reader can decode). Found once, at the boundary.

/** NUL, or a surrogate that is not half of a pair (the `u` flag reads a pair as one code point). */
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

export interface Unstorable {
  /** Where: `body.name`, `query.filters`, `body.properties.0.default`. */
  path: string;
  what: 'a NUL character' | 'an unpaired UTF-16 surrogate';
}

function check(text: string, path: string): Unstorable | null {
  const match = UNSTORABLE.exec(text);
  if (!match) return null;
  return { path, what: match[0] === '\u0000' ? 'a NUL character' : 'an unpaired UTF-16 surrogate' };
}

/**
 * The first unstorable character in a string, or in any key or string of a parsed JSON or
 * form value. Iterative, so no nesting depth (bounded only by the body size) can skip a check
 * or overflow the stack.
 */
export function findUnstorable(value: unknown, path: string): Unstorable | null {
  const pending: [unknown, string][] = [[value, path]];
  while (pending.length) {
    const [current, where] = pending.pop()!;
    if (typeof current === 'string') {
      const found = check(current, where);
      if (found) return found;
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        const found = check(key, where);
        if (found) return found;
        pending.push([item, `${where}.${key}`]);
      }
    }
  }
  return null;
}
