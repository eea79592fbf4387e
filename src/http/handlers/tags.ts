// The tags collection and the tags.object / tags.assign commands: thin adapters from the typed
// request to TagsService and from stored tags to the projection.
import { managesTags } from '../../domain/tags/tag-visibility.ts';
import { EVERY_TAG_FIELD, projectTag, tagFields, type TagFields } from '../../projection/tags.ts';
import type { AuthedScope, OperationHandler } from '../types.ts';

const projection = (scope: AuthedScope, fields: TagFields = EVERY_TAG_FIELD) => ({
  zone: scope.principal.timeZone,
  full: managesTags(scope.principal),
  fields,
});

async function listPage(scope: AuthedScope, source: Record<string, unknown>) {
  const fields = tagFields(source);
  const page = await scope.services.tags.readPage(scope, source);
  if (page.tags.length === 0) return { status: 204 as const, body: undefined };
  const context = projection(scope, fields);
  return {
    status: 200 as const,
    body: {
      stats: { page: page.page, itemsPerPage: page.perPage, fetched: page.tags.length, total: page.total },
      data: page.tags.map((tag) => projectTag(tag, context)),
    },
  };
}

export const listTags: OperationHandler<'listTags'> = async ({ query }, scope) => listPage(scope, query);

/** SEARCH / QUERY /collection/tags and POST /collection/tags/search: the body wins over the query. */
export const searchTags: OperationHandler<'searchTags'> = async ({ query, body }, scope) => listPage(scope, { ...query, ...(body ?? {}) });

export const getTag: OperationHandler<'getTag'> = async ({ params, query }, scope) => {
  const fields = tagFields(query);
  const tag = await scope.services.tags.readOne(scope, params.item);
  return { status: 200, body: projectTag(tag, projection(scope, fields)) };
};

export const createTag: OperationHandler<'createTag'> = async ({ body }, scope) => {
  const tag = await scope.services.tags.createOne(scope, body);
  return { status: 201, body: projectTag(tag, projection(scope)) };
};

export const replaceTag: OperationHandler<'replaceTag'> = async ({ params, body }, scope) => {
  const tag = await scope.services.tags.replaceOne(scope, params.item, body);
  return { status: 200, body: projectTag(tag, projection(scope)) };
};

export const patchTag: OperationHandler<'patchTag'> = async ({ params, body }, scope) => {
  const tag = await scope.services.tags.patchOne(scope, params.item, body);
  return { status: 200, body: projectTag(tag, projection(scope)) };
};

export const deleteTag: OperationHandler<'deleteTag'> = async ({ params, query }, scope) => {
  await scope.services.tags.deleteOne(scope, params.item, query.cascade === true);
  return { status: 204, body: undefined };
};

export const getObjectTags: OperationHandler<'getObjectTags'> = async ({ query }, scope) => {
  const { type, itemId, tags } = await scope.services.tagAssignments.objectTags(scope, query.type, query.item);
  const context = projection(scope);
  return { status: 200, body: { typeId: type.id, objectId: itemId, tags: tags.map((tag) => projectTag(tag, context)) } };
};

export const assignTags: OperationHandler<'assignTags'> = async ({ body }, scope) => {
  const { type, itemId, tags } = await scope.services.tagAssignments.assign(scope, body.type, body.item, body.operation, body.tags);
  const context = projection(scope);
  return { status: 200, body: { typeId: type.id, objectId: itemId, operation: body.operation, ...(tags ? { tags: tags.map((tag) => projectTag(tag, context)) } : {}) } };
};
