// The key a client address is rate-limited under (src/rate-limit/client-address.ts).
import { expect } from 'chai';
import fc from 'fast-check';
import { addressKey } from '../../../src/rate-limit/client-address.ts';

describe('addressKey', () => {
  it('keeps an IPv4 address and unwraps an IPv4-mapped IPv6 one', () => {
    expect(addressKey('203.0.113.9')).to.equal('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).to.equal('203.0.113.9');
    expect(addressKey('::ffff:cb00:7109')).to.equal('203.0.113.9');
  });

  it('counts an IPv6 address by its /64, whatever its spelling', () => {
    expect(addressKey('2001:db8:1:2::1')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002:ffff:0:0:9')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
    expect(addressKey('2001:db8:1:3::1')).to.not.equal(addressKey('2001:db8:1:2::1'));
  });

  it('gives two IPv6 addresses the same key exactly when their first 64 bits agree', () => {
    const hextet = fc.integer({ min: 0, max: 0xffff });
    const address = fc.array(hextet, { minLength: 8, maxLength: 8 });
    const spell = (h: number[]) => h.map((x) => x.toString(16)).join(':');
    fc.assert(
      fc.property(address, address, (a, b) => {
        // Not IPv4-mapped (those are keyed as IPv4).
        fc.pre(!(a.slice(0, 5).every((x) => x === 0) && a[5] === 0xffff));
        fc.pre(!(b.slice(0, 5).every((x) => x === 0) && b[5] === 0xffff));
        const samePrefix = a.slice(0, 4).every((x, i) => x === b[i]);
        expect(addressKey(spell(a)) === addressKey(spell(b))).to.equal(samePrefix);
        expect(addressKey(spell([...a.slice(0, 4), ...b.slice(4)]))).to.equal(addressKey(spell(a)));
      }),
    );
  });

  it('passes through (bounded) what is not an address', () => {
    expect(addressKey('unknown')).to.equal('unknown');
    expect(addressKey('x'.repeat(100))).to.have.length(64);
  });
});
