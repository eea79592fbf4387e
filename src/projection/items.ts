// Stored items → the contract's item shape: system fields, properties in type order, field
// controls (show/hide/wrap), instants in the acting user's zone, the tenant's multi-value shape.
import { formatInstant } from '../lib/dates.ts';
import { outputScalar } from '../domain/items/kinds.ts';
import type { FieldControls } from '../domain/items/list-query.ts';
import type { PropertyDef, TypeDef } from '../domain/items/type-definition.ts';
import type { StoredItem } from '../store/items/item-store.ts';
import type { FileEntry } from '../domain/items/kinds.ts';
import { fileUrl } from '../domain/files/files-service.ts';

export interface ProjectionContext {
  zone: string;
  multiValueShape: 'array' | 'string';
  fields: FieldControls;
}

const SYSTEM_KIND: Record<string, string> = {
  id: 'integer', uuid: 'string', created_on: 'datetime', created_by: 'integer', updated_on: 'datetime', updated_by: 'integer',
};

function included(field: string, fields: FieldControls): boolean {
  if (field === 'id' || field === 'uuid') return true;
  if (fields.show && !fields.show.has(field)) return false;
  return !fields.hide.has(field);
}

function propertyValue(property: PropertyDef, stored: unknown, context: ProjectionContext): unknown {
  if (!property.multiple) return stored === undefined || stored === null ? null : outputScalar(property.kind, stored, context.zone);
  const values = Array.isArray(stored) ? stored.map((v) => outputScalar(property.kind, v, context.zone)) : [];
  if (context.multiValueShape === 'string') return values.length ? values.map(String).join(',') : null;
  return values;
}

/** File values carry their download URL; a multiple file property is always an array. */
function fileValue(type: TypeDef, item: StoredItem, property: PropertyDef): unknown {
  const stored = item.data[property.systemName] as FileEntry | FileEntry[] | undefined;
  const entries = stored === undefined || stored === null ? [] : Array.isArray(stored) ? stored : [stored];
  const values = entries.map((e) => ({ name: e.name, size: e.size, mediaType: e.mediaType, url: fileUrl(type, item.id, property, e.name) }));
  return property.multiple ? values : (values[0] ?? null);
}

export function projectItem(type: TypeDef, item: StoredItem, context: ProjectionContext): Record<string, unknown> {
  const { fields } = context;
  const out: Record<string, unknown> = {};
  const put = (field: string, name: string, kind: string, value: unknown) => {
    if (!included(field, fields)) return;
    out[field] = fields.wrap.has(field) ? { value, name, kind } : value;
  };
  put('id', 'id', SYSTEM_KIND.id, item.id);
  put('uuid', 'uuid', SYSTEM_KIND.uuid, item.uuid);
  put('created_on', 'created_on', SYSTEM_KIND.created_on, formatInstant(item.createdOn, context.zone));
  put('created_by', 'created_by', SYSTEM_KIND.created_by, item.createdBy);
  put('updated_on', 'updated_on', SYSTEM_KIND.updated_on, formatInstant(item.updatedOn, context.zone));
  put('updated_by', 'updated_by', SYSTEM_KIND.updated_by, item.updatedBy);
  for (const property of type.properties) {
    const value = property.kind === 'file' ? fileValue(type, item, property) : propertyValue(property, item.data[property.systemName], context);
    put(property.systemName, property.name, property.kind, value);
  }
  return out;
}

export interface PropertyMeta {
  name: string;
  kind: string;
  required: boolean;
  unique: boolean;
  multiple: boolean;
  enumValues?: string[];
  referenceType?: number;
}

/** Metadata of the returned user properties (all, or those named in propsMeta). */
export function projectPropsMeta(type: TypeDef, fields: FieldControls): Record<string, PropertyMeta> | undefined {
  if (!fields.propsMeta) return undefined;
  const meta: Record<string, PropertyMeta> = {};
  for (const property of type.properties) {
    if (!included(property.systemName, fields)) continue;
    if (fields.propsMeta.size && !fields.propsMeta.has(property.systemName)) continue;
    meta[property.systemName] = {
      name: property.name,
      kind: property.kind,
      required: property.required,
      unique: property.unique,
      multiple: property.multiple,
      ...(property.kind === 'enum' ? { enumValues: property.enumValues } : {}),
      ...(property.referenceType ? { referenceType: property.referenceType } : {}),
    };
  }
  return meta;
}
