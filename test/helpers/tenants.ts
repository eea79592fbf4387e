// Builders for tenants: a second tenant with its own host and operator, ready with a key.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { TestServer } from './server.ts';

export interface TestTenant {
  id: number;
  slug: string;
  host: string;
  admin: { id: number; login: string; password: string; key: string };
}

let counter = 0;

/** Generous auth budgets so a file that creates many users and keys is never rate-limited. */
export const RELAXED_AUTH_LIMITS = { AUTH_RATE_LIMIT_PER_IP: '100000', AUTH_RATE_LIMIT_PER_LOGIN: '100000', AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL: '100000' };

/** POST /auth on `host`; expects 200 and returns the key string. */
export async function aKey(server: TestServer, login: string, password: string, host?: string): Promise<string> {
  const auth = await server.request('POST', '/api/v1/auth', { host, body: { user: login, password } });
  expect(auth.status, JSON.stringify(auth.body)).to.equal(200);
  return auth.body.authToken.keyString;
}

/** A non-root tenant created by the root admin, with one host and an operator user holding a key. */
export async function aTenant(server: TestServer, options: { host?: string; hosts?: string[]; settings?: Record<string, unknown> } = {}): Promise<TestTenant> {
  const n = ++counter;
  const suffix = randomBytes(3).toString('hex');
  const host = options.host ?? `t${n}-${suffix}.example.test`;
  const slug = `tenant-${n}-${suffix}`;
  const admin = { login: `admin@${host.replace(/:\d+$/, '')}`, password: `tenant-pw-${randomBytes(8).toString('hex')}` };
  const created = await server.request('POST', '/api/v1/admin/tenants', {
    key: server.adminKey,
    body: { slug, name: `Tenant ${n}`, hosts: options.hosts ?? [host], admin, ...(options.settings ? { settings: options.settings } : {}) },
  });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const key = await aKey(server, admin.login, admin.password, host);
  const me = await server.request('GET', '/api/v1/app/user.current', { key, host });
  expect(me.status, JSON.stringify(me.body)).to.equal(200);
  return { id: created.body.id, slug, host, admin: { id: me.body.id, ...admin, key } };
}
