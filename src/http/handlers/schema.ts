// GET /schema (catalog), /schema/{collection} (JSON Schema), /schema/openapi.json (tenant OpenAPI).
import { itemJsonSchema, tenantOpenApi } from '../../projection/type-schemas.ts';
import type { AuthedScope, OperationHandler } from '../types.ts';

async function showableTypes(scope: AuthedScope) {
  const types = await scope.services.typeRegistry.all(scope.tenant.id, scope.generation);
  return types.filter((type) => scope.principal.typePermissions.get(type.id)?.show);
}

export const listSchemas: OperationHandler<'listSchemas'> = async (_input, scope) => ({
  status: 200,
  body: {
    data: (await showableTypes(scope)).map((t) => ({ id: t.id, systemName: t.systemName, name: t.name, href: `/api/v1/schema/${t.systemName}` })),
  },
});

export const getSchema: OperationHandler<'getSchema'> = async ({ params }, scope) => {
  const type = await scope.services.items.typeFor({ tenant: scope.tenant, principal: scope.principal, generation: scope.generation }, params.collection, 'show');
  return { status: 200, body: itemJsonSchema(type, scope.tenant.settings.multiValueShape, `/api/v1/schema/${type.systemName}`) as Record<string, never> };
};

export const getTenantOpenApi: OperationHandler<'getTenantOpenApi'> = async (_input, scope) => {
  const base = JSON.parse(scope.services.contract.jsonText);
  const document = tenantOpenApi(base, await showableTypes(scope), scope.tenant.name, scope.tenant.settings.multiValueShape);
  return { status: 200, body: document as unknown as Record<string, never> };
};
