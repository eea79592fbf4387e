// A type as the item code sees it: its properties by system name, parsed once.
import type { ItemProperty, ItemType } from '../../../generated/prisma-sqlite/client.ts';

export const PROPERTY_KINDS = ['string', 'text', 'integer', 'number', 'boolean', 'datetime', 'date', 'month', 'enum', 'reference', 'file'] as const;
export type PropertyKind = (typeof PROPERTY_KINDS)[number];

/** The special collections of seed 004: never type system names, never generic routes. */
export const SPECIAL_COLLECTIONS = ['tags', 'notifications'];

/** Fields every item has; user properties may not take these names. */
export const SYSTEM_FIELDS = ['id', 'uuid', 'created_on', 'created_by', 'updated_on', 'updated_by'] as const;
export type SystemField = (typeof SYSTEM_FIELDS)[number];

/**
 * Names every JavaScript object answers (`constructor`, `toString`, `__proto__`…): never type or
 * property system names, because stored item data and projections are plain objects keyed by
 * system name, where `data.constructor` of an item without that value is Object itself. Lookups
 * of names from requests go through Maps, so these only need refusing where names are defined.
 */
export function isObjectPrototypeName(name: string): boolean {
  return Object.hasOwn(Object.prototype, name);
}

/** A property as the API shows it (ItemType.properties[]), and as the definition limits measure it. */
export function propertyAsShown(p: PropertyDef) {
  return {
    id: p.id,
    systemName: p.systemName,
    name: p.name,
    kind: p.kind,
    required: p.required,
    unique: p.unique,
    multiple: p.multiple,
    default: p.defaultValue,
    ...(p.kind === 'enum' ? { enumValues: p.enumValues } : {}),
    ...(p.referenceType ? { referenceType: p.referenceType } : {}),
    ...(p.mediaTypes ? { mediaTypes: p.mediaTypes } : {}),
    ...(p.maxFileSize ? { maxFileSize: p.maxFileSize } : {}),
  };
}

export interface PropertyDef {
  id: number;
  systemName: string;
  name: string;
  kind: PropertyKind;
  required: boolean;
  unique: boolean;
  multiple: boolean;
  /** Stored form, or null. */
  defaultValue: unknown;
  enumValues: string[];
  referenceType: number | null;
  /** File properties: accepted media types (`image/*` wildcards), null for any. */
  mediaTypes: string[] | null;
  /** File properties: largest accepted file in bytes, null for the server's limit. */
  maxFileSize: number | null;
}

export interface TypeDef {
  id: number;
  tenantId: number;
  systemName: string;
  name: string;
  readLog: boolean;
  properties: PropertyDef[];
  bySystemName: Map<string, PropertyDef>;
  /** Changes whenever the type or one of its properties changes (schema caches key on it). */
  version: string;
}

export interface PropertyOptions {
  enumValues?: string[];
  referenceType?: number;
  mediaTypes?: string[];
  maxFileSize?: number;
}

export function toPropertyDef(row: ItemProperty): PropertyDef {
  const options = JSON.parse(row.options || '{}') as PropertyOptions;
  return {
    id: row.id,
    systemName: row.systemName,
    name: row.name,
    kind: row.kind as PropertyKind,
    required: row.required,
    unique: row.unique,
    multiple: row.multiple,
    defaultValue: row.defaultValue === null ? null : JSON.parse(row.defaultValue),
    enumValues: options.enumValues ?? [],
    referenceType: options.referenceType ?? null,
    mediaTypes: options.mediaTypes ?? null,
    maxFileSize: options.maxFileSize ?? null,
  };
}

export function toTypeDef(row: ItemType & { properties: ItemProperty[] }): TypeDef {
  const properties = [...row.properties].sort((a, b) => a.position - b.position || a.id - b.id).map(toPropertyDef);
  return {
    id: row.id,
    tenantId: row.tenantId,
    systemName: row.systemName,
    name: row.name,
    readLog: row.readLog,
    properties,
    bySystemName: new Map(properties.map((p) => [p.systemName, p])),
    version: `${row.id}:${row.updatedAt.getTime()}:${row.properties.map((p) => `${p.id}.${p.createdAt.getTime()}`).join(',')}`,
  };
}
