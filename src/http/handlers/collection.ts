// The generic collection API (seed 004 "Generic collection"): thin adapters from the typed
import type { components } from '../../../generated/api.d.ts';
// request to ItemsService and from stored items to the projection.
import { fieldControls } from '../../domain/items/list-query.ts';
import type { TypeDef } from '../../domain/items/type-definition.ts';
import type { StoredItem } from '../../store/items/item-store.ts';
import type { WrittenItem } from '../../domain/items/items-service.ts';
import { projectItem, projectPropsMeta } from '../../projection/items.ts';
import type { AuthedScope, OperationHandler } from '../types.ts';

type Item = components['schemas']['Item'];


function projectOne(scope: AuthedScope, type: TypeDef, item: StoredItem, query: Record<string, unknown>): Item {
  return projectItem(type, item, {
    zone: scope.principal.timeZone,
    multiValueShape: scope.tenant.settings.multiValueShape,
    fields: fieldControls(type, query),
  }) as Item;
}

/** A write's answer: the item for a caller who may show it, else only its id and uuid. */
function projectWritten(scope: AuthedScope, written: WrittenItem): Item {
  return written.visible ? projectOne(scope, written.type, written.item, {}) : { id: written.item.id, uuid: written.item.uuid };
}

async function listPage(scope: AuthedScope, collection: string, query: Record<string, unknown>, body?: Record<string, unknown>) {
  const page = await scope.services.items.readPage(scope, collection, query, body);
  if (page.items.length === 0) return { status: 204 as const, body: undefined };
  const context = { zone: scope.principal.timeZone, multiValueShape: scope.tenant.settings.multiValueShape, fields: page.query.fields };
  const propsMeta = projectPropsMeta(page.type, page.query.fields);
  return {
    status: 200 as const,
    body: {
      stats: { page: page.query.page, itemsPerPage: page.query.perPage, fetched: page.items.length, total: page.total },
      ...(propsMeta ? { propsMeta } : {}),
      data: page.items.map((item) => projectItem(page.type, item, context) as Item),
    },
  };
}

export const listItems: OperationHandler<'listItems'> = async ({ params, query }, scope) => listPage(scope, params.collection, query);

export const searchItems: OperationHandler<'searchItems'> = async ({ params, query, body }, scope) =>
  listPage(scope, params.collection, query, body as Record<string, unknown> | undefined);

export const getItem: OperationHandler<'getItem'> = async ({ params, query }, scope) => {
  const { type, item } = await scope.services.items.readOne(scope, params.collection, params.item);
  return { status: 200, body: projectOne(scope, type, item, query) };
};

export const getItemBy: OperationHandler<'getItemBy'> = async ({ params, query }, scope) => {
  const { type, item } = await scope.services.items.readBy(scope, params.collection, params.property, params.item);
  return { status: 200, body: projectOne(scope, type, item, query) };
};

export const createItem: OperationHandler<'createItem'> = async ({ params, body }, scope) => {
  return { status: 201, body: projectWritten(scope, await scope.services.items.createOne(scope, params.collection, body)) };
};

export const replaceItem: OperationHandler<'replaceItem'> = async ({ params, body }, scope) => {
  return { status: 200, body: projectWritten(scope, await scope.services.items.replaceOne(scope, params.collection, params.item, body)) };
};

export const patchItem: OperationHandler<'patchItem'> = async ({ params, body }, scope) => {
  return { status: 200, body: projectWritten(scope, await scope.services.items.patchOne(scope, params.collection, params.item, body)) };
};

export const deleteItem: OperationHandler<'deleteItem'> = async ({ params, query }, scope) => {
  await scope.services.items.deleteOne(scope, params.collection, params.item, query);
  return { status: 204, body: undefined };
};
