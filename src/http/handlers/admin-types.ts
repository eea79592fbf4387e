// Operator management of types and properties, and the read-access audit.
import type { PropertyKind } from '../../domain/items/type-definition.ts';
import { formatInstant } from '../../lib/dates.ts';
import { projectType } from '../../projection/types.ts';
import type { OperationHandler } from '../types.ts';

export const listTypes: OperationHandler<'listTypes'> = async (_input, { services, tenant }) => ({
  status: 200,
  body: { data: (await services.types.list(tenant.id)).map(projectType) },
});

export const createType: OperationHandler<'createType'> = async ({ body }, { services, tenant }) => ({
  status: 201,
  body: projectType(await services.types.create(tenant.id, body)),
});

export const getType: OperationHandler<'getType'> = async ({ params }, { services, tenant }) => ({
  status: 200,
  body: projectType(await services.types.get(tenant.id, params.typeId)),
});

export const updateType: OperationHandler<'updateType'> = async ({ params, body }, { services, tenant }) => ({
  status: 200,
  body: projectType(await services.types.update(tenant.id, params.typeId, body)),
});

export const deleteType: OperationHandler<'deleteType'> = async ({ params, query }, { services, tenant }) => {
  await services.types.delete(tenant.id, params.typeId, query.force ?? false);
  return { status: 204, body: undefined };
};

export const createProperty: OperationHandler<'createProperty'> = async ({ params, body }, { services, tenant }) => ({
  status: 201,
  body: projectType(await services.types.addProperty(tenant.id, params.typeId, { ...body, kind: body.kind as PropertyKind })),
});

export const updateProperty: OperationHandler<'updateProperty'> = async ({ params, body }, { services, tenant }) => ({
  status: 200,
  body: projectType(await services.types.updateProperty(tenant.id, params.typeId, params.propertyId, body)),
});

export const deleteProperty: OperationHandler<'deleteProperty'> = async ({ params, query }, { services, tenant }) => ({
  status: 200,
  body: projectType(await services.types.deleteProperty(tenant.id, params.typeId, params.propertyId, query.dropValues ?? false)),
});

export const listReadAudit: OperationHandler<'listReadAudit'> = async ({ query }, { services, tenant, principal }) => ({
  status: 200,
  body: {
    data: (await services.items.readAudit(tenant.id, query)).map((r) => ({
      id: r.id, typeId: r.typeId, itemId: r.itemId, userId: r.userId, at: formatInstant(r.at, principal.timeZone),
    })),
  },
});
