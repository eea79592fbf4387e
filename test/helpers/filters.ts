// Builders for the collection tests: types created by the root admin (whose role, id 1, gets the
// grants), items, and list requests in both forms (GET with a JSON `filters` query, SEARCH body).
import { expect } from 'chai';
import type { ApiResponse, TestServer } from './server.ts';
import { aUser, type TestUser } from './principals.ts';

export interface Grant {
  typeId: number;
  show?: boolean;
  create?: boolean;
  edit?: boolean;
  delete?: boolean;
}

export interface CreatedType {
  id: number;
  systemName: string;
  name: string;
  properties: { id: number; systemName: string; kind: string }[];
}

const ALL = { show: true, create: true, edit: true, delete: true };
export const OPERATOR_ROLE = 1;

/** Adds full grants on `typeIds` to a role (the root operator's role by default), keeping the others. */
export async function grantRole(server: TestServer, typeIds: number[], roleId = OPERATOR_ROLE, grant: Omit<Grant, 'typeId'> = ALL): Promise<void> {
  const role = await server.request('GET', `/api/v1/admin/roles/${roleId}`, { key: server.adminKey });
  expect(role.status, JSON.stringify(role.body)).to.equal(200);
  const kept = (role.body.typePermissions as Grant[]).filter((p) => !typeIds.includes(p.typeId));
  const patched = await server.request('PATCH', `/api/v1/admin/roles/${roleId}`, {
    key: server.adminKey,
    body: { typePermissions: [...kept, ...typeIds.map((typeId) => ({ typeId, ...grant }))] },
  });
  expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
}

/** POST /admin/types as the root admin, then full grants for the admin's role. */
export async function aType(server: TestServer, body: Record<string, unknown>, options: { grant?: boolean } = {}): Promise<CreatedType> {
  const created = await server.request('POST', '/api/v1/admin/types', { key: server.adminKey, body });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  if (options.grant !== false) await grantRole(server, [created.body.id]);
  return created.body as CreatedType;
}

/** POST /collection/{collection}; expects 201 and returns the item. */
export async function anItem(server: TestServer, collection: string, body: Record<string, unknown>, key = server.adminKey): Promise<Record<string, any>> {
  const created = await server.request('POST', `/api/v1/collection/${collection}`, { key, body });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  return created.body;
}

export type Via = 'GET' | 'SEARCH';
export const BOTH: Via[] = ['GET', 'SEARCH'];

export interface ListOptions {
  key?: string;
  orderBy?: string;
  orderDir?: 'asc' | 'desc';
  perPage?: number;
}

/** One list request carrying `filters` (already a string for GET when `raw` is given). */
export async function list(server: TestServer, collection: string, filters: unknown, via: Via, options: ListOptions = {}): Promise<ApiResponse> {
  const key = options.key ?? server.adminKey;
  const params: Record<string, string | number> = { perPage: options.perPage ?? 1000 };
  if (options.orderBy) params.orderBy = options.orderBy;
  if (options.orderDir) params.orderDir = options.orderDir;
  if (via === 'GET') {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
    if (filters !== undefined) query.set('filters', typeof filters === 'string' ? filters : JSON.stringify(filters));
    return server.request('GET', `/api/v1/collection/${collection}?${query}`, { key, headers: { 'cache-control': 'no-cache' } });
  }
  return server.request('SEARCH', `/api/v1/collection/${collection}`, {
    key,
    headers: { 'cache-control': 'no-cache' },
    body: { ...params, ...(filters !== undefined ? { filters } : {}) },
  });
}

/** The ids a filtered list returns (204 → []); fails on anything but 200/204. */
export async function idsOf(server: TestServer, collection: string, filters: unknown, via: Via, options: ListOptions = {}): Promise<number[]> {
  const res = await list(server, collection, filters, via, options);
  expect([200, 204], `${via} ${JSON.stringify(filters)} → ${res.status} ${res.text}`).to.include(res.status);
  if (res.status === 204) return [];
  expect(res.body.stats.total).to.equal(res.body.data.length);
  return (res.body.data as { id: number }[]).map((item) => item.id);
}

/** The id of the user owning `key`. */
export async function userIdOf(server: TestServer, key: string): Promise<number> {
  const me = await server.request('GET', '/api/v1/app/user.current', { key });
  expect(me.status, JSON.stringify(me.body)).to.equal(200);
  return me.body.id as number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** aUser with per-type grants and user fields (e.g. `{ timezone }`). */
export function aUserWithGrants(
  server: TestServer,
  permissions: string[],
  typePermissions: Grant[],
  user: Record<string, unknown> = {},
): Promise<TestUser> {
  return aUser(server, permissions, { typePermissions, user });
}
