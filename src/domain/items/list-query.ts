// The list parameters of GET and SEARCH (query string and body merged; the body wins),
// normalized: page and capped page size, ordering, field controls, raw filters.
import { Errors } from '../../errors/registry.ts';
import { parseFilters, targetFor, type RawFilter } from '../../store/items/filters.ts';
import type { Ordering } from '../../store/items/compile.ts';
import type { TypeDef } from './type-definition.ts';
import { readTagFilter, type TagFilter } from '../tags/tag-filter.ts';
import { SYSTEM_FIELDS } from './type-definition.ts';

export const DEFAULT_PER_PAGE = 25;

export interface FieldControls {
  show: Set<string> | null;
  hide: Set<string>;
  wrap: Set<string>;
  /** null: no propsMeta; otherwise the fields to describe (empty set: every returned one). */
  propsMeta: Set<string> | null;
}

export interface ListQuery {
  page: number;
  perPage: number;
  ordering: Ordering;
  filters: RawFilter[];
  /** The tag parameters, or null when the request names no tag. */
  tags: TagFilter | null;
  fields: FieldControls;
}

type FieldList = string | string[] | boolean | undefined;

function fieldList(parameter: string, value: FieldList, type: TypeDef): Set<string> | null {
  if (value === undefined || value === '' || typeof value === 'boolean') return null;
  const names = (Array.isArray(value) ? value : value.split(',')).map((name) => String(name).trim()).filter(Boolean);
  for (const field of names) {
    if (!type.bySystemName.has(field) && !(SYSTEM_FIELDS as readonly string[]).includes(field)) throw Errors.unknownField({ parameter, field });
  }
  return new Set(names);
}

/** System fields keep their scalar shape (the contract types them); only properties wrap. */
function wrappable(fields: Set<string>): Set<string> {
  const system = [...fields].find((field) => (SYSTEM_FIELDS as readonly string[]).includes(field));
  if (system) throw Errors.fieldNotWrappable({ field: system });
  return fields;
}

export function fieldControls(type: TypeDef, source: Record<string, unknown>): FieldControls {
  const meta = source.propsMeta as FieldList;
  const metaAll = meta === true || meta === 'true' || meta === '1';
  const metaOff = meta === undefined || meta === false || meta === 'false' || meta === '0' || meta === '';
  return {
    show: fieldList('showFields', source.showFields as FieldList, type),
    hide: fieldList('hideFields', source.hideFields as FieldList, type) ?? new Set(),
    wrap: wrappable(fieldList('wrapFields', source.wrapFields as FieldList, type) ?? new Set()),
    propsMeta: metaOff ? null : metaAll ? new Set() : fieldList('propsMeta', meta, type),
  };
}

export function readListQuery(type: TypeDef, query: Record<string, unknown>, body: Record<string, unknown> | undefined, maxPageLength: number): ListQuery {
  const source = { ...query, ...(body ?? {}) };
  const page = Number(source.page ?? 1);
  const requested = Number(source.perPage ?? DEFAULT_PER_PAGE);
  const orderBy = String(source.orderBy ?? 'id');
  const target = targetFor(type, orderBy);
  if (!target) throw Errors.unknownField({ parameter: 'orderBy', field: orderBy });
  const direction = String(source.orderDir ?? 'asc').toLowerCase() === 'desc' ? 'desc' : 'asc';
  return {
    page,
    perPage: Math.min(requested, maxPageLength),
    ordering: { target, direction },
    filters: parseFilters(source.filters),
    tags: readTagFilter(source),
    fields: fieldControls(type, source),
  };
}
