// Operator management from the shell, through the same domain services as the API:
//   npm run admin -- <command> [--option value ...]      (npm run admin -- help)
// Uses DATABASE_URL (and REDIS_URL, so running servers see changes on their next request).
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/store/database.ts';
import { UnitOfWork } from '../src/store/unit-of-work.ts';
import { applyMigrations } from '../src/store/migrate.ts';
import { connectRedis, memoryGenerations, redisGenerations } from '../src/cache/shared-state.ts';
import { IdentityResolver } from '../src/domain/identity/identity-resolver.ts';
import { Tenants } from '../src/domain/identity/tenants.ts';
import { dropTenantFiles } from '../src/domain/files/files-service.ts';
import { LocalFileStorage } from '../src/store/files/file-storage.ts';
import { Users } from '../src/domain/identity/users.ts';
import { Groups } from '../src/domain/identity/groups.ts';
import { Roles } from '../src/domain/identity/roles.ts';
import { issueKey } from '../src/domain/identity/api-keys.ts';
import { bootstrapIfEmpty } from '../src/domain/identity/bootstrap.ts';
import { bootstrapNotice } from '../src/bootstrap-notice.ts';
import { isPermission, type Permission } from '../src/domain/identity/permissions.ts';
import { parseInstant } from '../src/lib/dates.ts';
import { AppError } from '../src/errors/define-error.ts';
import { projectApiKey, projectGroup, projectRole, projectTenant, projectUser } from '../src/projection/identity.ts';

const HELP = `Commands (every one takes --tenant <slug>, default: the root tenant):
  tenants:list
  tenants:create  --slug s --name n [--host h ...] [--admin-login e --admin-password p]
  tenants:update  --id n [--name n] [--host h ...] [--timezone Z] [--max-page-length n]
  tenants:delete  --id n
  users:list
  users:create    --login e --name n [--password p] [--role id ...] [--group id ...] [--timezone Z]
  users:update    --id n [--password p] [--active true|false] [--verified true|false] [--role id ...] [--group id ...]
  users:delete    --id n
  groups:list | groups:create --name n [--role id ...] [--user id ...] | groups:delete --id n
  roles:list | roles:create --name n [--permission p ...] | roles:update --id n [--permission p ...] | roles:delete --id n
  keys:list       [--user id]
  keys:create     --login e [--valid 2030-12-31] [--description d]   (prints the key once)
  keys:revoke     --id n`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: 'string' }, id: { type: 'string' }, slug: { type: 'string' }, name: { type: 'string' },
    host: { type: 'string', multiple: true }, 'admin-login': { type: 'string' }, 'admin-password': { type: 'string' },
    timezone: { type: 'string' }, 'max-page-length': { type: 'string' }, login: { type: 'string' }, password: { type: 'string' },
    role: { type: 'string', multiple: true }, group: { type: 'string', multiple: true }, user: { type: 'string', multiple: true },
    permission: { type: 'string', multiple: true }, active: { type: 'string' }, verified: { type: 'string' },
    valid: { type: 'string' }, description: { type: 'string' },
  },
});

const command = positionals[0] ?? 'help';
if (command === 'help') {
  console.log(HELP);
  process.exit(0);
}

const config = loadConfig();
await applyMigrations(config.databaseUrl);
const database = await openDatabase({ databaseUrl: config.databaseUrl });
const redis = config.redisUrl ? connectRedis(config.redisUrl, (error) => console.error('redis:', error)) : null;
// Changes must reach running servers through Redis: wait (briefly) for the connection.
if (redis) await new Promise((resolve) => (redis.once('ready', resolve), setTimeout(resolve, 3000).unref()));
const generations = redis ? redisGenerations(redis, config.redisPrefix, () => undefined) : memoryGenerations();
const db = database.prisma;
const identity = new IdentityResolver(db, generations, true);
const unitOfWork = new UnitOfWork(db, (error) => console.error('after-commit hook failed (the change had committed):', error));
const tenants = new Tenants(db, unitOfWork, identity, (tenantId) => dropTenantFiles(db, new LocalFileStorage(config.filesDir), tenantId));
const users = new Users(db, unitOfWork, identity);
const groups = new Groups(db, unitOfWork, identity);
const roles = new Roles(db, unitOfWork, identity);
const ZONE = 'UTC';
const bootstrap = await bootstrapIfEmpty(db, tenants, { email: config.adminEmail, password: config.adminPassword });
if (bootstrap) console.error(bootstrapNotice(bootstrap, null));

const ids = (list: string[] | undefined) => list?.map(Number);
const flag = (value: string | undefined) => (value === undefined ? undefined : value === 'true');
const need = (name: keyof typeof values) => {
  const value = values[name];
  if (value === undefined) throw new Error(`--${name} is required for ${command}`);
  return value as string;
};
const id = () => Number(need('id'));
const permissions = () => {
  const list = values.permission ?? [];
  const unknown = list.filter((p) => !isPermission(p));
  if (unknown.length) throw new Error(`unknown permission(s): ${unknown.join(', ')}`);
  return list as Permission[];
};

async function tenant() {
  const row = values.tenant
    ? await db.tenant.findUnique({ where: { slug: values.tenant } })
    : await db.tenant.findFirst({ where: { isRoot: true } });
  if (!row) throw new Error(`no tenant ${values.tenant ?? '(root)'}`);
  return row;
}

const commands: Record<string, () => Promise<unknown>> = {
  'tenants:list': async () => (await tenants.list()).map((t) => projectTenant(t, ZONE)),
  'tenants:create': async () => {
    const admin = values['admin-login'] ? { login: values['admin-login'], password: need('admin-password') } : undefined;
    return projectTenant(await tenants.create({ slug: need('slug'), name: need('name'), hosts: values.host, admin }), ZONE);
  },
  'tenants:update': async () => {
    const settings = {
      ...(values.timezone ? { defaultTimeZone: values.timezone } : {}),
      ...(values['max-page-length'] ? { apiMaxPageLength: Number(values['max-page-length']) } : {}),
    };
    return projectTenant(await tenants.update(id(), { name: values.name, hosts: values.host, settings }), ZONE);
  },
  'tenants:delete': async () => tenants.delete(id()),
  'users:list': async () => (await users.list((await tenant()).id)).map((u) => projectUser(u, ZONE)),
  'users:create': async () => {
    const t = await tenant();
    const created = await users.create(t.id, { login: need('login'), name: need('name'), password: values.password, roles: ids(values.role), groups: ids(values.group), timezone: values.timezone }, ZONE, true);
    return projectUser(created, ZONE);
  },
  'users:update': async () => {
    const t = await tenant();
    const patch = { password: values.password, active: flag(values.active), verified: flag(values.verified), roles: ids(values.role), groups: ids(values.group), timezone: values.timezone };
    return projectUser(await users.update(t.id, id(), patch, ZONE, true), ZONE);
  },
  'users:delete': async () => users.delete((await tenant()).id, id(), 0, true),
  'groups:list': async () => (await groups.list((await tenant()).id)).map(projectGroup),
  'groups:create': async () => projectGroup(await groups.create((await tenant()).id, { name: need('name'), roles: ids(values.role), users: ids(values.user) }, true)),
  'groups:delete': async () => groups.delete((await tenant()).id, id()),
  'roles:list': async () => (await roles.list((await tenant()).id)).map(projectRole),
  'roles:create': async () => {
    const t = await tenant();
    return projectRole(await roles.create(t.id, t.isRoot, { name: need('name'), permissions: permissions() }, true));
  },
  'roles:update': async () => {
    const t = await tenant();
    return projectRole(await roles.update(t.id, t.isRoot, id(), { name: values.name, permissions: values.permission ? permissions() : undefined }, true));
  },
  'roles:delete': async () => roles.delete((await tenant()).id, id(), true),
  'keys:list': async () => {
    const t = await tenant();
    const rows = await db.apiKey.findMany({ where: { tenantId: t.id, userId: values.user ? Number(values.user[0]) : undefined }, orderBy: { id: 'asc' } });
    return rows.map((k) => projectApiKey(k, ZONE));
  },
  'keys:create': async () => {
    const t = await tenant();
    const user = await db.user.findUnique({ where: { tenantId_login: { tenantId: t.id, login: need('login').toLowerCase() } } });
    if (!user) throw new Error(`no user ${values.login} in tenant ${t.slug}`);
    const validTo = parseInstant(values.valid ?? '9999-12-31', user.timezone ?? t.defaultTimeZone);
    if (!validTo) throw new Error('--valid must be a date or date-time');
    const { row, keyString } = await issueKey(db, t.id, user.id, validTo, values.description ?? 'Created from the shell');
    return { ...projectApiKey(row, ZONE), keyString };
  },
  'keys:revoke': async () => {
    const t = await tenant();
    const { count } = await db.apiKey.updateMany({ where: { id: id(), tenantId: t.id, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count === 0) throw new Error(`no active key ${values.id} in tenant ${t.slug}`);
    await identity.changed(t.id);
    return { revoked: id() };
  },
};

let exitCode = 0;
try {
  const run = commands[command];
  if (!run) throw new Error(`unknown command "${command}"\n${HELP}`);
  const result = await run();
  console.log(JSON.stringify(result ?? { ok: true }, null, 2));
} catch (error) {
  const detail = error instanceof AppError && error.details ? ` ${JSON.stringify(error.details)}` : '';
  console.error(`${command}: ${(error as Error).message}${detail}`);
  exitCode = 1;
} finally {
  await database.close();
  if (redis) await redis.quit().catch(() => undefined);
}
process.exit(exitCode);
