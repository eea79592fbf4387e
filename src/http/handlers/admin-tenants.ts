// Tenants (root tenant operators) and the calling tenant's own settings (its operators).
import { projectTenant } from '../../projection/identity.ts';
import type { OperationHandler } from '../types.ts';

export const listTenants: OperationHandler<'listTenants'> = async (_input, { services, principal }) => ({
  status: 200,
  body: { data: (await services.tenants.list()).map((t) => projectTenant(t, principal.timeZone)) },
});

export const createTenant: OperationHandler<'createTenant'> = async ({ body }, { services, principal }) => ({
  status: 201,
  body: projectTenant(await services.tenants.create(body), principal.timeZone),
});

export const getTenant: OperationHandler<'getTenant'> = async ({ params }, { services, principal }) => ({
  status: 200,
  body: projectTenant(await services.tenants.get(params.tenantId), principal.timeZone),
});

export const updateTenant: OperationHandler<'updateTenant'> = async ({ params, body }, { services, principal }) => ({
  status: 200,
  body: projectTenant(await services.tenants.update(params.tenantId, body), principal.timeZone),
});

export const deleteTenant: OperationHandler<'deleteTenant'> = async ({ params }, { services }) => {
  await services.tenants.delete(params.tenantId);
  return { status: 204, body: undefined };
};

export const getTenantSettings: OperationHandler<'getTenantSettings'> = async (_input, { services, tenant, principal }) => ({
  status: 200,
  body: projectTenant(await services.tenants.get(tenant.id), principal.timeZone),
});

export const updateTenantSettings: OperationHandler<'updateTenantSettings'> = async ({ body }, { services, tenant, principal }) => ({
  status: 200,
  body: projectTenant(await services.tenants.update(tenant.id, { settings: body }), principal.timeZone),
});
