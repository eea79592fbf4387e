// If-None-Match under weak comparison (RFC 9110 §13.1.2) and the request's cache directives.
import { expect } from 'chai';
import { ifNoneMatchMatches, requestDirective } from '../../../src/http/conditional.ts';

describe('ifNoneMatchMatches', () => {
  const tag = '"0123456789abcdef0123456789abcdef"';
  const cases: [string, string | undefined, boolean][] = [
    ['no header', undefined, false],
    ['the same strong tag', tag, true],
    ['the weak form of the tag (weak comparison)', `W/${tag}`, true],
    ['a list holding the tag', `"other", ${tag}`, true],
    ['a list without spaces', `"other",${tag}`, true],
    ['a list with tabs and spaces', ` \t"other" ,\t W/${tag} `, true],
    ['a list without the tag', '"other", W/"else"', false],
    ['*', '*', true],
    ['* with whitespace', '  *  ', true],
    ['the tag without quotes', tag.slice(1, -1), false],
    ['an empty header', '', false],
    ['only commas', ' , ,', false],
  ];
  for (const [name, header, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'}: ${name}`, () => {
      expect(ifNoneMatchMatches(header, tag)).to.equal(expected);
    });
  }
});

describe('requestDirective', () => {
  const cases: [string, string | undefined, string | undefined, string | undefined, string][] = [
    ['nothing', undefined, undefined, undefined, 'none'],
    ['Cache-Control: no-cache', 'no-cache', undefined, undefined, 'no-cache'],
    ['Cache-Control: No-Cache, max-age=5 (case and lists)', 'No-Cache, max-age=5', undefined, undefined, 'no-cache'],
    ['Cache-Control: max-age=0', 'max-age=0', undefined, undefined, 'no-cache'],
    ['Cache-Control: max-age=60', 'max-age=60', undefined, undefined, 'none'],
    ['Pragma: no-cache', undefined, 'no-cache', undefined, 'no-cache'],
    ['fetch with If-None-Match (both headers)', 'no-cache', 'no-cache', undefined, 'no-cache'],
    ['_noCache=1', undefined, undefined, '1', 'no-cache'],
    ['_noCache=0', undefined, undefined, '0', 'none'],
    ['Cache-Control: no-store', 'no-store', undefined, undefined, 'no-store'],
    ['no-store wins over no-cache', 'no-cache, no-store', 'no-cache', '1', 'no-store'],
  ];
  for (const [name, cacheControl, pragma, param, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      expect(requestDirective(cacheControl, pragma, param)).to.equal(expected);
    });
  }
});
