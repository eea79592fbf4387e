import { expect } from 'chai';
import {
  checkRedirectUrl, hashSecret, newToken, openRedirect, outcomeUrl, parseToken, resetLink, sealRedirect, secretMatches,
} from '../../../src/domain/accounts/password-reset-links.ts';
import type { TenantContext } from '../../../src/domain/identity/tenant.ts';

const tenant = (id: number, securityKey: string) => ({ id, securityKey }) as TenantContext;

describe('domain/accounts/password-reset-links', () => {
  describe('tokens', () => {
    it('makes <16-char id>.<43-char secret> (256 bits) and stores only a keyed hash of the secret', () => {
      const token = newToken('key-a');
      const parsed = parseToken(token.text)!;
      expect(parsed.publicId).to.equal(token.publicId).and.have.length(16);
      expect(parsed.secret).to.have.length(43);
      expect(Buffer.from(parsed.secret, 'base64url')).to.have.length(32);
      expect(token.secretHash).to.match(/^[0-9a-f]{64}$/).and.not.include(parsed.secret);
      expect(secretMatches('key-a', parsed.secret, token.secretHash)).to.equal(true);
      // Keyed: another tenant's key gives another hash.
      expect(hashSecret('key-b', parsed.secret)).to.not.equal(token.secretHash);
      expect(secretMatches('key-b', parsed.secret, token.secretHash)).to.equal(false);
      expect(secretMatches('key-a', `${parsed.secret.slice(0, -1)}A`, token.secretHash)).to.equal(parsed.secret.endsWith('A'));
    });

    it('parses nothing that is not exactly a token', () => {
      const { text } = newToken('k');
      for (const bad of [undefined, '', text.replace('.', ''), `${text}x`, `x${text}`, text.replace('.', ':'), `${text.slice(0, 17)}+${text.slice(18)}`]) {
        expect(parseToken(bad), String(bad)).to.equal(null);
      }
    });

    it('two tokens never share an id or a secret', () => {
      const a = newToken('k');
      const b = newToken('k');
      expect(a.publicId).to.not.equal(b.publicId);
      expect(a.text.split('.')[1]).to.not.equal(b.text.split('.')[1]);
    });
  });

  describe('checkRedirectUrl', () => {
    it('accepts absolute http(s) URLs and returns them normalized', () => {
      expect(checkRedirectUrl('https://App.Example.com/after?x=1', [])).to.equal('https://app.example.com/after?x=1');
      expect(checkRedirectUrl('http://127.0.0.1:8080/', [])).to.equal('http://127.0.0.1:8080/');
      expect(checkRedirectUrl('https://[::1]/x', [])).to.equal('https://[::1]/x');
    });

    for (const bad of ['/after', '//evil.example/', 'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', 'ftp://x.example/', 'https://u:p@x.example/', 'https://x.example;a/', "https://a'b.example/", `https://x.example/${'a'.repeat(2048)}`, '']) {
      it(`refuses ${JSON.stringify(bad.slice(0, 40))} with REDIRECT_URL_INVALID`, () => {
        expect(() => checkRedirectUrl(bad, [])).to.throw().with.property('code', 'REDIRECT_URL_INVALID');
      });
    }

    it('with allowed origins, accepts only those (scheme, host and port)', () => {
      const allowed = ['https://app.example.com', 'http://localhost:8080'];
      expect(checkRedirectUrl('https://app.example.com:443/x', allowed)).to.equal('https://app.example.com/x');
      expect(checkRedirectUrl('http://localhost:8080/', allowed)).to.equal('http://localhost:8080/');
      for (const other of ['http://app.example.com/x', 'https://app.example.com:8443/', 'https://evil.app.example.com/', 'http://localhost/']) {
        expect(() => checkRedirectUrl(other, allowed), other).to.throw().with.property('code', 'REDIRECT_URL_NOT_ALLOWED');
      }
    });
  });

  describe('outcomeUrl', () => {
    it('appends status (and reason), keeps the rest, replaces a status or reason already there', () => {
      expect(outcomeUrl('https://a.example/after?app=crm', 'success')).to.equal('https://a.example/after?app=crm&status=success');
      expect(outcomeUrl('https://a.example/after?status=x&reason=y&app=crm', 'expired')).to.equal('https://a.example/after?status=error&app=crm&reason=expired');
      expect(outcomeUrl('https://a.example/after#frag', 'too_many_attempts')).to.equal('https://a.example/after?status=error&reason=too_many_attempts#frag');
    });
  });

  describe('the link and its sealed redirect', () => {
    it('builds the link from the configured base (any trailing slash), never from elsewhere', () => {
      expect(resetLink('https://api.example.com/', 'id.secret', null)).to.equal('https://api.example.com/api/v1/reset-password?token=id.secret');
      expect(resetLink('https://x.example/base', 'id.secret', 'sealed')).to.equal('https://x.example/base/api/v1/reset-password?token=id.secret&redirect=sealed');
    });

    it('opens a redirect only for the tenant, user and token it was sealed for', () => {
      const a = tenant(1, 'key-a');
      const sealed = sealRedirect(a, 7, 'tok1', 'https://app.example.com/after');
      expect(openRedirect(a, 7, 'tok1', sealed)).to.equal('https://app.example.com/after');
      expect(openRedirect(a, 8, 'tok1', sealed)).to.equal(null);
      expect(openRedirect(a, 7, 'tok2', sealed)).to.equal(null);
      expect(openRedirect(tenant(2, 'key-a'), 7, 'tok1', sealed)).to.equal(null);
      expect(openRedirect(tenant(1, 'key-b'), 7, 'tok1', sealed)).to.equal(null);
    });
  });
});
