// Builders for users with exactly the permissions a test needs, each with an API key.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { TestServer } from './server.ts';

export interface TestUser {
  id: number;
  login: string;
  password: string;
  key: string;
  roleId: number;
}

let counter = 0;

export async function aRole(server: TestServer, permissions: string[], options: { key?: string; host?: string; typePermissions?: unknown[] } = {}) {
  const created = await server.request('POST', '/api/v1/admin/roles', {
    key: options.key ?? server.adminKey,
    host: options.host,
    body: { name: `role-${++counter}-${randomBytes(3).toString('hex')}`, permissions, typePermissions: options.typePermissions ?? [] },
  });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  return created.body as { id: number; name: string };
}

/** A user with a role holding `permissions`, and a key from POST /auth (unless useApi is missing). */
export async function aUser(
  server: TestServer,
  permissions: string[],
  options: { key?: string; host?: string; user?: Record<string, unknown>; typePermissions?: unknown[] } = {},
): Promise<TestUser> {
  const role = await aRole(server, permissions, options);
  const login = `user${++counter}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = await server.request('POST', '/api/v1/admin/users', {
    key: options.key ?? server.adminKey,
    host: options.host,
    body: { login, name: `User ${counter}`, password, roles: [role.id], ...options.user },
  });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  let key = '';
  if (permissions.includes('useApi')) {
    const auth = await server.request('POST', '/api/v1/auth', { host: options.host, body: { user: login, password } });
    expect(auth.status, JSON.stringify(auth.body)).to.equal(200);
    key = auth.body.authToken.keyString;
  }
  return { id: created.body.id, login, password, key, roleId: role.id };
}
