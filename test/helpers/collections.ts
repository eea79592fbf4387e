// Builders for the typed collections: a type with its properties, a user holding exactly the
// per-type grants a test needs, items created through the API, and a lower-case system name.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { TestServer } from './server.ts';
import { aRole, type TestUser } from './principals.ts';

export interface As {
  key?: string;
  host?: string;
}

export interface PropertySpec {
  systemName: string;
  kind: string;
  name?: string;
  required?: boolean;
  unique?: boolean;
  multiple?: boolean;
  default?: unknown;
  enumValues?: string[];
  referenceType?: number | string;
}

export interface ItemTypeBody {
  id: number;
  systemName: string;
  name: string;
  readLog: boolean;
  properties: (Required<Pick<PropertySpec, 'systemName' | 'kind' | 'name' | 'required' | 'unique' | 'multiple'>> & {
    id: number;
    default: unknown;
    enumValues?: string[];
    referenceType?: number;
  })[];
}

export interface Grant {
  typeId: number;
  show?: boolean;
  create?: boolean;
  edit?: boolean;
  delete?: boolean;
}

let counter = 0;

/** A system name (`^[a-z][a-z0-9_]{0,62}$`) no other test uses. */
export const systemName = (prefix = 't') => `${prefix}_${++counter}_${randomBytes(3).toString('hex')}`;

/** Every grant on each of the types. */
export const allGrants = (...typeIds: number[]): Grant[] => typeIds.map((typeId) => ({ typeId, show: true, create: true, edit: true, delete: true }));

/** POST /admin/types as the root admin (or `as`); expects 201. */
export async function aType(
  server: TestServer,
  properties: PropertySpec[],
  options: { systemName?: string; name?: string; readLog?: boolean } & As = {},
): Promise<ItemTypeBody> {
  const { key, host, ...rest } = options;
  const created = await server.request('POST', '/api/v1/admin/types', {
    key: key ?? server.adminKey,
    host,
    body: { systemName: rest.systemName ?? systemName(), ...(rest.name ? { name: rest.name } : {}), ...(rest.readLog !== undefined ? { readLog: rest.readLog } : {}), properties },
  });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  return created.body as ItemTypeBody;
}

/** A user whose role holds `permissions` (default useApi) and exactly `grants`, with a key. */
export async function aUserWithGrants(server: TestServer, grants: Grant[], options: As & { permissions?: string[] } = {}): Promise<TestUser> {
  const permissions = options.permissions ?? ['useApi'];
  const role = await aRole(server, permissions, { key: options.key, host: options.host, typePermissions: grants });
  const login = `coll${++counter}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = await server.request('POST', '/api/v1/admin/users', {
    key: options.key ?? server.adminKey,
    host: options.host,
    body: { login, name: `Collection user ${counter}`, password, roles: [role.id] },
  });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const auth = await server.request('POST', '/api/v1/auth', { host: options.host, body: { user: login, password } });
  expect(auth.status, JSON.stringify(auth.body)).to.equal(200);
  return { id: created.body.id, login, password, key: auth.body.authToken.keyString, roleId: role.id };
}

/** POST /collection/{collection}; expects 201 and returns the created item. */
export async function anItem(server: TestServer, collection: string | number, body: Record<string, unknown>, as: As): Promise<Record<string, any>> {
  const created = await server.request('POST', `/api/v1/collection/${collection}`, { ...as, body });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  return created.body as Record<string, any>;
}

/** The `total` of a list (0 for 204), bypassing any response cache. */
export async function countOf(server: TestServer, collection: string | number, as: As): Promise<number> {
  const listed = await server.request('GET', `/api/v1/collection/${collection}?_noCache=1`, as);
  if (listed.status === 204) return 0;
  expect(listed.status, JSON.stringify(listed.body)).to.equal(200);
  return listed.body.stats.total as number;
}
