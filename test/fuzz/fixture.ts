// The populated tenants the fuzz runs against: a type with every property kind, items, tags, an
// attached file and upload promises, principals with and without permissions, invalid keys of
// every kind, a second tenant, and victims for the destructive operations (so deletes and edits
// never take away the rows and keys the other operations need).
import fc from 'fast-check';
import { SYSTEM_PERMISSIONS } from '../../src/domain/identity/permissions.ts';
import { aType, aUserWithGrants, allGrants, anItem, type ItemTypeBody } from '../helpers/collections.ts';
import { aRole, aUser, type TestUser } from '../helpers/principals.ts';
import type { TestServer } from '../helpers/server.ts';
import { aKey, aTenant, type TestTenant } from '../helpers/tenants.ts';
import type { FuzzOperation, JsonSchema } from './contract-operations.ts';
import type { Hints } from './schema-arbitrary.ts';

export interface AuthVariant {
  name: string;
  /** The key headers, and `host` for a request to tenant B. */
  headers: Record<string, string>;
  /** The tenant where the key may act (live key, usable user); null for no such key. */
  keyTenant: 'A' | 'B' | null;
  permissions: ReadonlySet<string>;
}

export interface PathTuple {
  values: Record<string, string>;
  tenant: 'A' | 'B' | null;
}

export interface Fixture {
  validAuths: AuthVariant[];
  invalidAuths: AuthVariant[];
  hints: Hints;
  /** Consistent path parameter values for an operation (victims for destructive ones). */
  tuples(operation: FuzzOperation): PathTuple[];
  /** The tenant's concrete item input schema for a collection (create/replace or patch). */
  itemSchema(collection: string, patch: boolean): JsonSchema | undefined;
  /**
   * What the key may do now: fuzzed writes (a group gaining a member, a user reactivated) can
   * change a principal during the run, so a 2xx that looks like a bypass is checked again.
   */
  recheck(auth: AuthVariant, tenant: 'A' | 'B'): Promise<{ keyValid: boolean; permissions: ReadonlySet<string> }>;
  /** The tenant a request's Host selects (unknown hosts fall back to the root tenant, A). */
  tenantOf(host: string | undefined): 'A' | 'B';
}

const MAIN_PROPERTIES = [
  { systemName: 'title', kind: 'string' },
  { systemName: 'code', kind: 'string', unique: true },
  { systemName: 'notes', kind: 'text' },
  { systemName: 'count', kind: 'integer' },
  { systemName: 'amount', kind: 'number' },
  { systemName: 'flag', kind: 'boolean' },
  { systemName: 'status', kind: 'enum', enumValues: ['open', 'done', 'in_progress'], default: 'open' },
  { systemName: 'due', kind: 'datetime' },
  { systemName: 'day', kind: 'date' },
  { systemName: 'month', kind: 'month' },
  { systemName: 'labels', kind: 'string', multiple: true },
  { systemName: 'scores', kind: 'integer', multiple: true },
  { systemName: 'attachment', kind: 'file' },
  { systemName: 'gallery', kind: 'file', multiple: true },
];
export const PROPERTY_NAMES = ['id', 'uuid', 'created_on', 'updated_on', 'created_by', ...MAIN_PROPERTIES.map((p) => p.systemName), 'target'];

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_m, _u, c: string) => c.toUpperCase());
const keyed = (key: string) => ({ key });
const times = <T>(n: number, make: (i: number) => Promise<T>) => Array.from({ length: n }, (_, i) => i).reduce<Promise<T[]>>(async (all, i) => [...(await all), await make(i)], Promise.resolve([]));

async function ok(server: TestServer, method: string, path: string, options: Parameters<TestServer['request']>[2]) {
  const res = await server.request(method, path, options);
  if (res.status >= 300) throw new Error(`fixture: ${method} ${path} → ${res.status} ${res.text}`);
  return res.body;
}

async function promisesFor(server: TestServer, as: TestUser, type: string, property: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const form = new FormData();
    for (let i = 0; i < 5; i++) form.append('file', new Blob([`file ${ids.length + i}`], { type: 'text/plain' }), `f${ids.length + i}.txt`);
    ids.push(...((await ok(server, 'POST', `/api/v1/upload/${type}/${property}`, { key: as.key, multipart: form })) as string[]));
  }
  return ids;
}

export async function buildFixture(server: TestServer): Promise<Fixture> {
  const admin = { key: server.adminKey };
  const ref = await aType(server, [{ systemName: 'name', kind: 'string' }], { systemName: 'fz_ref' });
  const main = await aType(server, [...MAIN_PROPERTIES, { systemName: 'target', kind: 'reference', referenceType: ref.id }] as never, { systemName: 'fz_main', readLog: false });
  const logged = await aType(server, [{ systemName: 'name', kind: 'string' }], { systemName: 'fz_logged', readLog: true });
  const editable = await aType(server, [0, 1, 2, 3, 4, 5].map((i) => ({ systemName: `p${i}`, kind: ['string', 'integer', 'enum', 'date', 'file', 'reference'][i], ...(i === 2 ? { enumValues: ['a', 'b'] } : {}), ...(i === 5 ? { referenceType: ref.id } : {}) })) as never, { systemName: 'fz_edit' });
  const doomed = await times(4, (i) => aType(server, [{ systemName: 'x', kind: 'string' }], { systemName: `fz_doomed_${i}` }));
  const types = [ref, main, logged, editable, ...doomed];

  const power = await aUserWithGrants(server, allGrants(...types.map((t) => t.id)), { permissions: [...SYSTEM_PERMISSIONS] });
  // `profile` on every principal: recheck() reads a key's current permissions with user.current.
  const plain = { permissions: ['useApi', 'profile'] };
  const reader = await aUserWithGrants(server, [{ typeId: main.id, show: true }], plain);
  const lapsed = await aUserWithGrants(server, allGrants(main.id), plain);
  const revoked = await aUserWithGrants(server, allGrants(main.id), plain);
  const expiring = await aUserWithGrants(server, allGrants(main.id), plain);
  await ok(server, 'PATCH', `/api/v1/admin/users/${lapsed.id}`, { ...admin, body: { active: false } });
  await ok(server, 'PATCH', `/api/v1/admin/users/${expiring.id}`, { ...admin, body: { validTo: '2001-01-01T00:00:00Z' } });
  await ok(server, 'POST', '/api/v1/deauth', { body: { key: revoked.key } });
  const as = keyed(power.key);

  const refItems = await times(3, (i) => anItem(server, ref.systemName, { name: `ref ${i}` }, as));
  const [attached] = await promisesFor(server, power, main.systemName, 'attachment', 1);
  const items = await times(6, (i) =>
    anItem(server, main.systemName, {
      title: ['alpha', 'beta', 'gamma', '', 'Ünïcødé', 'alpha'][i], code: `c${i}`, count: i * 5, amount: i / 3, flag: i % 2 === 0, status: ['open', 'done', 'in_progress'][i % 3],
      due: `2026-0${i + 1}-15T10:00:00+02:00`, day: `2026-0${i + 1}-01`, month: `2026-0${i + 1}`, labels: ['red', 'green'].slice(0, i % 3), scores: [i, i + 1],
      target: refItems[i % 3].id, ...(i === 0 ? { attachment: attached } : {}),
    }, as),
  );
  const victims = await times(8, (i) => anItem(server, main.systemName, { title: `victim ${i}`, target: refItems[0].id }, as));
  const promises = await promisesFor(server, power, main.systemName, 'attachment', 50);
  const file = (items[0].attachment as { name: string }[] | { name: string })!;
  const fileName = Array.isArray(file) ? file[0].name : file.name;

  const tag = (body: Record<string, unknown>) => ok(server, 'POST', '/api/v1/collection/tags', { ...as, body }) as Promise<{ id: number }>;
  const root = await tag({ name: 'root tag' });
  const tags = [root, await tag({ name: 'child', parent: root.id }), await tag({ name: 'private one', private: true }), await tag({ name: 'Ünïcødé tag' })];
  const doomedTags = await times(6, (i) => tag({ name: `doomed ${i}` }));
  await ok(server, 'POST', '/api/v1/app/tags.assign', { ...as, body: { type: main.systemName, item: items[0].id, operation: 'add', tags: [tags[0].id, tags[1].id] } });

  const b: TestTenant = await aTenant(server);
  const bType = await aType(server, [{ systemName: 'label', kind: 'string' }], { systemName: 'fzb_thing', key: b.admin.key, host: b.host });
  // B's admin needs grants on its own type to reach its items.
  const bMe = await ok(server, 'GET', '/api/v1/app/user.current', { key: b.admin.key, host: b.host });
  const bRole = await aRole(server, ['useApi'], { key: b.admin.key, host: b.host, typePermissions: allGrants(bType.id) });
  const bUser = await ok(server, 'GET', `/api/v1/admin/users/${b.admin.id}`, { key: b.admin.key, host: b.host });
  await ok(server, 'PATCH', `/api/v1/admin/users/${b.admin.id}`, { key: b.admin.key, host: b.host, body: { roles: [...bUser.roles, bRole.id] } });
  const bItems = await times(2, (i) => anItem(server, bType.systemName, { label: `b ${i}` }, { key: b.admin.key, host: b.host }));
  const doomedTenants = await times(2, () => aTenant(server));

  const doomedUsers = await times(6, () => aUser(server, ['useApi']));
  const doomedRoles = await times(4, () => aRole(server, ['useApi']));
  const doomedGroups = await times(4, (i) => ok(server, 'POST', '/api/v1/admin/groups', { ...admin, body: { name: `doomed group ${i}` } }));
  const keyOwner = doomedUsers[0];
  const doomedKeys = await times(8, async () => {
    const created = await ok(server, 'POST', '/api/v1/auth', { body: { user: keyOwner.login, password: keyOwner.password } });
    return created.authToken as { id: number; keyString: string };
  });
  const adminMe = await ok(server, 'GET', '/api/v1/app/user.current', admin);
  const editableProps = (await ok(server, 'GET', `/api/v1/admin/types/${editable.id}`, admin)).properties as { id: number; systemName: string }[];

  const tenantSchemas = (await ok(server, 'GET', '/api/v1/schema/openapi.json', as)).components.schemas as Record<string, JsonSchema>;
  const bSchemas = (await ok(server, 'GET', '/api/v1/schema/openapi.json', { key: b.admin.key, host: b.host })).components.schemas as Record<string, JsonSchema>;
  const schemaOf = new Map<string, ItemTypeBody>(([...types, bType] as ItemTypeBody[]).flatMap((t) => [[t.systemName, t], [String(t.id), t]]));

  const all = new Set<string>(SYSTEM_PERMISSIONS);
  const power_ = (name: string, headers: Record<string, string>): AuthVariant => ({ name, headers, keyTenant: 'A', permissions: all });
  const bHeaders = { host: b.host };
  const validAuths: AuthVariant[] = [
    power_('power(key)', { key: power.key }), power_('power(key)', { key: power.key }), power_('power(key)', { key: power.key }), power_('power(key)', { key: power.key }),
    power_('power(x-api-key)', { 'x-api-key': power.key }), power_('power(bearer)', { authorization: `Bearer ${power.key}` }),
    { name: 'rootAdmin', headers: { key: server.adminKey }, keyTenant: 'A', permissions: new Set(adminMe.permissions) },
    { name: 'reader(useApi, profile)', headers: { key: reader.key }, keyTenant: 'A', permissions: new Set(plain.permissions) },
    // manageTenants acts in the root tenant only.
    { name: 'tenantB-admin', headers: { key: b.admin.key, ...bHeaders }, keyTenant: 'B', permissions: new Set((bMe.permissions as string[]).filter((p) => p !== 'manageTenants')) },
  ];
  const none = new Set<string>();
  const bad = (name: string, headers: Record<string, string>, keyTenant: 'A' | 'B' | null = null): AuthVariant => ({ name, headers, keyTenant, permissions: keyTenant ? all : none });
  const [keyId] = power.key.split(':');
  const invalidAuths: AuthVariant[] = [
    bad('no key', {}), bad('empty key', { key: '' }), bad('garbage key', { key: 'garbage' }), bad('1:', { key: '1:' }), bad(':', { key: ':' }),
    bad('unknown id', { key: '999999999:secret' }), bad('negative id', { key: '-1:x' }), bad('huge id', { key: '99999999999999999999999:x' }),
    bad('wrong secret', { key: `${keyId}:wrong` }), bad('key+x', { key: `${power.key}x` }), bad('long key', { key: 'k'.repeat(600) }),
    bad('latin1 key', { key: 'ÿÿ:ÿ' }), bad('bearer only', { authorization: 'Bearer' }), bad('basic auth', { authorization: 'Basic dXNlcjpwYXNz' }),
    bad('revoked key', { key: revoked.key }), bad('inactive user', { key: lapsed.key }), bad('user past validTo', { key: expiring.key }),
    bad('tenant B key on A', { key: b.admin.key }, 'B'), bad('A key on tenant B', { key: power.key, ...bHeaders }, 'A'),
  ];

  const A = (values: Record<string, string | number>): PathTuple => ({ values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])), tenant: 'A' });
  const B = (values: Record<string, string | number>): PathTuple => ({ ...A(values), tenant: 'B' });
  const collections = [A({ collection: main.systemName }), A({ collection: main.id }), A({ collection: ref.systemName }), A({ collection: logged.systemName }), B({ collection: bType.systemName })];
  const itemTuples = [...items.flatMap((it) => [A({ collection: main.systemName, item: it.id }), A({ collection: main.id, item: it.uuid })]), A({ collection: ref.systemName, item: refItems[0].id }), B({ collection: bType.systemName, item: bItems[0].id })];
  const byTemplate: Record<string, { read: PathTuple[]; write?: PathTuple[]; remove?: PathTuple[] }> = {
    '/collection/{collection}': { read: collections },
    '/collection/{collection}/search': { read: collections },
    '/collection/{collection}/{item}': { read: itemTuples, remove: victims.map((v) => A({ collection: main.systemName, item: v.id })) },
    '/collection/{collection}/{item}/relation/{relationType}/{relationRole}': { read: [A({ collection: main.systemName, item: items[0].id, relationType: 'parent', relationRole: 'child' })] },
    '/collection/{collection}/get-by/{property}/{item}': {
      read: [['title', 'alpha'], ['id', items[1].id], ['uuid', items[2].uuid], ['code', 'c3'], ['count', 10], ['amount', items[3].amount], ['flag', 'true'], ['status', 'done'], ['due', items[0].due], ['day', '2026-02-01'], ['month', '2026-03'], ['labels', 'red'], ['scores', 2], ['target', refItems[0].id], ['attachment', fileName]]
        .map(([property, item]) => A({ collection: main.systemName, property, item })).concat([B({ collection: bType.systemName, property: 'label', item: 'b 0' })]),
    },
    '/schema/{collection}': { read: collections },
    '/admin/types/{typeId}': { read: types.map((t) => A({ typeId: t.id })).concat([B({ typeId: bType.id })]), write: [A({ typeId: editable.id })], remove: doomed.map((t) => A({ typeId: t.id })) },
    '/admin/types/{typeId}/properties': { read: [A({ typeId: editable.id })] },
    '/admin/types/{typeId}/properties/{propertyId}': { read: editableProps.map((p) => A({ typeId: editable.id, propertyId: p.id })) },
    '/admin/tenants/{tenantId}': { read: [{ values: { tenantId: String(b.id) }, tenant: null }], write: doomedTenants.map((t) => ({ values: { tenantId: String(t.id) }, tenant: null })) },
    '/admin/users/{userId}': { read: [A({ userId: power.id }), A({ userId: reader.id }), B({ userId: b.admin.id })], write: doomedUsers.slice(1).map((u) => A({ userId: u.id })) },
    '/admin/groups/{groupId}': { read: doomedGroups.map((g) => A({ groupId: g.id })) },
    '/admin/roles/{roleId}': { read: [A({ roleId: power.roleId }), B({ roleId: bRole.id })], write: doomedRoles.map((r) => A({ roleId: r.id })) },
    '/admin/keys/{keyId}': { read: doomedKeys.slice(4).map((k) => A({ keyId: k.id })) },
    '/collection/tags/{item}': { read: tags.map((t) => A({ item: t.id })), remove: doomedTags.map((t) => A({ item: t.id })) },
    '/upload/{typeId}/{propertyId}': { read: [A({ typeId: main.systemName, propertyId: 'attachment' }), A({ typeId: main.id, propertyId: 'gallery' }), A({ typeId: main.systemName, propertyId: 'title' }), A({ typeId: editable.systemName, propertyId: 'p4' })] },
    '/files/{collection}/{item}/{property}/{name}': { read: [A({ collection: main.systemName, item: items[0].id, property: 'attachment', name: fileName }), A({ collection: main.id, item: items[0].uuid, property: 'attachment', name: fileName })] },
  };

  const pick = (...values: unknown[]) => fc.constantFrom(...values);
  const isoDates = pick('2026-05-22T09:00:00+02:00', '2026-05-22 09:00:00', '2026-05-22', '1970-01-01T00:00:00Z', '2099-12-31T23:59:59.999Z');
  const hints: Hints = {
    typeId: pick(main.id, ref.id, logged.id), itemId: pick(...items.map((i) => i.id)), userId: pick(power.id, reader.id, keyOwner.id),
    property: pick(...PROPERTY_NAMES), orderBy: pick(...PROPERTY_NAMES), showFields: pick('title', 'title,count', 'status,labels,attachment', 'id'), hideFields: pick('title', 'notes,due'),
    wrapFields: pick('status', 'title,labels'), propsMeta: pick('true', 'title,status'), search: pick('child', 'tag', 'Ü'),
    tags: pick([tags[0].id], [tags[0].id, tags[1].id], [tags[2].id], [tags[3].id]), parent: pick(tags[0].id, 0, 'root', null),
    type: pick(main.systemName, main.id), item: pick(...items.map((i) => i.id), items[1].uuid),
    key: pick(...doomedKeys.slice(0, 4).map((k) => k.keyString)), user: pick(power.login, keyOwner.login), roles: pick([doomedRoles[0].id], [doomedRoles[1].id, doomedRoles[2].id]),
    groups: pick([doomedGroups[0].id]), users: pick([doomedUsers[1].id], [doomedUsers[2].id, doomedUsers[3].id]), referenceType: pick(ref.id, ref.systemName),
    timezone: pick('Europe/Prague', 'UTC', 'America/New_York'), defaultTimeZone: pick('UTC', 'Asia/Tokyo'), valid: pick('2030-01-01', '2030-01-01 10:00:00', '9999-12-31'),
    validFrom: isoDates, validTo: pick('2099-12-31T23:59:59Z', '2030-01-01'),
    param: fc.oneof(pick('alpha', 'open', 'c1', '2026-03-01', '2026-03', '2026-02-15T10:00:00+02:00', 5, 1.5, true, null), fc.constant(['open', 'done']), fc.constant([0, 10]), fc.constant(['2026-01-01', '2026-12-31'])),
    due: isoDates, day: pick('2026-05-22', '2026-02-28'), month: pick('2026-05', '1999-12'), target: pick(...refItems.map((r) => r.id), refItems[0].uuid),
    attachment: fc.oneof(fc.constantFrom(...promises), fc.constant(null)), gallery: fc.oneof(fc.constantFrom(...promises).map((p) => [p]), fc.constant([])),
    code: fc.oneof({ weight: 5, arbitrary: fc.uuid() }, { weight: 1, arbitrary: pick('c1') }),
    '@createApiKey': pick({ user: power.login, password: power.password }, { user: reader.login, password: reader.password, valid: '2030-01-01', description: 'fuzz' }, { user: keyOwner.login }),
    '@revokeApiKey': fc.constantFrom(...doomedKeys.slice(0, 4).map((k) => ({ key: k.keyString }))),
    // Valid combinations the schema alone rarely finds (kind-specific fields, fresh names).
    '@createProperty': fc.record({ systemName: fc.stringMatching(/^q[a-z0-9_]{3,12}$/), kind: fc.constantFrom('string', 'text', 'integer', 'number', 'boolean', 'date', 'datetime', 'month', 'file') }, { requiredKeys: ['systemName', 'kind'] }),
    '@updateProperty': fc.record({ name: fc.string({ minLength: 1, maxLength: 30 }) }),
  };

  return {
    validAuths,
    invalidAuths,
    hints,
    tenantOf: (host) => (host === b.host ? 'B' : 'A'),
    async recheck(auth, tenant) {
      const headers = { ...auth.headers, ...(tenant === 'B' ? bHeaders : {}) };
      delete (headers as { host?: string }).host;
      const me = await server.request('GET', '/api/v1/app/user.current', { headers, host: tenant === 'B' ? b.host : undefined });
      if (me.status !== 200) return { keyValid: false, permissions: none };
      return { keyValid: true, permissions: new Set((me.body.permissions as string[]).filter((p) => tenant === 'A' || p !== 'manageTenants')) };
    },
    tuples(operation) {
      const entry = byTemplate[operation.template];
      if (!entry) return [];
      if (operation.method === 'DELETE') return entry.remove ?? entry.write ?? entry.read;
      if (operation.method === 'PATCH' || operation.method === 'PUT') return entry.write ?? entry.read;
      return entry.read;
    },
    itemSchema(collection, patch) {
      const type = schemaOf.get(collection);
      if (!type) return undefined;
      const schemas = type.systemName === bType.systemName ? bSchemas : tenantSchemas;
      return schemas[`${pascal(type.systemName)}${patch ? 'Patch' : 'Input'}`];
    },
  };
}
