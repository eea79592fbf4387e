// The key a client address is counted under: an IPv4 address as is, an IPv6 address by its /64
// (one subscriber's allocation: rotating the low 64 bits must not buy a fresh budget).
import { isIPv4, isIPv6 } from 'node:net';

/** Expands `a::b` to its eight hextets; null for what is not an IPv6 address. */
function hextets(address: string): number[] | null {
  if (!isIPv6(address)) return null;
  let text = address.replace(/%.*$/, '');
  // A trailing dotted quad (::ffff:1.2.3.4) is two hextets.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = text.slice(0, quad.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === null ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => parseInt(h, 16));
}

export function addressKey(address: string): string {
  if (isIPv4(address)) return address;
  const parts = hextets(address);
  if (!parts) return address.slice(0, 64);
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 client it is.
  if (parts.slice(0, 5).every((h) => h === 0) && parts[5] === 0xffff) {
    return [parts[6] >> 8, parts[6] & 255, parts[7] >> 8, parts[7] & 255].join('.');
  }
  return `${parts.slice(0, 4).map((h) => h.toString(16)).join(':')}::/64`;
}
