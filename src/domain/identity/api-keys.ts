// API keys: issue from credentials (or for others with generateOthersApiKeys), status, revoke.
// The key string `<publicId>:<secret>` is returned once; only sha256(secret) is stored.
import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/database.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import type { ApiKey } from '../../../generated/prisma-sqlite/client.ts';
import { Errors } from '../../errors/registry.ts';
import { randomToken, safeEqualHex, sha256Hex, verifyPassword } from '../../lib/crypto.ts';
import { parseInstant } from '../../lib/dates.ts';
import type { LoginThrottle } from '../../rate-limit/login-throttle.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { identityWrite } from './identity-write.ts';
import { assertMayActOn } from './membership.ts';
import { exceeds } from './permissions.ts';
import { assertUsable, effectiveRoles, splitKey, KEY_SEPARATOR, WITH_EFFECTIVE_ROLES, type Principal } from './principal.ts';
import type { TenantContext } from './tenant.ts';

export const DEFAULT_KEY_VALID_TO = '9999-12-31';

export interface IssuedKey {
  row: ApiKey;
  keyString: string;
  timeZone: string;
}

export interface KeyRequest {
  user: string;
  password?: string;
  valid?: string;
  description?: string;
}

export async function issueKey(db: Db, tenantId: number, userId: number, validTo: Date, description: string) {
  const publicId = randomBytes(8).toString('hex');
  const secret = randomToken(32);
  const row = await db.apiKey.create({
    data: { tenantId, userId, publicId, secretHash: sha256Hex(secret), validTo, description },
  });
  return { row, keyString: `${publicId}${KEY_SEPARATOR}${secret}` };
}

export class ApiKeys {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly identity: IdentityResolver,
    private readonly logins: LoginThrottle,
  ) {}

  /** POST /auth from client `address`. `caller` is the principal of a key sent along, if any. */
  async createFromCredentials(tenant: TenantContext, input: KeyRequest, caller: Principal | null, address: string): Promise<IssuedKey> {
    const login = input.user.trim().toLowerCase();
    await this.logins.admit(`${tenant.id}:${login}`, address);
    const user = await this.db.user.findUnique({
      where: { tenantId_login: { tenantId: tenant.id, login } },
      include: WITH_EFFECTIVE_ROLES,
    });
    const effective = user ? effectiveRoles(user) : null;
    if (input.password !== undefined && input.password !== '') {
      if (!(await verifyPassword(input.password, user?.passwordHash))) throw Errors.invalidCredentials();
    } else if (!caller || !caller.permissions.has('generateOthersApiKeys')) {
      throw Errors.invalidCredentials();
    } else if (!user) {
      throw Errors.notFound({ what: 'User', id: login });
    } else {
      // A key without the password is the account: only a peer may mint one for a superuser,
      // and no key may carry more than the caller holds, or generateOthersApiKeys would lead to
      // every permission of the tenant (an operator's key first, then the operator role).
      const peer = tenant.isRoot && caller.permissions.has('manageTenants');
      if (!peer && effective!.permissions.has('manageTenants')) throw Errors.permissionDenied({ permission: 'manageTenants' });
      if (exceeds(effective!, caller)) throw Errors.keyExceedsCaller({ login });
    }
    if (!user) throw Errors.invalidCredentials();

    const now = new Date();
    if (!user.active || !user.verified) throw Errors.userInactive();
    if ((user.validFrom && now < user.validFrom) || (user.validTo && now >= user.validTo)) throw Errors.userOutsideValidity();
    if (!effective!.permissions.has('useApi')) throw Errors.permissionDenied({ permission: 'useApi' });

    const timeZone = user.timezone ?? tenant.settings.defaultTimeZone;
    const validTo = parseInstant(input.valid ?? DEFAULT_KEY_VALID_TO, timeZone);
    if (!validTo) throw Errors.validationFailed(undefined, { details: [{ path: 'body.valid', message: 'must be a date or date-time (ISO 8601)' }] });
    if (validTo <= now) throw Errors.validationFailed(undefined, { details: [{ path: 'body.valid', message: 'must be in the future' }] });

    const issued = await issueKey(this.db, tenant.id, user.id, validTo, input.description ?? 'Login via API');
    return { ...issued, timeZone };
  }

  /** POST /deauth: possession of the key string is the authorisation. */
  async revokeKeyString(tenant: TenantContext, keyString: string): Promise<void> {
    const parts = splitKey(keyString);
    const key = parts ? await this.db.apiKey.findUnique({ where: { publicId: parts.publicId } }) : null;
    if (!key || !parts || key.tenantId !== tenant.id || key.revokedAt !== null || !safeEqualHex(sha256Hex(parts.secret), key.secretHash)) {
      throw Errors.apiKeyInvalid();
    }
    await identityWrite(this.unitOfWork, this.identity, { tenantId: tenant.id }, 'API key', (tx) => tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } }));
  }

  /** GET /auth: `valid` only when the key would pass authentication now. */
  status(principal: Principal | null): { valid: boolean; validTo: Date | null } {
    if (!principal) return { valid: false, validTo: null };
    try {
      assertUsable(principal, new Date());
    } catch {
      return { valid: false, validTo: null };
    }
    return principal.permissions.has('useApi') ? { valid: true, validTo: principal.keyValidTo } : { valid: false, validTo: null };
  }

  async list(tenantId: number, filter: { userId?: number; includeRevoked?: boolean }) {
    return this.db.apiKey.findMany({
      where: { tenantId, userId: filter.userId, revokedAt: filter.includeRevoked ? undefined : null },
      orderBy: { id: 'asc' },
    });
  }

  /** DELETE /admin/keys/{id}: a superuser's key only by a peer (revoking it disarms them). */
  async revokeById(tenantId: number, id: number, mayGrantTenants = false): Promise<void> {
    const key = await this.db.apiKey.findFirst({ where: { id, tenantId, revokedAt: null }, select: { userId: true } });
    if (!key) throw Errors.notFound({ what: 'API key', id });
    await assertMayActOn(this.db, tenantId, key.userId, mayGrantTenants);
    await identityWrite(this.unitOfWork, this.identity, { tenantId }, 'API key', async (tx) => {
      const { count } = await tx.apiKey.updateMany({ where: { id, tenantId, revokedAt: null }, data: { revokedAt: new Date() } });
      if (count === 0) throw Errors.notFound({ what: 'API key', id });
    });
  }
}
