// Users and keys made through a real server process's API (the e2e tests' fixtures): the root
// admin's key from POST /auth, and a user with a role of its own and the key it signed in with.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ServerProcess } from './process.ts';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

export async function adminKeyFrom(server: ServerProcess): Promise<string> {
  const auth = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
  expect(auth.status, auth.text).to.equal(200);
  return auth.body.authToken.keyString;
}

export interface KeyedUser {
  id: number;
  login: string;
  password: string;
  key: string;
  roleId: number;
}

/**
 * A role with `permissions` and full grants on `typeIds`, a user holding it (with `user`'s extra
 * fields, e.g. a timezone), and the key from that user's POST /auth, all through `on`.
 */
export async function aUserWithKey(on: ServerProcess, adminKey: string, permissions: string[], typeIds: number[] = [], user: Record<string, unknown> = {}): Promise<KeyedUser> {
  const t = randomBytes(4).toString('hex');
  const role = await on.request('POST', '/api/v1/admin/roles', {
    key: adminKey,
    body: { name: `e2e-role-${t}`, permissions, typePermissions: typeIds.map((typeId) => ({ typeId, show: true, create: true, edit: true, delete: true })) },
  });
  expect(role.status, role.text).to.equal(201);
  const login = `e2e-${t}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = await on.request('POST', '/api/v1/admin/users', { key: adminKey, body: { login, name: `E2E ${t}`, password, roles: [role.body.id], ...user } });
  expect(created.status, created.text).to.equal(201);
  const auth = await on.request('POST', '/api/v1/auth', { body: { user: login, password } });
  expect(auth.status, auth.text).to.equal(200);
  return { id: created.body.id, login, password, key: auth.body.authToken.keyString, roleId: role.body.id };
}
