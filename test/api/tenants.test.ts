import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { startTestServer, ADMIN, type TestServer } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { aRole, aUser } from '../helpers/principals.ts';
import { aKey, aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';

describe('tenancy', () => {
  let server: TestServer;
  let b: TestTenant;
  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    b = await aTenant(server, { host: 'b.example.test' });
  });
  after(() => server.stop());

  describe('POST /admin/tenants', () => {
    it('answers 201 with the tenant, its hosts and default settings', async () => {
      const res = await server.request('POST', '/api/v1/admin/tenants', {
        key: server.adminKey,
        body: { slug: 'fresh-one', name: 'Fresh one', hosts: ['fresh.example.test'], settings: { apiMaxPageLength: 50 } },
      });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ slug: 'fresh-one', name: 'Fresh one', isRoot: false });
      expect(res.body.hosts).to.deep.equal(['fresh.example.test']);
      expect(res.body.settings).to.include({ apiMaxPageLength: 50, defaultTimeZone: 'UTC' });
      expect(res.body.createdOn).to.match(/(Z|[+-]\d{2}:\d{2})$/);
    });

    it("gives the tenant's admin a key through POST /auth on the tenant's host", async () => {
      const res = await server.request('POST', '/api/v1/auth', { host: b.host, body: { user: b.admin.login, password: b.admin.password } });
      expect(res.status).to.equal(200);
      expect(res.body.authToken.userId).to.equal(b.admin.id);
      const me = await server.request('GET', '/api/v1/app/user.current', { host: b.host, key: res.body.authToken.keyString });
      expect(me.status).to.equal(200);
      expect(me.body.login).to.equal(b.admin.login);
      expect(me.body.permissions).to.include('appManagement').and.not.include('manageTenants');
    });

    describe('when the tenant admin signs in on the root host', () => {
      it('answers 401 INVALID_CREDENTIALS', async () => {
        const res = await server.request('POST', '/api/v1/auth', { body: { user: b.admin.login, password: b.admin.password } });
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('INVALID_CREDENTIALS');
      });
    });

    describe('when a host is not lower case', () => {
      it('answers 400 VALIDATION_FAILED naming the host', async () => {
        const res = await server.request('POST', '/api/v1/admin/tenants', { key: server.adminKey, body: { slug: 'upper', name: 'Upper', hosts: ['Upper.Example.Test'] } });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
        expect(res.body.details.map((d: { path: string }) => d.path)).to.include('body.hosts.0');
      });
    });

    describe('when the slug is taken', () => {
      it('answers 409 CONFLICT', async () => {
        const res = await server.request('POST', '/api/v1/admin/tenants', { key: server.adminKey, body: { slug: b.slug, name: 'Again' } });
        expect(res.status).to.equal(409);
        expect(res.body.code).to.equal('CONFLICT');
      });
    });

    describe('when a host is already used by another tenant', () => {
      it('answers 409 CONFLICT and creates nothing', async () => {
        const res = await server.request('POST', '/api/v1/admin/tenants', {
          key: server.adminKey,
          body: { slug: 'steals-host', name: 'Steals host', hosts: [b.host] },
        });
        expect(res.status).to.equal(409);
        expect(res.body.code).to.equal('CONFLICT');
        const list = await server.request('GET', '/api/v1/admin/tenants', { key: server.adminKey });
        expect(list.body.data.map((t: { slug: string }) => t.slug)).to.not.include('steals-host');
      });
    });
  });

  describe('isolation between tenants', () => {
    describe("when B's key is sent to the root host", () => {
      it('answers 403 API_KEY_INVALID', async () => {
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: b.admin.key });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      });
    });

    describe("when the root key is sent to B's host", () => {
      it('answers 403 API_KEY_INVALID', async () => {
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: server.adminKey, host: b.host });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      });
    });

    describe("when a key is sent to GET /auth on the other tenant's host", () => {
      it("answers 200 with status invalid", async () => {
        const res = await server.request('GET', '/api/v1/auth', { key: b.admin.key });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ status: 'invalid', validTo: '' });
      });
    });

    describe("when B's admin lists users", () => {
      it("answers 200 with B's users only", async () => {
        const rootUser = await aUser(server, ['useApi']);
        const bUser = await aUser(server, ['useApi'], { key: b.admin.key, host: b.host });
        const res = await server.request('GET', '/api/v1/admin/users', { key: b.admin.key, host: b.host });
        expect(res.status).to.equal(200);
        const logins = res.body.data.map((u: { login: string }) => u.login);
        expect(logins).to.have.members([b.admin.login, bUser.login]);
        expect(logins).to.not.include(rootUser.login).and.not.include(ADMIN.email);
        const rootList = await server.request('GET', '/api/v1/admin/users', { key: server.adminKey });
        expect(rootList.body.data.map((u: { login: string }) => u.login)).to.include(rootUser.login).and.not.include(bUser.login);
      });
    });

    describe("when B's admin lists groups, roles and keys", () => {
      it("answers 200 with B's rows only", async () => {
        const rootRole = await aRole(server, ['useApi']);
        const rootGroup = await server.request('POST', '/api/v1/admin/groups', { key: server.adminKey, body: { name: `root-group-${randomBytes(3).toString('hex')}` } });
        const roles = await server.request('GET', '/api/v1/admin/roles', { key: b.admin.key, host: b.host });
        expect(roles.status).to.equal(200);
        expect(roles.body.data.map((r: { id: number }) => r.id)).to.not.include(rootRole.id);
        expect(roles.body.data.map((r: { name: string }) => r.name)).to.include('Operator');
        const groups = await server.request('GET', '/api/v1/admin/groups', { key: b.admin.key, host: b.host });
        expect(groups.status).to.equal(200);
        expect(groups.body.data.map((g: { id: number }) => g.id)).to.not.include(rootGroup.body.id);
        const keys = await server.request('GET', '/api/v1/admin/keys', { key: b.admin.key, host: b.host });
        expect(keys.status).to.equal(200);
        expect(keys.body.data.length).to.be.greaterThan(0);
        const bUserIds = (await server.request('GET', '/api/v1/admin/users', { key: b.admin.key, host: b.host })).body.data.map((u: { id: number }) => u.id);
        for (const key of keys.body.data) expect(bUserIds).to.include(key.userId);
      });
    });

    describe("when B's admin gets a root-tenant user by id", () => {
      it('answers 404 NOT_FOUND', async () => {
        const rootUser = await aUser(server, ['useApi']);
        const res = await server.request('GET', `/api/v1/admin/users/${rootUser.id}`, { key: b.admin.key, host: b.host });
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      });
    });

    describe("when the root admin gets B's user by id on the root host", () => {
      it('answers 404 NOT_FOUND', async () => {
        const bUser = await aUser(server, ['useApi'], { key: b.admin.key, host: b.host });
        const res = await server.request('GET', `/api/v1/admin/users/${bUser.id}`, { key: server.adminKey });
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      });
    });

    describe("when B's admin changes or deletes a root-tenant user, group or role", () => {
      it('answers 404 NOT_FOUND and leaves them untouched', async () => {
        const rootUser = await aUser(server, ['useApi']);
        const rootGroup = await server.request('POST', '/api/v1/admin/groups', { key: server.adminKey, body: { name: `g-${randomBytes(3).toString('hex')}` } });
        const opts = { key: b.admin.key, host: b.host };
        const attempts = [
          await server.request('PATCH', `/api/v1/admin/users/${rootUser.id}`, { ...opts, body: { active: false } }),
          await server.request('DELETE', `/api/v1/admin/users/${rootUser.id}`, opts),
          await server.request('PATCH', `/api/v1/admin/roles/${rootUser.roleId}`, { ...opts, body: { permissions: [] } }),
          await server.request('DELETE', `/api/v1/admin/roles/${rootUser.roleId}`, opts),
          await server.request('GET', `/api/v1/admin/groups/${rootGroup.body.id}`, opts),
          await server.request('PATCH', `/api/v1/admin/groups/${rootGroup.body.id}`, { ...opts, body: { name: 'taken-over' } }),
          await server.request('DELETE', `/api/v1/admin/groups/${rootGroup.body.id}`, opts),
        ];
        for (const res of attempts) {
          expect(res.status).to.equal(404);
          expect(res.body.code).to.equal('NOT_FOUND');
        }
        const still = await server.request('GET', '/api/v1/app/backend.version', { key: rootUser.key });
        expect(still.status).to.equal(200);
        const group = await server.request('GET', `/api/v1/admin/groups/${rootGroup.body.id}`, { key: server.adminKey });
        expect(group.body.name).to.equal(rootGroup.body.name);
      });
    });

    describe("when B's admin revokes a root-tenant key by id", () => {
      it('answers 404 NOT_FOUND and the key keeps working', async () => {
        const rootUser = await aUser(server, ['useApi']);
        const keys = await server.request('GET', `/api/v1/admin/keys?userId=${rootUser.id}`, { key: server.adminKey });
        const res = await server.request('DELETE', `/api/v1/admin/keys/${keys.body.data[0].id}`, { key: b.admin.key, host: b.host });
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
        const still = await server.request('GET', '/api/v1/app/backend.version', { key: rootUser.key });
        expect(still.status).to.equal(200);
      });
    });

    describe("when B's key is revoked through POST /deauth on the root host", () => {
      it('answers 403 API_KEY_INVALID and the key keeps working on B', async () => {
        const bUser = await aUser(server, ['useApi'], { key: b.admin.key, host: b.host });
        const res = await server.request('POST', '/api/v1/deauth', { body: { key: bUser.key } });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
        const still = await server.request('GET', '/api/v1/app/backend.version', { key: bUser.key, host: b.host });
        expect(still.status).to.equal(200);
      });
    });

    describe('when createUser names a role of the other tenant', () => {
      it('answers 400 VALIDATION_FAILED naming body.roles', async () => {
        const rootRole = await aRole(server, ['useApi']);
        const res = await server.request('POST', '/api/v1/admin/users', {
          key: b.admin.key,
          host: b.host,
          body: { login: 'cross-role@example.com', name: 'Cross', password: 'password-123', roles: [rootRole.id] },
        });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
        expect(res.body.details.map((d: { path: string }) => d.path)).to.include('body.roles');
      });
    });

    describe('when createUser names a group of the other tenant', () => {
      it('answers 400 VALIDATION_FAILED naming body.groups', async () => {
        const bGroup = await server.request('POST', '/api/v1/admin/groups', { key: b.admin.key, host: b.host, body: { name: 'b-only' } });
        expect(bGroup.status).to.equal(201);
        const res = await server.request('POST', '/api/v1/admin/users', {
          key: server.adminKey,
          body: { login: 'cross-group@example.com', name: 'Cross', password: 'password-123', groups: [bGroup.body.id] },
        });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
        expect(res.body.details.map((d: { path: string }) => d.path)).to.include('body.groups');
      });
    });

    describe('when a group or user update links ids of the other tenant', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        const rootUser = await aUser(server, ['useApi']);
        const bUser = await aUser(server, ['useApi'], { key: b.admin.key, host: b.host });
        const opts = { key: b.admin.key, host: b.host };
        const group = await server.request('POST', '/api/v1/admin/groups', { ...opts, body: { name: `members-${randomBytes(3).toString('hex')}` } });
        const attempts = [
          await server.request('POST', '/api/v1/admin/groups', { ...opts, body: { name: 'with-root-user', users: [rootUser.id] } }),
          await server.request('POST', '/api/v1/admin/groups', { ...opts, body: { name: 'with-root-role', roles: [rootUser.roleId] } }),
          await server.request('PATCH', `/api/v1/admin/groups/${group.body.id}`, { ...opts, body: { users: [rootUser.id] } }),
          await server.request('PATCH', `/api/v1/admin/users/${bUser.id}`, { ...opts, body: { roles: [rootUser.roleId] } }),
        ];
        for (const res of attempts) {
          expect(res.status).to.equal(400);
          expect(res.body.code).to.equal('VALIDATION_FAILED');
        }
      });
    });

    describe("when B's admin calls /admin/tenants", () => {
      it('answers 403 PERMISSION_DENIED on every tenant route', async () => {
        const opts = { key: b.admin.key, host: b.host };
        const attempts = [
          await server.request('GET', '/api/v1/admin/tenants', opts),
          await server.request('POST', '/api/v1/admin/tenants', { ...opts, body: { slug: 'from-b', name: 'From B' } }),
          await server.request('GET', `/api/v1/admin/tenants/${b.id}`, opts),
          await server.request('PATCH', `/api/v1/admin/tenants/${b.id}`, { ...opts, body: { name: 'renamed' } }),
          await server.request('DELETE', `/api/v1/admin/tenants/${b.id}`, opts),
        ];
        for (const res of attempts) {
          expect(res.status).to.equal(403);
          expect(res.body.code).to.equal('PERMISSION_DENIED');
          expect(res.body.message).to.include('manageTenants');
        }
      });
    });

    describe("when B's operator grants manageTenants in a role", () => {
      it('answers 400 VALIDATION_FAILED on create and on update', async () => {
        const opts = { key: b.admin.key, host: b.host };
        const created = await server.request('POST', '/api/v1/admin/roles', { ...opts, body: { name: 'tenant-lord', permissions: ['useApi', 'manageTenants'] } });
        expect(created.status).to.equal(400);
        expect(created.body.code).to.equal('VALIDATION_FAILED');
        expect(created.body.details.map((d: { path: string }) => d.path)).to.include('body.permissions');
        const role = await aRole(server, ['useApi'], opts);
        const updated = await server.request('PATCH', `/api/v1/admin/roles/${role.id}`, { ...opts, body: { permissions: ['useApi', 'manageTenants'] } });
        expect(updated.status).to.equal(400);
        expect(updated.body.code).to.equal('VALIDATION_FAILED');
        const roles = await server.request('GET', '/api/v1/admin/roles', opts);
        for (const r of roles.body.data) expect(r.permissions).to.not.include('manageTenants');
      });
    });
  });

  describe('the same login in two tenants', () => {
    it('exists independently, each password working only on its own host', async () => {
      const login = `shared-${randomBytes(3).toString('hex')}@example.com`;
      const rootPw = 'root-password-1';
      const bPw = 'b-tenant-password-2';
      const inRoot = await server.request('POST', '/api/v1/admin/users', { key: server.adminKey, body: { login, name: 'Root twin', password: rootPw, roles: [(await aRole(server, ['useApi', 'profile'])).id] } });
      expect(inRoot.status).to.equal(201);
      const bRole = await aRole(server, ['useApi', 'profile'], { key: b.admin.key, host: b.host });
      const inB = await server.request('POST', '/api/v1/admin/users', { key: b.admin.key, host: b.host, body: { login, name: 'B twin', password: bPw, roles: [bRole.id] } });
      expect(inB.status).to.equal(201);
      expect(inB.body.id).to.not.equal(inRoot.body.id);

      const rootKey = await aKey(server, login, rootPw);
      const bKey = await aKey(server, login, bPw, b.host);
      for (const [password, host] of [[bPw, undefined], [rootPw, b.host]] as const) {
        const wrong = await server.request('POST', '/api/v1/auth', { host, body: { user: login, password } });
        expect(wrong.status).to.equal(401);
        expect(wrong.body.code).to.equal('INVALID_CREDENTIALS');
      }
      const meRoot = await server.request('GET', '/api/v1/app/user.current', { key: rootKey });
      expect(meRoot.body).to.include({ id: inRoot.body.id, name: 'Root twin' });
      const meB = await server.request('GET', '/api/v1/app/user.current', { key: bKey, host: b.host });
      expect(meB.body).to.include({ id: inB.body.id, name: 'B twin' });
      const crossed = await server.request('GET', '/api/v1/app/user.current', { key: bKey });
      expect(crossed.status).to.equal(403);
      expect(crossed.body.code).to.equal('API_KEY_INVALID');
    });
  });

  describe('host matching', () => {
    describe('when a tenant host carries a port', () => {
      it("resolves 'c.example.test:8080' to that tenant", async () => {
        const c = await aTenant(server, { host: 'c.example.test:8080' });
        const res = await server.request('GET', '/api/v1/app/user.current', { key: c.admin.key, host: 'c.example.test:8080' });
        expect(res.status).to.equal(200);
        expect(res.body.login).to.equal(c.admin.login);
        const elsewhere = await server.request('GET', '/api/v1/app/user.current', { key: c.admin.key, host: 'c.example.test:9090' });
        expect(elsewhere.status).to.equal(403);
        expect(elsewhere.body.code).to.equal('API_KEY_INVALID');
      });
    });

    describe('when the Host header has another case or a port the tenant host lacks', () => {
      it("still resolves to the tenant of 'b.example.test'", async () => {
        for (const host of ['B.Example.Test', 'b.example.test:443']) {
          const res = await server.request('GET', '/api/v1/app/user.current', { key: b.admin.key, host });
          expect(res.status, host).to.equal(200);
          expect(res.body.login).to.equal(b.admin.login);
        }
      });
    });

    describe('when X-Forwarded-Host names another tenant and TRUST_PROXY is off', () => {
      it('ignores the header and resolves the tenant from Host', async () => {
        const res = await server.request('GET', '/api/v1/app/user.current', { key: b.admin.key, headers: { 'x-forwarded-host': b.host } });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
        const root = await server.request('GET', '/api/v1/app/user.current', { key: server.adminKey, headers: { 'x-forwarded-host': b.host } });
        expect(root.status).to.equal(200);
        expect(root.body.login).to.equal(ADMIN.email);
      });
    });

    describe('when the host is unknown', () => {
      it('answers as the root tenant', async () => {
        const res = await server.request('GET', '/api/v1/app/user.current', { key: server.adminKey, host: 'nobody.example.test' });
        expect(res.status).to.equal(200);
        expect(res.body.login).to.equal(ADMIN.email);
      });
    });
  });

  describe('GET and PATCH /admin/settings', () => {
    it("answers 200 with the calling tenant's own settings", async () => {
      const res = await server.request('GET', '/api/v1/admin/settings', { key: b.admin.key, host: b.host });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: b.id, slug: b.slug, isRoot: false });
      expect(res.body.hosts).to.deep.equal([b.host]);
      const root = await server.request('GET', '/api/v1/admin/settings', { key: server.adminKey });
      expect(root.status).to.equal(200);
      expect(root.body.isRoot).to.equal(true);
    });

    describe('when defaultTimeZone changes', () => {
      it('changes the display zone of users without their own, on the next request', async () => {
        const opts = { key: b.admin.key, host: b.host };
        const plain = await aUser(server, ['useApi', 'profile'], opts);
        const zoned = await aUser(server, ['useApi', 'profile'], { ...opts, user: { timezone: 'Asia/Tokyo' } });
        const before = await server.request('GET', '/api/v1/app/user.current', { key: plain.key, host: b.host });
        expect(before.body.timezone).to.equal('UTC');
        const patched = await server.request('PATCH', '/api/v1/admin/settings', { ...opts, body: { defaultTimeZone: 'Europe/Prague' } });
        expect(patched.status).to.equal(200);
        expect(patched.body.settings.defaultTimeZone).to.equal('Europe/Prague');
        const after = await server.request('GET', '/api/v1/app/user.current', { key: plain.key, host: b.host });
        expect(after.body.timezone).to.equal('Europe/Prague');
        const own = await server.request('GET', '/api/v1/app/user.current', { key: zoned.key, host: b.host });
        expect(own.body.timezone).to.equal('Asia/Tokyo');
        const rootMe = await server.request('GET', '/api/v1/app/user.current', { key: server.adminKey });
        expect(rootMe.body.timezone).to.equal('UTC');
      });
    });

    describe('when defaultTimeZone is not an IANA zone', () => {
      it('answers 400 VALIDATION_FAILED and keeps the old zone', async () => {
        const before = await server.request('GET', '/api/v1/admin/settings', { key: b.admin.key, host: b.host });
        const res = await server.request('PATCH', '/api/v1/admin/settings', { key: b.admin.key, host: b.host, body: { defaultTimeZone: 'Mars/Olympus_Mons' } });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
        expect(res.body.details.map((d: { path: string }) => d.path).join(' ')).to.include('defaultTimeZone');
        const after = await server.request('GET', '/api/v1/admin/settings', { key: b.admin.key, host: b.host });
        expect(after.body.settings.defaultTimeZone).to.equal(before.body.settings.defaultTimeZone);
      });
    });

    describe('when the body tries to change hosts', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        const res = await server.request('PATCH', '/api/v1/admin/settings', { key: b.admin.key, host: b.host, body: { hosts: ['evil.example.test'] } });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
      });
    });

    describe('when the registration envelope names roles or groups of another tenant', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        const rootRole = await aRole(server, ['useApi']);
        const res = await server.request('PATCH', '/api/v1/admin/settings', {
          key: b.admin.key,
          host: b.host,
          body: { registrationEnvelope: { allowedDomains: ['example.com'], allowedRoles: [rootRole.id], allowedGroups: [] } },
        });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
      });
    });
  });

  describe('PATCH /admin/tenants/{tenantId}', () => {
    it('answers 200 and the new hosts resolve on the next request, the old ones no more', async () => {
      const d = await aTenant(server, { host: 'd-old.example.test' });
      const res = await server.request('PATCH', `/api/v1/admin/tenants/${d.id}`, { key: server.adminKey, body: { hosts: ['d-new.example.test', 'd-two.example.test'] } });
      expect(res.status).to.equal(200);
      expect(res.body.hosts).to.deep.equal(['d-new.example.test', 'd-two.example.test']);
      for (const host of ['d-new.example.test', 'd-two.example.test']) {
        const me = await server.request('GET', '/api/v1/app/user.current', { key: d.admin.key, host });
        expect(me.status, host).to.equal(200);
        expect(me.body.login).to.equal(d.admin.login);
      }
      const old = await server.request('GET', '/api/v1/app/user.current', { key: d.admin.key, host: 'd-old.example.test' });
      expect(old.status).to.equal(403);
      expect(old.body.code).to.equal('API_KEY_INVALID');
    });

    describe('when a host belongs to another tenant', () => {
      it('answers 409 CONFLICT and keeps the hosts as they were', async () => {
        const e = await aTenant(server);
        const res = await server.request('PATCH', `/api/v1/admin/tenants/${e.id}`, { key: server.adminKey, body: { hosts: [e.host, b.host] } });
        expect(res.status).to.equal(409);
        expect(res.body.code).to.equal('CONFLICT');
        const still = await server.request('GET', `/api/v1/admin/tenants/${e.id}`, { key: server.adminKey });
        expect(still.body.hosts).to.deep.equal([e.host]);
        const bStill = await server.request('GET', '/api/v1/app/backend.version', { key: b.admin.key, host: b.host });
        expect(bStill.status).to.equal(200);
      });
    });

    describe('when the tenant does not exist', () => {
      it('answers 404 NOT_FOUND', async () => {
        const res = await server.request('PATCH', '/api/v1/admin/tenants/999999', { key: server.adminKey, body: { name: 'ghost' } });
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
        const get = await server.request('GET', '/api/v1/admin/tenants/999999', { key: server.adminKey });
        expect(get.status).to.equal(404);
        expect(get.body.code).to.equal('NOT_FOUND');
      });
    });

    describe('when settings change through the tenant route', () => {
      it("answers 200 and B's operator sees them", async () => {
        const res = await server.request('PATCH', `/api/v1/admin/tenants/${b.id}`, { key: server.adminKey, body: { settings: { listCacheTtlSeconds: 42 } } });
        expect(res.status).to.equal(200);
        expect(res.body.settings.listCacheTtlSeconds).to.equal(42);
        const own = await server.request('GET', '/api/v1/admin/settings', { key: b.admin.key, host: b.host });
        expect(own.body.settings.listCacheTtlSeconds).to.equal(42);
      });
    });
  });

  describe('DELETE /admin/tenants/{tenantId}', () => {
    describe('when the tenant is the root tenant', () => {
      it('answers 400 and the root tenant keeps working', async () => {
        const list = await server.request('GET', '/api/v1/admin/tenants', { key: server.adminKey });
        const root = list.body.data.find((t: { isRoot: boolean }) => t.isRoot);
        const res = await server.request('DELETE', `/api/v1/admin/tenants/${root.id}`, { key: server.adminKey });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('BAD_REQUEST');
        const still = await server.request('GET', '/api/v1/admin/tenants', { key: server.adminKey });
        expect(still.status).to.equal(200);
      });
    });

    describe('when the tenant does not exist', () => {
      it('answers 404 NOT_FOUND', async () => {
        const res = await server.request('DELETE', '/api/v1/admin/tenants/999999', { key: server.adminKey });
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      });
    });

    it('answers 204 and the deleted tenant\'s keys answer 403 on the very next request', async () => {
      const f = await aTenant(server, { host: 'f.example.test' });
      const fUser = await aUser(server, ['useApi'], { key: f.admin.key, host: f.host });
      const warm = await server.request('GET', '/api/v1/app/backend.version', { key: fUser.key, host: f.host });
      expect(warm.status).to.equal(200);
      const res = await server.request('DELETE', `/api/v1/admin/tenants/${f.id}`, { key: server.adminKey });
      expect(res.status).to.equal(204);
      for (const key of [fUser.key, f.admin.key]) {
        const after = await server.request('GET', '/api/v1/app/backend.version', { key, host: f.host });
        expect(after.status).to.equal(403);
        expect(after.body.code).to.equal('API_KEY_INVALID');
      }
      const gone = await server.request('GET', `/api/v1/admin/tenants/${f.id}`, { key: server.adminKey });
      expect(gone.status).to.equal(404);
      const signIn = await server.request('POST', '/api/v1/auth', { host: f.host, body: { user: f.admin.login, password: f.admin.password } });
      expect(signIn.status).to.equal(401);
      expect(signIn.body.code).to.equal('INVALID_CREDENTIALS');
    });
  });
});

describe('tenancy without the unknown-host fallback', () => {
  let server: TestServer;
  const db = { current: null as Awaited<ReturnType<typeof createTestDatabase>> | null };
  before(async () => {
    // Give the root tenant the loopback host first (with the fallback on), so the root tenant
    // stays reachable once the fallback is off; then restart on the same database without it.
    db.current = await createTestDatabase();
    const first = await startTestServer(RELAXED_AUTH_LIMITS, db.current);
    const settings = await first.request('GET', '/api/v1/admin/settings', { key: first.adminKey });
    const patched = await first.request('PATCH', `/api/v1/admin/tenants/${settings.body.id}`, { key: first.adminKey, body: { hosts: ['127.0.0.1'] } });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    await first.stop();
    server = await startTestServer({ ...RELAXED_AUTH_LIMITS, UNKNOWN_HOST_FALLBACK: 'false' }, db.current);
  });
  after(async () => {
    await server?.stop();
    await db.current?.drop();
  });

  describe('when the host is unknown', () => {
    it('answers 404 TENANT_NOT_FOUND on a documented operation', async () => {
      const res = await server.request('GET', '/api/v1/app/backend.version', { key: server.adminKey, host: 'nobody.example.test' });
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('TENANT_NOT_FOUND');
      expect(res.body.message).to.include('nobody.example.test');
    });

    it('answers 404 TENANT_NOT_FOUND on an unrouted path too', async () => {
      const res = await server.request('GET', '/api/v1/nothing-here', { host: 'nobody.example.test' });
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('TENANT_NOT_FOUND');
    });
  });

  describe('when the host is a known tenant host', () => {
    it('answers as that tenant', async () => {
      const res = await server.request('GET', '/api/v1/admin/settings', { key: server.adminKey, host: '127.0.0.1' });
      expect(res.status).to.equal(200);
      expect(res.body.isRoot).to.equal(true);
      const b = await aTenant(server, { host: 'b-nofallback.example.test' });
      const me = await server.request('GET', '/api/v1/app/user.current', { key: b.admin.key, host: b.host });
      expect(me.status).to.equal(200);
      expect(me.body.login).to.equal(b.admin.login);
    });
  });
});

describe('tenancy on a fresh server without the unknown-host fallback', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ UNKNOWN_HOST_FALLBACK: 'false' });
  });
  after(() => server.stop());

  describe('when no tenant has any host yet', () => {
    it('answers 404 TENANT_NOT_FOUND for a request to an unknown host', async () => {
      const res = await server.request('GET', '/api/v1/nothing-here', { host: 'unknown.example.test' });
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('TENANT_NOT_FOUND');
    });
  });
});
