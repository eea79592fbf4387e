// The pure parts of verification: code and link secret draws, the keyed hash, the cooldown
// schedule, expiry per method, and the tenant settings parser with its defaults.
import { expect } from 'chai';
import { drawCode, drawLinkSecret, keyedHash, sameHash } from '../../../../src/domain/accounts/secrets.ts';
import { cooldownAfterSend, ttlSeconds } from '../../../../src/domain/accounts/challenges.ts';
import { parseVerificationSettings, VERIFICATION_DEFAULTS } from '../../../../src/domain/identity/tenant.ts';
import { parseRedirectUrl } from '../../../../src/domain/accounts/registration.ts';

describe('verification secrets', () => {
  it('draws codes of exactly the asked length, leading zeros kept, every digit used at each position', () => {
    for (const length of [6, 8, 10]) {
      const seen = Array.from({ length }, () => new Set<string>());
      for (let i = 0; i < 2000; i += 1) {
        const code = drawCode(length);
        expect(code).to.match(new RegExp(`^\\d{${length}}$`));
        [...code].forEach((digit, at) => seen[at].add(digit));
      }
      for (const digits of seen) expect(digits.size).to.equal(10);
    }
  });

  it('draws link secrets of 256 bits (43 base64url characters), never twice the same', () => {
    const secrets = new Set(Array.from({ length: 500 }, drawLinkSecret));
    expect(secrets.size).to.equal(500);
    for (const s of secrets) expect(Buffer.from(s, 'base64url')).to.have.length(32);
  });

  it('binds the keyed hash to the key, the challenge and the method', () => {
    const base = keyedHash('key-a', 1, 'mail_code', '123456');
    expect(sameHash(base, keyedHash('key-a', 1, 'mail_code', '123456'))).to.equal(true);
    expect(sameHash(base, keyedHash('key-b', 1, 'mail_code', '123456'))).to.equal(false);
    expect(sameHash(base, keyedHash('key-a', 2, 'mail_code', '123456'))).to.equal(false);
    expect(sameHash(base, keyedHash('key-a', 1, 'sms_code', '123456'))).to.equal(false);
    expect(base).to.not.include('123456');
  });
});

describe('verification settings', () => {
  it('fills defaults and drops values out of range', () => {
    expect(parseVerificationSettings('{}')).to.deep.equal(VERIFICATION_DEFAULTS);
    expect(parseVerificationSettings('not json')).to.deep.equal(VERIFICATION_DEFAULTS);
    const parsed = parseVerificationSettings(JSON.stringify({ codeLength: 4, smsCodeTtlSeconds: 120, retryCooldownSeconds: [10], retryLimit: 3 }));
    expect(parsed).to.deep.equal({ ...VERIFICATION_DEFAULTS, smsCodeTtlSeconds: 120, retryLimit: 3 });
  });

  it('spaces sends 60, 120, 300, 600, 600 … s by default and picks expiry per method', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => cooldownAfterSend(VERIFICATION_DEFAULTS, n))).to.deep.equal([60, 120, 300, 600, 600, 600]);
    expect(['sms_code', 'mail_code', 'mail_link'].map((m) => ttlSeconds(VERIFICATION_DEFAULTS, m as 'sms_code'))).to.deep.equal([600, 900, 3600]);
  });

  it('takes only absolute http(s) redirect URLs', () => {
    expect(parseRedirectUrl('https://app.example.com/x?y=1')?.toString()).to.equal('https://app.example.com/x?y=1');
    for (const bad of ['/relative', 'javascript:alert(1)', 'ftp://x.example', 'data:text/html,hi', 'https://', 'not a url']) expect(parseRedirectUrl(bad), bad).to.equal(null);
  });
});
