import { expect } from 'chai';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.ts';
import { aUser } from '../helpers/principals.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('API keys', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  describe('POST /auth', () => {
    it('creates a key from JSON credentials with the seed shape and default validity 9999-12-31', async () => {
      const res = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
      expect(res.status).to.equal(200);
      const token = res.body.authToken;
      expect(token).to.include.keys('id', 'userId', 'keyString', 'validFrom', 'validTo', 'description', 'permissions');
      expect(token.validTo).to.equal('9999-12-31 00:00:00');
      expect(token.validFrom).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(token.description).to.equal('Login via API');
      expect(token.permissions).to.deep.equal([]);
      expect(token.keyString).to.match(/^[0-9a-f]{16}:[\w-]{43}$/);
    });

    it('reads normal POST fields (form-encoded), valid and description', async () => {
      const res = await server.request('POST', '/api/v1/auth', {
        form: { user: ADMIN.email, password: ADMIN.password, valid: '2099-12-31', description: 'CRM connector' },
      });
      expect(res.status).to.equal(200);
      expect(res.body.authToken.validTo).to.equal('2099-12-31 00:00:00');
      expect(res.body.authToken.description).to.equal('CRM connector');
    });

    it('treats the login case-insensitively', async () => {
      const res = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email.toUpperCase(), password: ADMIN.password } });
      expect(res.status).to.equal(200);
    });

    describe('when the credentials are wrong', () => {
      it('answers 401 INVALID_CREDENTIALS for a wrong password', async () => {
        const res = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: 'wrong-password' } });
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('INVALID_CREDENTIALS');
      });

      it('answers 401 INVALID_CREDENTIALS for an unknown user, with the same message', async () => {
        const wrong = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: 'wrong-password' } });
        const unknown = await server.request('POST', '/api/v1/auth', { body: { user: 'nobody@example.com', password: 'whatever' } });
        expect(unknown.status).to.equal(401);
        expect(unknown.body.message).to.equal(wrong.body.message);
      });

      it('answers 401 when the password is missing and no privileged key is sent', async () => {
        const res = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email } });
        expect(res.status).to.equal(401);
      });

      it('answers 400 VALIDATION_FAILED when user is missing', async () => {
        const res = await server.request('POST', '/api/v1/auth', { body: { password: 'x' } });
        expect(res.status).to.equal(400);
        expect(res.body.details[0].path).to.equal('body.user');
      });
    });

    describe('when valid is unusable', () => {
      it('answers 400 naming body.valid for a non-date', async () => {
        const res = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password, valid: 'next tuesday' } });
        expect(res.status).to.equal(400);
        expect(res.body.details).to.deep.equal([{ path: 'body.valid', message: 'must be a date or date-time (ISO 8601)' }]);
      });

      it('answers 400 for a date in the past', async () => {
        const res = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password, valid: '2001-01-01' } });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
      });
    });

    describe('when the user may not get a key', () => {
      it('answers 403 PERMISSION_DENIED without useApi', async () => {
        const user = await aUser(server, ['profile']);
        const res = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password } });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('PERMISSION_DENIED');
      });

      it('answers 403 USER_INACTIVE for an unverified or deactivated account', async () => {
        for (const state of [{ verified: false }, { active: false }]) {
          const user = await aUser(server, ['profile'], { user: state });
          await server.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { key: server.adminKey, body: { permissions: ['useApi'] } });
          const res = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password } });
          expect(res.status, JSON.stringify(state)).to.equal(403);
          expect(res.body.code).to.equal('USER_INACTIVE');
        }
      });
    });

    describe('with generateOthersApiKeys', () => {
      it('creates a key for another user without their password', async () => {
        // A minted key carries no more than the caller holds (issue 7): the caller holds profile too.
        const operator = await aUser(server, ['useApi', 'generateOthersApiKeys', 'profile']);
        const target = await aUser(server, ['useApi', 'profile']);
        const res = await server.request('POST', '/api/v1/auth', { key: operator.key, body: { user: target.login, description: 'for the CRM' } });
        expect(res.status).to.equal(200);
        expect(res.body.authToken.userId).to.equal(target.id);
        const me = await server.request('GET', '/api/v1/app/user.current', { key: res.body.authToken.keyString });
        expect(me.body.login).to.equal(target.login);
      });

      it('answers 401 for a caller without it', async () => {
        const caller = await aUser(server, ['useApi', 'profile']);
        const target = await aUser(server, ['useApi']);
        const res = await server.request('POST', '/api/v1/auth', { key: caller.key, body: { user: target.login } });
        expect(res.status).to.equal(401);
      });

      it('answers 404 for an unknown target user', async () => {
        const operator = await aUser(server, ['useApi', 'generateOthersApiKeys']);
        const res = await server.request('POST', '/api/v1/auth', { key: operator.key, body: { user: 'ghost@example.com' } });
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      });
    });
  });

  describe('the key header forms', () => {
    for (const [name, header] of [
      ['key', (k: string) => ({ key: k })],
      ['x-api-key', (k: string) => ({ 'x-api-key': k })],
      ['Authorization: Bearer', (k: string) => ({ authorization: `Bearer ${k}` })],
    ] as const) {
      it(`accepts the key in ${name}`, async () => {
        const res = await server.request('GET', '/api/v1/app/user.current', { headers: header(server.adminKey) });
        expect(res.status).to.equal(200);
        expect(res.body.login).to.equal(ADMIN.email);
      });
    }

    it('answers 403 API_KEY_MISSING without a key', async () => {
      const res = await server.request('GET', '/api/v1/app/user.current');
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('API_KEY_MISSING');
    });

    it('answers 403 API_KEY_INVALID for a malformed, unknown or tampered key', async () => {
      const [publicId] = server.adminKey.split(':');
      for (const key of ['garbage', `${publicId}:not-the-secret`, `0000000000000000:${server.adminKey.split(':')[1]}`, `${server.adminKey}x`]) {
        const res = await server.request('GET', '/api/v1/app/user.current', { key });
        expect(res.status, key).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      }
    });
  });

  describe('GET /auth', () => {
    it('answers valid with validTo for a good key', async () => {
      const res = await server.request('GET', '/api/v1/auth', { key: server.adminKey });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'valid', validTo: '9999-12-31 00:00:00' });
    });

    it('answers invalid with an empty validTo for a missing or bad key', async () => {
      for (const key of [undefined, 'nope:nope']) {
        const res = await server.request('GET', '/api/v1/auth', { key });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ status: 'invalid', validTo: '' });
      }
    });

    it("shows validTo in the key owner's timezone", async () => {
      const user = await aUser(server, ['useApi'], { user: { timezone: 'Europe/Prague' } });
      const created = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password, valid: '2030-07-01T12:00:00Z' } });
      const res = await server.request('GET', '/api/v1/auth', { key: created.body.authToken.keyString });
      expect(res.body).to.deep.equal({ status: 'valid', validTo: '2030-07-01 14:00:00' });
    });
  });

  describe('key expiry', () => {
    it('rejects a key after its validTo with 403 API_KEY_EXPIRED', async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      const validTo = new Date(Date.now() + 1500).toISOString();
      const created = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password, valid: validTo } });
      const key = created.body.authToken.keyString;
      expect((await server.request('GET', '/api/v1/app/user.current', { key })).status).to.equal(200);
      await sleep(1600);
      const res = await server.request('GET', '/api/v1/app/user.current', { key });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('API_KEY_EXPIRED');
      expect((await server.request('GET', '/api/v1/auth', { key })).body.status).to.equal('invalid');
    });
  });

  describe('POST /deauth', () => {
    it('revokes the key: the very next request with it answers 403', async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      expect((await server.request('GET', '/api/v1/app/user.current', { key: user.key })).status).to.equal(200);
      const res = await server.request('POST', '/api/v1/deauth', { body: { key: user.key } });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ message: 'API key deleted.' });
      const after = await server.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(after.status).to.equal(403);
      expect(after.body.code).to.equal('API_KEY_INVALID');
    });

    it('reads the key from a form field too', async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      const res = await server.request('POST', '/api/v1/deauth', { form: { key: user.key } });
      expect(res.status).to.equal(200);
    });

    it('answers 403 API_KEY_INVALID for an unknown or already revoked key', async () => {
      const user = await aUser(server, ['useApi']);
      await server.request('POST', '/api/v1/deauth', { body: { key: user.key } });
      for (const key of [user.key, 'abc:def']) {
        const res = await server.request('POST', '/api/v1/deauth', { body: { key } });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      }
    });

    it('leaves the owner’s other keys working', async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      const second = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password } });
      await server.request('POST', '/api/v1/deauth', { body: { key: user.key } });
      const res = await server.request('GET', '/api/v1/app/user.current', { key: second.body.authToken.keyString });
      expect(res.status).to.equal(200);
    });
  });

  describe('permissions on every call', () => {
    it('answers 403 PERMISSION_DENIED on user.current without profile, while backend.version works', async () => {
      const user = await aUser(server, ['useApi']);
      const denied = await server.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(denied.status).to.equal(403);
      expect(denied.body).to.include({ code: 'PERMISSION_DENIED', message: 'Missing permission "profile"' });
      const version = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
      expect(version.status).to.equal(200);
      expect(version.body).to.have.all.keys('id', 'code', 'notes', 'release_time');
    });

    it('answers 403 PERMISSION_DENIED useApi on the next request once useApi is removed from the role', async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
      await server.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { key: server.adminKey, body: { permissions: ['profile'] } });
      const res = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
      expect(res.status).to.equal(403);
      expect(res.body.message).to.equal('Missing permission "useApi"');
    });

    it('answers 403 USER_OUTSIDE_VALIDITY when the user validity window has ended', async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { key: server.adminKey, body: { validTo: '2020-01-01T00:00:00Z' } });
      const res = await server.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('USER_OUTSIDE_VALIDITY');
    });

    it('answers 403 USER_INACTIVE once the user is deactivated', async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { key: server.adminKey, body: { active: false } });
      const res = await server.request('GET', '/api/v1/app/user.current', { key: user.key });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('USER_INACTIVE');
    });
  });
});

describe('rate limits on POST /auth', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AUTH_RATE_LIMIT_PER_IP: '3', AUTH_RATE_LIMIT_PER_LOGIN: '100' });
  });
  after(() => server.stop());

  it('answers 429 RATE_LIMITED with Retry-After past the per-IP budget', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: 'wrong-password' } });
      statuses.push(last.status);
    }
    expect(statuses).to.deep.equal([401, 401, 401, 429]);
    expect(last!.body.code).to.equal('RATE_LIMITED');
    expect(Number(last!.headers['retry-after'])).to.be.within(1, 60);
  });
});

describe('rate limits per login and per key', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_LOGIN: '2', KEY_RATE_LIMIT_PER_MINUTE: '5' });
  });
  after(() => server.stop());

  it('answers 429 past the per-login budget, whatever the password', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await server.request('POST', '/api/v1/auth', { body: { user: 'victim@example.com', password: `guess-${i}` } })).status);
    }
    expect(statuses).to.deep.equal([401, 401, 429]);
    const other = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
    expect(other.status).to.equal(200);
  });

  it('answers 429 past the per-key budget, for that key only', async () => {
    const key = server.adminKey;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await server.request('GET', '/api/v1/app/backend.version', { key })).status);
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 429]);
    const fresh = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
    const res = await server.request('GET', '/api/v1/app/backend.version', { key: fresh.body.authToken.keyString });
    expect(res.status).to.equal(200);
  });
});
