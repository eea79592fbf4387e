// Roles of a tenant: system permissions plus per-type grants (show, create, edit, delete).
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { identityWrite } from './identity-write.ts';
import { assertOwnedIds } from './membership.ts';
import { parsePermissions, type Permission } from './permissions.ts';

export interface TypePermissionInput {
  typeId: number;
  show?: boolean;
  create?: boolean;
  edit?: boolean;
  delete?: boolean;
}

export interface RoleInput {
  name?: string;
  permissions?: Permission[];
  typePermissions?: TypePermissionInput[];
}

const WITH_GRANTS = { typePermissions: { orderBy: { typeId: 'asc' } } } as const;

function grantRows(input: TypePermissionInput[]) {
  return input.map((g) => ({
    typeId: g.typeId,
    canShow: g.show ?? false,
    canCreate: g.create ?? false,
    canEdit: g.edit ?? false,
    canDelete: g.delete ?? false,
  }));
}

export class Roles {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly identity: IdentityResolver,
  ) {}

  list(tenantId: number) {
    return this.db.role.findMany({ where: { tenantId }, include: WITH_GRANTS, orderBy: { id: 'asc' } });
  }

  async get(tenantId: number, id: number) {
    const role = await this.db.role.findFirst({ where: { tenantId, id }, include: WITH_GRANTS });
    if (!role) throw Errors.notFound({ what: 'Role', id });
    return role;
  }

  async create(tenantId: number, tenantIsRoot: boolean, input: RoleInput & { name: string }, mayGrantTenants = false) {
    await this.check(tenantId, tenantIsRoot, input, mayGrantTenants);
    return identityWrite(this.unitOfWork, this.identity, { tenantId }, 'Role', (tx) =>
      tx.role.create({
        data: {
          tenantId,
          name: input.name,
          permissions: JSON.stringify(input.permissions ?? []),
          typePermissions: { create: grantRows(input.typePermissions ?? []) },
        },
        include: WITH_GRANTS,
      }),
    );
  }

  async update(tenantId: number, tenantIsRoot: boolean, id: number, input: RoleInput, mayGrantTenants = false) {
    const current = await this.get(tenantId, id);
    await this.check(tenantId, tenantIsRoot, input, mayGrantTenants);
    if (!mayGrantTenants && input.permissions && parsePermissions(current.permissions).includes('manageTenants')) {
      throw Errors.permissionDenied({ permission: 'manageTenants' });
    }
    return identityWrite(this.unitOfWork, this.identity, { tenantId }, 'Role', async (tx) => {
      if (input.typePermissions) {
        await tx.roleTypePermission.deleteMany({ where: { roleId: id } });
        await tx.roleTypePermission.createMany({ data: grantRows(input.typePermissions).map((g) => ({ ...g, roleId: id })) });
      }
      return tx.role.update({
        where: { id },
        data: {
          ...(input.name ? { name: input.name } : {}),
          ...(input.permissions ? { permissions: JSON.stringify(input.permissions) } : {}),
        },
        include: WITH_GRANTS,
      });
    });
  }

  async delete(tenantId: number, id: number, mayGrantTenants = false) {
    const role = await this.get(tenantId, id);
    if (!mayGrantTenants && parsePermissions(role.permissions).includes('manageTenants')) throw Errors.permissionDenied({ permission: 'manageTenants' });
    await identityWrite(this.unitOfWork, this.identity, { tenantId }, 'Role', async (tx) => {
      const { count } = await tx.role.deleteMany({ where: { tenantId, id } });
      if (count === 0) throw Errors.notFound({ what: 'Role', id });
    });
  }

  private async check(tenantId: number, tenantIsRoot: boolean, input: RoleInput, mayGrantTenants: boolean) {
    if (!tenantIsRoot && input.permissions?.includes('manageTenants')) {
      throw Errors.validationFailed(undefined, {
        details: [{ path: 'body.permissions', message: 'manageTenants can only be granted in the root tenant' }],
      });
    }
    if (!mayGrantTenants && input.permissions?.includes('manageTenants')) throw Errors.permissionDenied({ permission: 'manageTenants' });
    const typeIds = input.typePermissions?.map((g) => g.typeId);
    if (typeIds && new Set(typeIds).size !== typeIds.length) {
      throw Errors.validationFailed(undefined, { details: [{ path: 'body.typePermissions', message: 'names a type twice' }] });
    }
    await assertOwnedIds(this.db, 'itemType', tenantId, typeIds, 'body.typePermissions');
  }
}
