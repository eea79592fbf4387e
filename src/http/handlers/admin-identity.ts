// Operator management of the calling tenant's users, groups, roles and keys.
import { projectApiKey, projectGroup, projectRole, projectUser } from '../../projection/identity.ts';
import type { AuthedScope, OperationHandler } from '../types.ts';

export const listUsers: OperationHandler<'listUsers'> = async (_input, { services, tenant, principal }) => ({
  status: 200,
  body: { data: (await services.users.list(tenant.id)).map((u) => projectUser(u, principal.timeZone)) },
});

/** Only a holder of manageTenants (root tenant) may hand it on, directly or through a role. */
const mayGrantTenants = (scope: AuthedScope) => scope.tenant.isRoot && scope.principal.permissions.has('manageTenants');

export const createUser: OperationHandler<'createUser'> = async ({ body }, scope) => ({
  status: 201,
  body: projectUser(await scope.services.users.create(scope.tenant.id, body, scope.principal.timeZone, mayGrantTenants(scope)), scope.principal.timeZone),
});

export const getUser: OperationHandler<'getUser'> = async ({ params }, { services, tenant, principal }) => ({
  status: 200,
  body: projectUser(await services.users.get(tenant.id, params.userId), principal.timeZone),
});

export const updateUser: OperationHandler<'updateUser'> = async ({ params, body }, scope) => ({
  status: 200,
  body: projectUser(
    await scope.services.users.update(scope.tenant.id, params.userId, body, scope.principal.timeZone, mayGrantTenants(scope)),
    scope.principal.timeZone,
  ),
});

export const deleteUser: OperationHandler<'deleteUser'> = async ({ params }, { services, tenant, principal }) => {
  await services.users.delete(tenant.id, params.userId, principal.userId, tenant.isRoot && principal.permissions.has('manageTenants'));
  return { status: 204, body: undefined };
};

export const listGroups: OperationHandler<'listGroups'> = async (_input, { services, tenant }) => ({
  status: 200,
  body: { data: (await services.groups.list(tenant.id)).map(projectGroup) },
});

export const createGroup: OperationHandler<'createGroup'> = async ({ body }, scope) => ({
  status: 201,
  body: projectGroup(await scope.services.groups.create(scope.tenant.id, body, mayGrantTenants(scope))),
});

export const getGroup: OperationHandler<'getGroup'> = async ({ params }, { services, tenant }) => ({
  status: 200,
  body: projectGroup(await services.groups.get(tenant.id, params.groupId)),
});

export const updateGroup: OperationHandler<'updateGroup'> = async ({ params, body }, scope) => ({
  status: 200,
  body: projectGroup(await scope.services.groups.update(scope.tenant.id, params.groupId, body, mayGrantTenants(scope))),
});

export const deleteGroup: OperationHandler<'deleteGroup'> = async ({ params }, scope) => {
  await scope.services.groups.delete(scope.tenant.id, params.groupId, mayGrantTenants(scope));
  return { status: 204, body: undefined };
};

export const listRoles: OperationHandler<'listRoles'> = async (_input, { services, tenant }) => ({
  status: 200,
  body: { data: (await services.roles.list(tenant.id)).map(projectRole) },
});

export const createRole: OperationHandler<'createRole'> = async ({ body }, scope) => ({
  status: 201,
  body: projectRole(await scope.services.roles.create(scope.tenant.id, scope.tenant.isRoot, body, mayGrantTenants(scope))),
});

export const getRole: OperationHandler<'getRole'> = async ({ params }, { services, tenant }) => ({
  status: 200,
  body: projectRole(await services.roles.get(tenant.id, params.roleId)),
});

export const updateRole: OperationHandler<'updateRole'> = async ({ params, body }, scope) => ({
  status: 200,
  body: projectRole(await scope.services.roles.update(scope.tenant.id, scope.tenant.isRoot, params.roleId, body, mayGrantTenants(scope))),
});

export const deleteRole: OperationHandler<'deleteRole'> = async ({ params }, { services, tenant, principal }) => {
  await services.roles.delete(tenant.id, params.roleId, tenant.isRoot && principal.permissions.has('manageTenants'));
  return { status: 204, body: undefined };
};

export const listApiKeys: OperationHandler<'listApiKeys'> = async ({ query }, { services, tenant, principal }) => ({
  status: 200,
  body: { data: (await services.apiKeys.list(tenant.id, query)).map((k) => projectApiKey(k, principal.timeZone)) },
});

export const deleteApiKey: OperationHandler<'deleteApiKey'> = async ({ params }, scope) => {
  await scope.services.apiKeys.revokeById(scope.tenant.id, params.keyId, mayGrantTenants(scope));
  return { status: 204, body: undefined };
};
