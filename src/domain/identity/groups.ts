// Groups of a tenant: members inherit the group's roles.
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { identityWrite } from './identity-write.ts';
import { assertMayAssignRoles, assertOwnedIds } from './membership.ts';

export interface GroupInput {
  name?: string;
  roles?: number[];
  users?: number[];
}

const WITH_MEMBERS = { roles: { select: { roleId: true } }, users: { select: { userId: true } } } as const;

export class Groups {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly identity: IdentityResolver,
  ) {}

  list(tenantId: number) {
    return this.db.group.findMany({ where: { tenantId }, include: WITH_MEMBERS, orderBy: { id: 'asc' } });
  }

  async get(tenantId: number, id: number) {
    const group = await this.db.group.findFirst({ where: { tenantId, id }, include: WITH_MEMBERS });
    if (!group) throw Errors.notFound({ what: 'Group', id });
    return group;
  }

  async create(tenantId: number, input: GroupInput & { name: string }, mayGrantTenants = false) {
    await this.checkMembers(tenantId, input, mayGrantTenants);
    return identityWrite(this.unitOfWork, this.identity, { tenantId }, 'Group', (tx) =>
      tx.group.create({
        data: {
          tenantId,
          name: input.name,
          roles: { create: (input.roles ?? []).map((roleId) => ({ roleId })) },
          users: { create: (input.users ?? []).map((userId) => ({ userId })) },
        },
        include: WITH_MEMBERS,
      }),
    );
  }

  async update(tenantId: number, id: number, input: GroupInput, mayGrantTenants = false) {
    const current = await this.get(tenantId, id);
    // A group that carries manageTenants is a superuser's: only a peer may change it (its
    // roles, its members or its name), as only a peer may change a superuser's account.
    await assertMayAssignRoles(this.db, tenantId, current.roles.map((r) => r.roleId), mayGrantTenants);
    await this.checkMembers(tenantId, input, mayGrantTenants);
    return identityWrite(this.unitOfWork, this.identity, { tenantId }, 'Group', async (tx) => {
      if (input.roles) {
        await tx.groupRole.deleteMany({ where: { groupId: id } });
        await tx.groupRole.createMany({ data: input.roles.map((roleId) => ({ groupId: id, roleId })) });
      }
      if (input.users) {
        await tx.userGroup.deleteMany({ where: { groupId: id } });
        await tx.userGroup.createMany({ data: input.users.map((userId) => ({ groupId: id, userId })) });
      }
      return tx.group.update({ where: { id }, data: input.name ? { name: input.name } : {}, include: WITH_MEMBERS });
    });
  }

  async delete(tenantId: number, id: number, mayGrantTenants = false) {
    const current = await this.get(tenantId, id);
    await assertMayAssignRoles(this.db, tenantId, current.roles.map((r) => r.roleId), mayGrantTenants);
    await identityWrite(this.unitOfWork, this.identity, { tenantId }, 'Group', async (tx) => {
      const { count } = await tx.group.deleteMany({ where: { tenantId, id } });
      if (count === 0) throw Errors.notFound({ what: 'Group', id });
    });
  }

  private async checkMembers(tenantId: number, input: GroupInput, mayGrantTenants: boolean) {
    await assertOwnedIds(this.db, 'role', tenantId, input.roles, 'body.roles');
    await assertOwnedIds(this.db, 'user', tenantId, input.users, 'body.users');
    await assertMayAssignRoles(this.db, tenantId, input.roles, mayGrantTenants);
  }
}
