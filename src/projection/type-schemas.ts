// Machine-readable schemas of a tenant's types: JSON Schema of one item as the API returns it,
// and a per-tenant OpenAPI document with concrete paths and item schemas per type, so an SDK
// generated from it is fully typed.
import { outputSchema } from '../domain/items/kinds.ts';
import { inputSchema } from '../domain/items/item-input.ts';
import type { PropertyDef, TypeDef } from '../domain/items/type-definition.ts';

const INSTANT = { type: 'string', format: 'date-time', description: "ISO 8601 with the acting user's offset" };

function propertySchema(property: PropertyDef, multiValueShape: 'array' | 'string'): Record<string, unknown> {
  const scalar = outputSchema(property);
  if (!property.multiple) {
    if (property.required) return scalar;
    return { ...scalar, type: [scalar.type, 'null'], ...(scalar.enum ? { enum: [...(scalar.enum as unknown[]), null] } : {}) };
  }
  // File values are objects: always an array, whatever the tenant's multi-value shape.
  return multiValueShape === 'string' && property.kind !== 'file'
    ? { title: property.name, type: ['string', 'null'], description: 'Comma-separated values' }
    : { title: property.name, type: 'array', items: { ...scalar, title: undefined } };
}

/** JSON Schema (2020-12) of an item of `type`. */
export function itemJsonSchema(type: TypeDef, multiValueShape: 'array' | 'string', id?: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    id: { type: 'integer' },
    uuid: { type: 'string', format: 'uuid' },
    created_on: INSTANT,
    created_by: { type: ['integer', 'null'] },
    updated_on: INSTANT,
    updated_by: { type: ['integer', 'null'] },
  };
  for (const property of type.properties) properties[property.systemName] = propertySchema(property, multiValueShape);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...(id ? { $id: id } : {}),
    title: type.name,
    type: 'object',
    properties,
    required: ['id', 'uuid'],
    additionalProperties: false,
  };
}

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_m, _u, c: string) => c.toUpperCase());

const GENERIC_PATHS: [string, string][] = [
  ['/collection/{collection}', ''],
  ['/collection/{collection}/search', '/search'],
  ['/collection/{collection}/{item}', '/{item}'],
  ['/collection/{collection}/get-by/{property}/{item}', '/get-by/{property}/{item}'],
];

interface OpenApiDocument {
  info: { title: string; description?: string };
  paths: Record<string, unknown>;
  components: { schemas: Record<string, unknown> };
}

export function tenantOpenApi(base: OpenApiDocument, types: TypeDef[], tenantName: string, multiValueShape: 'array' | 'string'): OpenApiDocument {
  const document = structuredClone(base);
  document.info.title = `${base.info.title}: ${tenantName}`;
  for (const type of types) {
    const name = pascal(type.systemName);
    const { $schema: _drop, ...item } = itemJsonSchema(type, multiValueShape);
    document.components.schemas[name] = item;
    document.components.schemas[`${name}Input`] = inputSchema(type, 'create');
    document.components.schemas[`${name}Patch`] = inputSchema(type, 'patch');
    document.components.schemas[`${name}Page`] = {
      allOf: [{ $ref: '#/components/schemas/ItemPage' }, { type: 'object', properties: { data: { type: 'array', items: { $ref: `#/components/schemas/${name}` } } } }],
    };
    for (const [generic, suffix] of GENERIC_PATHS) {
      const text = JSON.stringify(base.paths[generic])
        .replaceAll('"#/components/schemas/Item"', `"#/components/schemas/${name}"`)
        .replaceAll('"#/components/schemas/ItemPage"', `"#/components/schemas/${name}Page"`)
        .replaceAll('"#/components/schemas/ItemInput"', `"#/components/schemas/${name}Input"`);
      const pathItem = JSON.parse(text) as Record<string, unknown>;
      pathItem.parameters = (pathItem.parameters as { $ref?: string }[] | undefined)?.filter((p) => p.$ref !== '#/components/parameters/Collection');
      delete pathItem['x-search-operation'];
      for (const [method, value] of Object.entries(pathItem)) {
        const operation = value as { operationId?: string; tags?: string[]; requestBody?: unknown };
        if (method === 'parameters' || typeof operation !== 'object' || !operation.operationId) continue;
        operation.operationId = `${operation.operationId}${name}`;
        operation.tags = [type.systemName];
        if (method === 'patch') {
          operation.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}Patch` } } } };
        }
      }
      document.paths[`/collection/${type.systemName}${suffix}`] = pathItem;
    }
  }
  return document;
}
