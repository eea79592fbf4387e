import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { startTestServer, ADMIN, type TestServer } from '../helpers/server.ts';
import { aRole, aUser, type TestUser } from '../helpers/principals.ts';
import { aKey, RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/;

/** Every operation under /admin in openapi.yaml, path parameters filled with 1. */
function adminOperations(): { method: string; path: string }[] {
  const document = parseYaml(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const operations: { method: string; path: string }[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/admin')) continue;
    for (const method of Object.keys(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({ method: method.toUpperCase(), path: `/api/v1${path.replace(/\{[^}]+\}/g, '1')}` });
    }
  }
  return operations;
}

describe('operator management', () => {
  let server: TestServer;
  let operator: TestUser;
  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    operator = await aUser(server, ['useApi', 'profile', 'appManagement']);
  });
  after(() => server.stop());

  const as = () => ({ key: operator.key });
  const currentUser = (key: string) => server.request('GET', '/api/v1/app/user.current', { key });

  describe('/admin/users', () => {
    it('creates (201), reads (200), changes (200) and deletes (204) a user', async () => {
      const role = await aRole(server, ['useApi']);
      const login = `${unique('crud')}@example.com`;
      const created = await server.request('POST', '/api/v1/admin/users', {
        ...as(),
        body: { login: login.toUpperCase(), name: 'Crud User', password: 'crud-password-1', roles: [role.id], timezone: 'Europe/Prague' },
      });
      expect(created.status).to.equal(201);
      expect(created.body).to.include({ login, name: 'Crud User', timezone: 'Europe/Prague', active: true, verified: true, validFrom: null, validTo: null });
      expect(created.body.roles).to.deep.equal([role.id]);
      expect(created.body.groups).to.deep.equal([]);
      expect(created.body).to.not.have.property('password');
      expect(created.body).to.not.have.property('passwordHash');
      const id = created.body.id;

      const got = await server.request('GET', `/api/v1/admin/users/${id}`, as());
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal(created.body);

      const listed = await server.request('GET', '/api/v1/admin/users', as());
      expect(listed.status).to.equal(200);
      expect(listed.body.data.map((u: { id: number }) => u.id)).to.include(id);

      const patched = await server.request('PATCH', `/api/v1/admin/users/${id}`, { ...as(), body: { name: 'Renamed', timezone: null } });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.include({ id, name: 'Renamed', timezone: null, login });
      expect(patched.body.roles).to.deep.equal([role.id]);

      const deleted = await server.request('DELETE', `/api/v1/admin/users/${id}`, as());
      expect(deleted.status).to.equal(204);
      expect(deleted.text).to.equal('');
      const gone = await server.request('GET', `/api/v1/admin/users/${id}`, as());
      expect(gone.status).to.equal(404);
      expect(gone.body.code).to.equal('NOT_FOUND');
    });

    describe('when the user id does not exist', () => {
      it('answers 404 NOT_FOUND on GET, PATCH and DELETE', async () => {
        for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as const) {
          const res = await server.request(method, '/api/v1/admin/users/987654', { ...as(), body });
          expect(res.status, method).to.equal(404);
          expect(res.body.code).to.equal('NOT_FOUND');
        }
      });
    });

    describe('when the login is taken (in any letter case)', () => {
      it('answers 409 CONFLICT on create and on rename', async () => {
        const existing = await aUser(server, ['useApi']);
        const dup = await server.request('POST', '/api/v1/admin/users', { ...as(), body: { login: existing.login.toUpperCase(), name: 'Dup', password: 'dup-password-1' } });
        expect(dup.status).to.equal(409);
        expect(dup.body.code).to.equal('CONFLICT');
        const other = await aUser(server, ['useApi']);
        const renamed = await server.request('PATCH', `/api/v1/admin/users/${other.id}`, { ...as(), body: { login: existing.login } });
        expect(renamed.status).to.equal(409);
        expect(renamed.body.code).to.equal('CONFLICT');
      });
    });

    describe('when a user deletes themself', () => {
      it('answers 400 and the user stays', async () => {
        const res = await server.request('DELETE', `/api/v1/admin/users/${operator.id}`, as());
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('BAD_REQUEST');
        const still = await server.request('GET', `/api/v1/admin/users/${operator.id}`, as());
        expect(still.status).to.equal(200);
      });
    });

    describe('when the timezone is not an IANA zone', () => {
      it('answers 400 VALIDATION_FAILED naming body.timezone', async () => {
        const res = await server.request('POST', '/api/v1/admin/users', { ...as(), body: { login: `${unique('tz')}@example.com`, name: 'Tz', timezone: 'Nowhere/Town' } });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
        expect(res.body.details).to.deep.include({ path: 'body.timezone', message: 'must be an IANA time zone' });
      });
    });

    describe('when a role or group id does not exist', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        for (const field of ['roles', 'groups']) {
          const res = await server.request('POST', '/api/v1/admin/users', { ...as(), body: { login: `${unique('m')}@example.com`, name: 'M', [field]: [987654] } });
          expect(res.status, field).to.equal(400);
          expect(res.body.code).to.equal('VALIDATION_FAILED');
          expect(res.body.details.map((d: { path: string }) => d.path)).to.include(`body.${field}`);
        }
      });
    });

    describe('when a user is deleted', () => {
      it('answers 403 API_KEY_INVALID for their key on the next request', async () => {
        const victim = await aUser(server, ['useApi']);
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: victim.key })).status).to.equal(200);
        expect((await server.request('DELETE', `/api/v1/admin/users/${victim.id}`, as())).status).to.equal(204);
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: victim.key });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      });
    });

    describe('when the password changes', () => {
      it('answers 401 for the old password and 200 for the new one', async () => {
        const user = await aUser(server, ['useApi']);
        const patched = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { password: 'brand-new-password-9' } });
        expect(patched.status).to.equal(200);
        const old = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password } });
        expect(old.status).to.equal(401);
        expect(old.body.code).to.equal('INVALID_CREDENTIALS');
        await aKey(server, user.login, 'brand-new-password-9');
      });
    });
  });

  describe('/admin/groups', () => {
    it('creates (201), reads (200), changes (200) and deletes (204) a group', async () => {
      const role = await aRole(server, ['profile']);
      const member = await aUser(server, ['useApi']);
      const name = unique('group');
      const created = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name, roles: [role.id], users: [member.id] } });
      expect(created.status).to.equal(201);
      expect(created.body).to.deep.equal({ id: created.body.id, name, roles: [role.id], users: [member.id] });
      const id = created.body.id;

      const got = await server.request('GET', `/api/v1/admin/groups/${id}`, as());
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal(created.body);
      const user = await server.request('GET', `/api/v1/admin/users/${member.id}`, as());
      expect(user.body.groups).to.deep.equal([id]);

      const listed = await server.request('GET', '/api/v1/admin/groups', as());
      expect(listed.status).to.equal(200);
      expect(listed.body.data.map((g: { id: number }) => g.id)).to.include(id);

      const renamed = unique('renamed');
      const patched = await server.request('PATCH', `/api/v1/admin/groups/${id}`, { ...as(), body: { name: renamed, users: [] } });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.deep.equal({ id, name: renamed, roles: [role.id], users: [] });

      const deleted = await server.request('DELETE', `/api/v1/admin/groups/${id}`, as());
      expect(deleted.status).to.equal(204);
      const gone = await server.request('GET', `/api/v1/admin/groups/${id}`, as());
      expect(gone.status).to.equal(404);
      expect(gone.body.code).to.equal('NOT_FOUND');
    });

    describe('when the group id does not exist', () => {
      it('answers 404 NOT_FOUND on GET, PATCH and DELETE', async () => {
        for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as const) {
          const res = await server.request(method, '/api/v1/admin/groups/987654', { ...as(), body });
          expect(res.status, method).to.equal(404);
          expect(res.body.code).to.equal('NOT_FOUND');
        }
      });
    });

    describe('when the name is taken', () => {
      it('answers 409 CONFLICT on create and on rename', async () => {
        const name = unique('taken');
        expect((await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name } })).status).to.equal(201);
        const dup = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name } });
        expect(dup.status).to.equal(409);
        expect(dup.body.code).to.equal('CONFLICT');
        const other = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name: unique('other') } });
        const renamed = await server.request('PATCH', `/api/v1/admin/groups/${other.body.id}`, { ...as(), body: { name } });
        expect(renamed.status).to.equal(409);
        expect(renamed.body.code).to.equal('CONFLICT');
      });
    });

    describe('when a member user or role id does not exist', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        for (const field of ['users', 'roles']) {
          const res = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name: unique('g'), [field]: [987654] } });
          expect(res.status, field).to.equal(400);
          expect(res.body.code).to.equal('VALIDATION_FAILED');
          expect(res.body.details.map((d: { path: string }) => d.path)).to.include(`body.${field}`);
        }
      });
    });
  });

  describe('/admin/roles', () => {
    it('creates (201), reads (200), changes (200) and deletes (204) a role', async () => {
      const name = unique('role');
      const created = await server.request('POST', '/api/v1/admin/roles', { ...as(), body: { name, permissions: ['useApi', 'manageTags'] } });
      expect(created.status).to.equal(201);
      expect(created.body).to.deep.equal({ id: created.body.id, name, permissions: ['useApi', 'manageTags'], typePermissions: [] });
      const id = created.body.id;

      const got = await server.request('GET', `/api/v1/admin/roles/${id}`, as());
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal(created.body);

      const listed = await server.request('GET', '/api/v1/admin/roles', as());
      expect(listed.status).to.equal(200);
      expect(listed.body.data.map((r: { id: number }) => r.id)).to.include(id);

      const patched = await server.request('PATCH', `/api/v1/admin/roles/${id}`, { ...as(), body: { permissions: ['useApi'] } });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.deep.equal({ id, name, permissions: ['useApi'], typePermissions: [] });

      const deleted = await server.request('DELETE', `/api/v1/admin/roles/${id}`, as());
      expect(deleted.status).to.equal(204);
      const gone = await server.request('GET', `/api/v1/admin/roles/${id}`, as());
      expect(gone.status).to.equal(404);
      expect(gone.body.code).to.equal('NOT_FOUND');
    });

    describe('when the role id does not exist', () => {
      it('answers 404 NOT_FOUND on GET, PATCH and DELETE', async () => {
        for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as const) {
          const res = await server.request(method, '/api/v1/admin/roles/987654', { ...as(), body });
          expect(res.status, method).to.equal(404);
          expect(res.body.code).to.equal('NOT_FOUND');
        }
      });
    });

    describe('when the name is taken', () => {
      it('answers 409 CONFLICT on create and on rename', async () => {
        const existing = await aRole(server, ['useApi']);
        const dup = await server.request('POST', '/api/v1/admin/roles', { ...as(), body: { name: existing.name } });
        expect(dup.status).to.equal(409);
        expect(dup.body.code).to.equal('CONFLICT');
        const other = await aRole(server, ['useApi']);
        const renamed = await server.request('PATCH', `/api/v1/admin/roles/${other.id}`, { ...as(), body: { name: existing.name } });
        expect(renamed.status).to.equal(409);
        expect(renamed.body.code).to.equal('CONFLICT');
      });
    });

    describe('when typePermissions names a type that does not exist', () => {
      it('answers 400 VALIDATION_FAILED naming body.typePermissions, on create and on update', async () => {
        const created = await server.request('POST', '/api/v1/admin/roles', {
          ...as(),
          body: { name: unique('typed'), permissions: ['useApi'], typePermissions: [{ typeId: 987654, show: true }] },
        });
        expect(created.status).to.equal(400);
        expect(created.body.code).to.equal('VALIDATION_FAILED');
        expect(created.body.details.map((d: { path: string }) => d.path)).to.include('body.typePermissions');
        const role = await aRole(server, ['useApi']);
        const updated = await server.request('PATCH', `/api/v1/admin/roles/${role.id}`, { ...as(), body: { typePermissions: [{ typeId: 987654, edit: true }] } });
        expect(updated.status).to.equal(400);
        expect(updated.body.code).to.equal('VALIDATION_FAILED');
      });
    });

    describe('when a permission name is unknown', () => {
      it('answers 400 VALIDATION_FAILED', async () => {
        const res = await server.request('POST', '/api/v1/admin/roles', { ...as(), body: { name: unique('bad'), permissions: ['godMode'] } });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
      });
    });
  });

  describe('effective permissions', () => {
    it("are the user's roles plus their groups' roles, in user.current", async () => {
      const user = await aUser(server, ['useApi', 'profile']);
      const groupRole = await aRole(server, ['manageTags', 'notifications']);
      const group = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name: unique('perm-group'), roles: [groupRole.id], users: [user.id] } });
      expect(group.status).to.equal(201);
      const me = await currentUser(user.key);
      expect(me.status).to.equal(200);
      expect(me.body.permissions).to.have.members(['useApi', 'profile', 'manageTags', 'notifications']);
      expect(me.body.groups).to.deep.equal([group.body.name]);
      expect(me.body.roles).to.have.lengthOf(1);
    });

    describe("when the user joins a group whose role has the route's permission", () => {
      it('answers 200 on the very next request, 403 PERMISSION_DENIED before', async () => {
        const user = await aUser(server, ['useApi']);
        const before = await currentUser(user.key);
        expect(before.status).to.equal(403);
        expect(before.body.code).to.equal('PERMISSION_DENIED');
        expect(before.body.message).to.include('profile');
        const role = await aRole(server, ['profile']);
        const group = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name: unique('profile-group'), roles: [role.id] } });
        const joined = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { groups: [group.body.id] } });
        expect(joined.status).to.equal(200);
        expect(joined.body.groups).to.deep.equal([group.body.id]);
        const after = await currentUser(user.key);
        expect(after.status).to.equal(200);
        expect(after.body.permissions).to.include('profile');
      });
    });

    describe('when the user is added through PATCH on the group', () => {
      it('gains, and on removal loses, the permission on the next request', async () => {
        const user = await aUser(server, ['useApi']);
        const role = await aRole(server, ['appManagement']);
        const group = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name: unique('ops-group'), roles: [role.id] } });
        const denied = await server.request('GET', '/api/v1/admin/roles', { key: user.key });
        expect(denied.status).to.equal(403);
        expect(denied.body.code).to.equal('PERMISSION_DENIED');
        await server.request('PATCH', `/api/v1/admin/groups/${group.body.id}`, { ...as(), body: { users: [user.id] } });
        const allowed = await server.request('GET', '/api/v1/admin/roles', { key: user.key });
        expect(allowed.status).to.equal(200);
        await server.request('PATCH', `/api/v1/admin/groups/${group.body.id}`, { ...as(), body: { users: [] } });
        const again = await server.request('GET', '/api/v1/admin/roles', { key: user.key });
        expect(again.status).to.equal(403);
        expect(again.body.code).to.equal('PERMISSION_DENIED');
      });
    });

    describe("when a group's role is deleted", () => {
      it('answers 403 PERMISSION_DENIED on the next request', async () => {
        const user = await aUser(server, ['useApi']);
        const role = await aRole(server, ['profile']);
        await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name: unique('doomed'), roles: [role.id], users: [user.id] } });
        expect((await currentUser(user.key)).status).to.equal(200);
        expect((await server.request('DELETE', `/api/v1/admin/roles/${role.id}`, as())).status).to.equal(204);
        const res = await currentUser(user.key);
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('PERMISSION_DENIED');
      });
    });

    describe('when a group is deleted', () => {
      it("answers 403 PERMISSION_DENIED on the next request for what only the group gave", async () => {
        const user = await aUser(server, ['useApi']);
        const role = await aRole(server, ['profile']);
        const group = await server.request('POST', '/api/v1/admin/groups', { ...as(), body: { name: unique('gone'), roles: [role.id], users: [user.id] } });
        expect((await currentUser(user.key)).status).to.equal(200);
        expect((await server.request('DELETE', `/api/v1/admin/groups/${group.body.id}`, as())).status).to.equal(204);
        const res = await currentUser(user.key);
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('PERMISSION_DENIED');
      });
    });

    describe("when the user's own role changes", () => {
      it('takes effect on the next request', async () => {
        const user = await aUser(server, ['useApi', 'profile']);
        expect((await currentUser(user.key)).body.permissions).to.not.include('manageTags');
        const patched = await server.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { ...as(), body: { permissions: ['useApi', 'profile', 'manageTags'] } });
        expect(patched.status).to.equal(200);
        expect((await currentUser(user.key)).body.permissions).to.include('manageTags');
        await server.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { ...as(), body: { permissions: ['useApi'] } });
        const res = await currentUser(user.key);
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('PERMISSION_DENIED');
      });
    });

    describe('when useApi is removed', () => {
      it('answers 403 PERMISSION_DENIED naming useApi on every route, and GET /auth says invalid', async () => {
        const user = await aUser(server, ['useApi', 'profile']);
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
        await server.request('PATCH', `/api/v1/admin/roles/${user.roleId}`, { ...as(), body: { permissions: ['profile'] } });
        for (const path of ['/api/v1/app/backend.version', '/api/v1/app/user.current']) {
          const res = await server.request('GET', path, { key: user.key });
          expect(res.status, path).to.equal(403);
          expect(res.body.code).to.equal('PERMISSION_DENIED');
          expect(res.body.message).to.include('useApi');
        }
        const status = await server.request('GET', '/api/v1/auth', { key: user.key });
        expect(status.body).to.deep.equal({ status: 'invalid', validTo: '' });
      });
    });

    describe('when the user loses every role through PATCH roles []', () => {
      it('answers 403 PERMISSION_DENIED on the next request', async () => {
        const user = await aUser(server, ['useApi']);
        const patched = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { roles: [] } });
        expect(patched.status).to.equal(200);
        expect(patched.body.roles).to.deep.equal([]);
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('PERMISSION_DENIED');
      });
    });
  });

  describe('user state', () => {
    describe('when a user is deactivated', () => {
      it('answers 403 USER_INACTIVE on the next request, and 200 again once reactivated', async () => {
        const user = await aUser(server, ['useApi']);
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
        const off = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { active: false } });
        expect(off.status).to.equal(200);
        expect(off.body.active).to.equal(false);
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('USER_INACTIVE');
        const signIn = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password } });
        expect(signIn.status).to.equal(403);
        expect(signIn.body.code).to.equal('USER_INACTIVE');
        await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { active: true } });
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
      });
    });

    describe('when a user is marked unverified', () => {
      it('answers 403 USER_INACTIVE on the next request', async () => {
        const user = await aUser(server, ['useApi']);
        await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { verified: false } });
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('USER_INACTIVE');
      });
    });

    describe('when validTo is in the past', () => {
      it('answers 403 USER_OUTSIDE_VALIDITY, and 200 again once cleared', async () => {
        const user = await aUser(server, ['useApi']);
        const past = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { validTo: '2000-01-01T00:00:00Z' } });
        expect(past.status).to.equal(200);
        expect(past.body.validTo).to.match(OFFSET);
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('USER_OUTSIDE_VALIDITY');
        const cleared = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { validTo: null } });
        expect(cleared.body.validTo).to.equal(null);
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
      });
    });

    describe('when validFrom is in the future', () => {
      it('answers 403 USER_OUTSIDE_VALIDITY, and 200 again once cleared', async () => {
        const user = await aUser(server, ['useApi']);
        await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { validFrom: '2999-01-01' } });
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('USER_OUTSIDE_VALIDITY');
        const signIn = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: user.password } });
        expect(signIn.status).to.equal(403);
        expect(signIn.body.code).to.equal('USER_OUTSIDE_VALIDITY');
        await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { validFrom: null } });
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
      });
    });

    describe('when the window includes now', () => {
      it('answers 200', async () => {
        const user = await aUser(server, ['useApi'], { user: { validFrom: '2000-01-01T00:00:00Z', validTo: '2999-01-01T00:00:00Z' } });
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
      });
    });

    describe('when validFrom is not a date', () => {
      it('answers 400 VALIDATION_FAILED naming body.validFrom', async () => {
        const user = await aUser(server, ['useApi']);
        const res = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { ...as(), body: { validFrom: 'next tuesday!' } });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal('VALIDATION_FAILED');
        expect(res.body.details.map((d: { path: string }) => d.path)).to.include('body.validFrom');
      });
    });
  });

  describe('when an operator without manageTenants tries to gain it', () => {
    let elevated: { id: number };
    before(async () => {
      elevated = await aRole(server, ['useApi', 'manageTenants']);
    });

    it('answers 403 PERMISSION_DENIED on a role carrying manageTenants', async () => {
      const res = await server.request('POST', '/api/v1/admin/roles', { key: operator.key, body: { name: 'sneaky', permissions: ['useApi', 'manageTenants'] } });
      expect(res.status).to.equal(403);
      expect(res.body).to.include({ code: 'PERMISSION_DENIED', message: 'Missing permission "manageTenants"' });
    });

    it('answers 403 on assigning a role that carries it, to themself or in a group', async () => {
      const self = await server.request('PATCH', `/api/v1/admin/users/${operator.id}`, { key: operator.key, body: { roles: [operator.roleId, elevated.id] } });
      expect(self.status).to.equal(403);
      const group = await server.request('POST', '/api/v1/admin/groups', { key: operator.key, body: { name: `g-${randomBytes(3).toString('hex')}`, roles: [elevated.id], users: [operator.id] } });
      expect(group.status).to.equal(403);
      const me = await server.request('GET', '/api/v1/app/user.current', { key: operator.key });
      expect(me.body.permissions).to.not.include('manageTenants');
    });

    it('answers 403 on editing the permissions of a role that carries it', async () => {
      const res = await server.request('PATCH', `/api/v1/admin/roles/${elevated.id}`, { key: operator.key, body: { permissions: ['useApi'] } });
      expect(res.status).to.equal(403);
    });

    it("answers 403 on taking over a holder's account: password, deletion, role deletion", async () => {
      const admins = (await server.request('GET', '/api/v1/admin/users', { key: operator.key })).body.data as { id: number; login: string }[];
      const root = admins.find((u) => u.login === ADMIN.email)!;
      const password = await server.request('PATCH', `/api/v1/admin/users/${root.id}`, { key: operator.key, body: { password: 'taken-over-1' } });
      expect(password.status).to.equal(403);
      expect(password.body.code).to.equal('PERMISSION_DENIED');
      expect((await server.request('DELETE', `/api/v1/admin/users/${root.id}`, { key: operator.key })).status).to.equal(403);
      expect((await server.request('DELETE', `/api/v1/admin/roles/${elevated.id}`, { key: operator.key })).status).to.equal(403);
      const stillWorks = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
      expect(stillWorks.status).to.equal(200);
    });

    it('answers 403 on minting a key for a holder with generateOthersApiKeys alone', async () => {
      const minter = await aUser(server, ['useApi', 'generateOthersApiKeys']);
      const res = await server.request('POST', '/api/v1/auth', { key: minter.key, body: { user: ADMIN.email } });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('PERMISSION_DENIED');
    });

    it('lets a holder of manageTenants grant it', async () => {
      const res = await server.request('POST', '/api/v1/admin/roles', { key: server.adminKey, body: { name: `root-${randomBytes(3).toString('hex')}`, permissions: ['manageTenants'] } });
      expect(res.status).to.equal(201);
    });
  });

  describe('without appManagement', () => {
    it('answers 403 PERMISSION_DENIED on every /admin route', async () => {
      const user = await aUser(server, ['useApi', 'profile', 'manageTags', 'generateOthersApiKeys']);
      const operations = adminOperations();
      expect(operations.length).to.be.greaterThan(15);
      for (const { method, path } of operations) {
        const body = ['POST', 'PATCH'].includes(method) ? { name: 'x' } : undefined;
        const res = await server.request(method, path, { key: user.key, body });
        expect(res.status, `${method} ${path}`).to.equal(403);
        expect(res.body.code, `${method} ${path}`).to.equal('PERMISSION_DENIED');
      }
    });

    describe('when no key is sent', () => {
      it('answers 403 API_KEY_MISSING on every /admin route', async () => {
        for (const { method, path } of adminOperations()) {
          const res = await server.request(method, path);
          expect(res.status, `${method} ${path}`).to.equal(403);
          expect(res.body.code, `${method} ${path}`).to.equal('API_KEY_MISSING');
        }
      });
    });
  });

  describe('/admin/keys', () => {
    it('lists keys without any secret', async () => {
      const user = await aUser(server, ['useApi']);
      const second = await aKey(server, user.login, user.password);
      const res = await server.request('GET', `/api/v1/admin/keys?userId=${user.id}`, as());
      expect(res.status).to.equal(200);
      expect(res.body.data).to.have.lengthOf(2);
      for (const key of res.body.data) {
        expect(key).to.not.have.property('keyString');
        expect(key).to.not.have.property('secret');
        expect(key).to.not.have.property('secretHash');
        expect(key).to.include({ userId: user.id, revoked: false });
        expect(key.createdOn).to.match(OFFSET);
      }
      for (const keyString of [user.key, second]) {
        const secret = keyString.slice(keyString.indexOf(':') + 1);
        expect(res.text).to.not.include(secret);
        expect(res.text).to.not.include(keyString);
      }
      const all = await server.request('GET', '/api/v1/admin/keys', as());
      expect(all.body.data.map((k: { userId: number }) => k.userId)).to.include.members([user.id, operator.id]);
    });

    describe('DELETE /admin/keys/{keyId}', () => {
      it('answers 204 and the key answers 403 API_KEY_INVALID on the next request; other keys keep working', async () => {
        const user = await aUser(server, ['useApi']);
        const other = await aKey(server, user.login, user.password);
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: user.key })).status).to.equal(200);
        const keys = await server.request('GET', `/api/v1/admin/keys?userId=${user.id}`, as());
        const auth = await server.request('GET', '/api/v1/auth', { key: user.key });
        expect(auth.body.status).to.equal('valid');
        const first = keys.body.data[0];
        const res = await server.request('DELETE', `/api/v1/admin/keys/${first.id}`, as());
        expect(res.status).to.equal(204);
        const after = await server.request('GET', '/api/v1/app/backend.version', { key: user.key });
        expect(after.status).to.equal(403);
        expect(after.body.code).to.equal('API_KEY_INVALID');
        expect((await server.request('GET', '/api/v1/app/backend.version', { key: other })).status).to.equal(200);
        const active = await server.request('GET', `/api/v1/admin/keys?userId=${user.id}`, as());
        expect(active.body.data.map((k: { id: number }) => k.id)).to.not.include(first.id);
        const withRevoked = await server.request('GET', `/api/v1/admin/keys?userId=${user.id}&includeRevoked=true`, as());
        expect(withRevoked.body.data.find((k: { id: number }) => k.id === first.id)).to.include({ revoked: true });
      });

      describe('when the key id does not exist', () => {
        it('answers 404 NOT_FOUND', async () => {
          const res = await server.request('DELETE', '/api/v1/admin/keys/987654', as());
          expect(res.status).to.equal(404);
          expect(res.body.code).to.equal('NOT_FOUND');
        });
      });

      describe('when the key is already revoked', () => {
        it('answers 404 NOT_FOUND', async () => {
          const user = await aUser(server, ['useApi']);
          const keys = await server.request('GET', `/api/v1/admin/keys?userId=${user.id}`, as());
          expect((await server.request('DELETE', `/api/v1/admin/keys/${keys.body.data[0].id}`, as())).status).to.equal(204);
          const again = await server.request('DELETE', `/api/v1/admin/keys/${keys.body.data[0].id}`, as());
          expect(again.status).to.equal(404);
          expect(again.body.code).to.equal('NOT_FOUND');
        });
      });
    });
  });

  describe("timestamps in the acting user's zone", () => {
    it('carry the offset of America/New_York once the operator sets that zone', async () => {
      const zoned = await aUser(server, ['useApi', 'profile', 'appManagement']);
      const set = await server.request('PATCH', `/api/v1/admin/users/${zoned.id}`, { key: zoned.key, body: { timezone: 'America/New_York' } });
      expect(set.status).to.equal(200);
      const nyOffset = /-0[45]:00$/;
      const users = await server.request('GET', '/api/v1/admin/users', { key: zoned.key });
      for (const user of users.body.data) {
        expect(user.createdOn).to.match(OFFSET).and.match(nyOffset);
        expect(user.updatedOn).to.match(nyOffset);
      }
      const keys = await server.request('GET', '/api/v1/admin/keys', { key: zoned.key });
      for (const key of keys.body.data) expect(key.createdOn).to.match(nyOffset);
      const settings = await server.request('GET', '/api/v1/admin/settings', { key: zoned.key });
      expect(settings.body.createdOn).to.match(nyOffset);
      const utcView = await server.request('GET', `/api/v1/admin/users/${zoned.id}`, { key: server.adminKey });
      expect(utcView.body.createdOn).to.match(/(Z|\+00:00)$/);
    });

    it("reads a naive validTo in the acting user's zone", async () => {
      const zoned = await aUser(server, ['useApi', 'profile', 'appManagement'], { user: { timezone: 'America/New_York' } });
      const target = await aUser(server, ['useApi']);
      const res = await server.request('PATCH', `/api/v1/admin/users/${target.id}`, { key: zoned.key, body: { validTo: '2030-01-15 08:30:00' } });
      expect(res.status).to.equal(200);
      expect(res.body.validTo).to.equal('2030-01-15T08:30:00-05:00');
      const utcView = await server.request('GET', `/api/v1/admin/users/${target.id}`, { key: server.adminKey });
      expect(utcView.body.validTo).to.match(/^2030-01-15T13:30:00(Z|\+00:00)$/);
    });
  });

  describe('the bootstrap admin', () => {
    it('holds every system permission, manageTenants included', async () => {
      const me = await currentUser(server.adminKey);
      expect(me.status).to.equal(200);
      expect(me.body.login).to.equal(ADMIN.email);
      expect(me.body.permissions).to.include.members(['useApi', 'profile', 'appManagement', 'manageTenants']);
    });
  });
});
