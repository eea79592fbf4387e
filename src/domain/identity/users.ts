// Users of a tenant: operator CRUD. Role and group memberships are replaced as a whole.
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import { hashPassword } from '../../lib/crypto.ts';
import { isValidTimeZone, parseInstant } from '../../lib/dates.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { identityWrite } from './identity-write.ts';
import { assertMayActOn, assertMayAssignRoles, assertOwnedIds } from './membership.ts';

export interface UserInput {
  login?: string;
  name?: string;
  password?: string;
  timezone?: string | null;
  active?: boolean;
  verified?: boolean;
  validFrom?: string | null;
  validTo?: string | null;
  roles?: number[];
  groups?: number[];
}

const WITH_MEMBERSHIP = { roles: { select: { roleId: true } }, groups: { select: { groupId: true } } } as const;

export class Users {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly identity: IdentityResolver,
  ) {}

  list(tenantId: number) {
    return this.db.user.findMany({ where: { tenantId }, include: WITH_MEMBERSHIP, orderBy: { id: 'asc' } });
  }

  async get(tenantId: number, id: number) {
    const user = await this.db.user.findFirst({ where: { tenantId, id }, include: WITH_MEMBERSHIP });
    if (!user) throw Errors.notFound({ what: 'User', id });
    return user;
  }

  async create(tenantId: number, input: UserInput & { login: string; name: string }, zone: string, mayGrantTenants = false) {
    const data = await this.prepare(tenantId, input, zone, mayGrantTenants);
    return identityWrite(this.unitOfWork, this.identity, { tenantId }, 'User', (tx) =>
      tx.user.create({
        data: {
          ...data,
          tenantId,
          login: input.login.toLowerCase(),
          name: input.name,
          roles: { create: (input.roles ?? []).map((roleId) => ({ roleId })) },
          groups: { create: (input.groups ?? []).map((groupId) => ({ groupId })) },
        },
        include: WITH_MEMBERSHIP,
      }),
    );
  }

  async update(tenantId: number, id: number, input: UserInput, zone: string, mayGrantTenants = false) {
    await this.get(tenantId, id);
    await assertMayActOn(this.db, tenantId, id, mayGrantTenants);
    const data = await this.prepare(tenantId, input, zone, mayGrantTenants);
    return identityWrite(this.unitOfWork, this.identity, { tenantId }, 'User', async (tx) => {
      if (input.roles) {
        await tx.userRole.deleteMany({ where: { userId: id } });
        await tx.userRole.createMany({ data: input.roles.map((roleId) => ({ userId: id, roleId })) });
      }
      if (input.groups) {
        await tx.userGroup.deleteMany({ where: { userId: id } });
        await tx.userGroup.createMany({ data: input.groups.map((groupId) => ({ userId: id, groupId })) });
      }
      // A verification challenge is bound to the address it was sent to: a new login revokes it.
      if (input.login) await tx.verificationChallenge.updateMany({ where: { userId: id, state: 'open', NOT: { email: input.login.toLowerCase() } }, data: { state: 'revoked' } });
      return tx.user.update({
        where: { id },
        data: { ...data, ...(input.login ? { login: input.login.toLowerCase() } : {}), ...(input.name ? { name: input.name } : {}) },
        include: WITH_MEMBERSHIP,
      });
    });
  }

  async delete(tenantId: number, id: number, actingUserId: number, mayGrantTenants = false) {
    if (id === actingUserId) throw Errors.badRequest({ message: 'A user cannot delete themself' });
    await assertMayActOn(this.db, tenantId, id, mayGrantTenants);
    await identityWrite(this.unitOfWork, this.identity, { tenantId }, 'User', async (tx) => {
      const { count } = await tx.user.deleteMany({ where: { tenantId, id } });
      if (count === 0) throw Errors.notFound({ what: 'User', id });
    });
  }

  /** Validates and converts the scalar fields; membership ids must belong to the tenant. */
  private async prepare(tenantId: number, input: UserInput, zone: string, mayGrantTenants: boolean) {
    const details: { path: string; message: string }[] = [];
    const instant = (field: 'validFrom' | 'validTo') => {
      const value = input[field];
      if (value === undefined || value === null) return value;
      const parsed = parseInstant(value, zone);
      if (!parsed) details.push({ path: `body.${field}`, message: 'must be an ISO 8601 date or date-time' });
      return parsed ?? undefined;
    };
    if (input.timezone && !isValidTimeZone(input.timezone)) details.push({ path: 'body.timezone', message: 'must be an IANA time zone' });
    const validFrom = instant('validFrom');
    const validTo = instant('validTo');
    if (details.length) throw Errors.validationFailed(undefined, { details });
    await assertOwnedIds(this.db, 'role', tenantId, input.roles, 'body.roles');
    await assertOwnedIds(this.db, 'group', tenantId, input.groups, 'body.groups');
    await assertMayAssignRoles(this.db, tenantId, input.roles, mayGrantTenants);
    if (!mayGrantTenants && input.groups?.length) {
      const groupRoles = await this.db.groupRole.findMany({ where: { groupId: { in: input.groups } }, select: { roleId: true } });
      await assertMayAssignRoles(this.db, tenantId, groupRoles.map((g) => g.roleId), false);
    }
    return {
      ...(input.password !== undefined ? { passwordHash: await hashPassword(input.password) } : {}),
      ...(input.timezone !== undefined ? { timezone: input.timezone } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
      ...(input.verified !== undefined ? { verified: input.verified } : {}),
      ...(validFrom !== undefined ? { validFrom } : {}),
      ...(validTo !== undefined ? { validTo } : {}),
    };
  }
}
