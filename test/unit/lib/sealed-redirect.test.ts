import { expect } from 'chai';
import { open, seal, type SealBinding } from '../../../src/lib/sealed-redirect.ts';

const KEY = 'tenant-security-key-a';
const BINDING: SealBinding = { purpose: 'password-reset-redirect', tenantId: 1, userId: 7, tokenId: 'abc123' };
const URL_TEXT = 'https://app.example.com/after-reset?x=1';

describe('lib/sealed-redirect', () => {
  it('opens what it sealed, with the same key and binding', () => {
    expect(open(KEY, BINDING, seal(KEY, BINDING, URL_TEXT))).to.equal(URL_TEXT);
  });

  it('gives a different sealed text each time (fresh nonce), each opening to the same value', () => {
    const a = seal(KEY, BINDING, URL_TEXT);
    const b = seal(KEY, BINDING, URL_TEXT);
    expect(a).to.not.equal(b);
    expect(open(KEY, BINDING, b)).to.equal(URL_TEXT);
  });

  it('does not carry the plaintext readable', () => {
    const sealed = Buffer.from(seal(KEY, BINDING, URL_TEXT), 'base64url').toString('latin1');
    expect(sealed).to.not.include('app.example.com');
  });

  it('refuses every single flipped bit', () => {
    const bytes = Buffer.from(seal(KEY, BINDING, URL_TEXT), 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] ^= 0x01;
      expect(open(KEY, BINDING, changed.toString('base64url')), `byte ${i}`).to.equal(null);
    }
  });

  it('refuses another tenant key, and another tenant, user, token or purpose in the binding', () => {
    const sealed = seal(KEY, BINDING, URL_TEXT);
    expect(open('tenant-security-key-b', BINDING, sealed)).to.equal(null);
    expect(open(KEY, { ...BINDING, tenantId: 2 }, sealed)).to.equal(null);
    expect(open(KEY, { ...BINDING, userId: 8 }, sealed)).to.equal(null);
    expect(open(KEY, { ...BINDING, tokenId: 'abc124' }, sealed)).to.equal(null);
    expect(open(KEY, { ...BINDING, purpose: 'other' }, sealed)).to.equal(null);
  });

  it('refuses truncated, empty, oversized and non-base64url text without throwing', () => {
    const sealed = seal(KEY, BINDING, URL_TEXT);
    for (const bad of ['', 'AQ', sealed.slice(0, 20), sealed.slice(0, -1), `${sealed}A`, 'a+b/c=', 'A'.repeat(5000), '%00']) {
      expect(open(KEY, BINDING, bad), JSON.stringify(bad.slice(0, 30))).to.equal(null);
    }
  });
});
