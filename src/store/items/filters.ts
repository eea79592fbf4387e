// Filters: parse the request's filter list, then plan it against the type — every property
// and operator resolved from the type definition, every param converted to its index value.
// Nothing from the request text reaches SQL except as a bound value (see compile.ts).
import { Errors } from '../../errors/registry.ts';
import { findUnstorable } from '../../lib/unstorable-text.ts';
import { indexColumn, indexValue, MAX_PREFIX_PARAM, parseScalar } from '../../domain/items/kinds.ts';
import type { PropertyDef, PropertyKind, TypeDef } from '../../domain/items/type-definition.ts';

export const FILTER_OPERATORS = ['eq', 'neq', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte', 'between', 'contains', 'startsWith', 'isNull', 'isNotNull'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];
const MAX_FILTERS = 50;
const MAX_LIST = 1000;
/**
 * Values the filters of one request bind together. SQLite binds at most 32,766 per statement
 * (50 filters of 1000 values would be 50,000); the tag ids (at most MAX_EXPANDED_TAGS + 1) and
 * a few constants share the statement, and compile.ts guards the total.
 */
export const MAX_FILTER_VALUES = 10_000;

export interface RawFilter {
  property: string;
  type: string;
  param?: unknown;
}

/** Where a filter's values live: an Item column or the ItemValue rows of a property. */
export type Target =
  | { on: 'system'; column: 'id' | 'uuid' | 'createdOn' | 'updatedOn' | 'createdBy' | 'updatedBy'; kind: 'integer' | 'string' | 'datetime' }
  | { on: 'property'; property: PropertyDef; column: 'text' | 'num' };

export interface PlannedFilter {
  target: Target;
  operator: FilterOperator;
  /** Index values (numbers, strings or Dates for system instants); [] for isNull/isNotNull. */
  values: unknown[];
}

/** A Map, not an object literal: a request naming `constructor` or `__proto__` finds nothing. */
const SYSTEM_TARGETS = new Map<string, Target>([
  ['id', { on: 'system', column: 'id', kind: 'integer' }],
  ['uuid', { on: 'system', column: 'uuid', kind: 'string' }],
  ['created_on', { on: 'system', column: 'createdOn', kind: 'datetime' }],
  ['updated_on', { on: 'system', column: 'updatedOn', kind: 'datetime' }],
  ['created_by', { on: 'system', column: 'createdBy', kind: 'integer' }],
  ['updated_by', { on: 'system', column: 'updatedBy', kind: 'integer' }],
]);

const FIRST_INSTANT = new Date('0001-01-01T00:00:00.000Z');
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z');

const ORDERABLE: PropertyKind[] = ['string', 'text', 'integer', 'number', 'datetime', 'date', 'month', 'reference'];
const TEXTUAL: PropertyKind[] = ['string', 'text', 'enum', 'file'];

/** Accepts the query-string form (a JSON-encoded array) or the SEARCH body form (an array). */
export function parseFilters(input: unknown): RawFilter[] {
  if (input === undefined || input === null || input === '') return [];
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw Errors.filterInvalid({ reason: 'filters must be a JSON-encoded array' });
    }
  }
  if (!Array.isArray(value)) throw Errors.filterInvalid({ reason: 'filters must be an array of {property, type, param}' });
  if (value.length > MAX_FILTERS) throw Errors.filterInvalid({ reason: `at most ${MAX_FILTERS} filters` });
  const filters = value.map((filter, index): RawFilter => {
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      throw Errors.filterInvalid({ reason: `filter ${index} must be an object {property, type, param}` });
    }
    const { property, type, param } = filter as Record<string, unknown>;
    if (typeof property !== 'string' || property === '') throw Errors.filterInvalid({ reason: `filter ${index} needs a "property"` });
    if (typeof type !== 'string' || type === '') throw Errors.filterInvalid({ reason: `filter ${index} needs a "type"` });
    const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
    if (!(param === undefined || scalar(param) || (Array.isArray(param) && param.every(scalar)))) {
      throw Errors.filterInvalidParam({ property, reason: 'must be a value or an array of values' });
    }
    // Only the three known keys go on: nothing else in the request is ever walked again.
    return { property, type, param };
  });
  const values = filters.reduce((sum, filter) => sum + (Array.isArray(filter.param) ? filter.param.length : 1), 0);
  if (values > MAX_FILTER_VALUES) throw Errors.filterInvalid({ reason: `at most ${MAX_FILTER_VALUES} values across all filters (these have ${values})` });
  // A JSON escape in the query string (`\u0000`, `\ud800`) only becomes a character here.
  const unstorable = findUnstorable(filters, 'filters');
  if (unstorable) throw Errors.invalidCharacter(unstorable);
  return filters;
}

function kindOf(target: Target): PropertyKind {
  return target.on === 'system' ? target.kind : target.property.kind;
}

export function targetFor(type: TypeDef, name: string): Target | null {
  const system = SYSTEM_TARGETS.get(name);
  if (system) return system;
  const property = type.bySystemName.get(name);
  return property ? { on: 'property', property, column: indexColumn(property.kind) } : null;
}

function applicable(operator: FilterOperator, kind: PropertyKind): boolean {
  if (['eq', 'neq', 'in', 'notIn', 'isNull', 'isNotNull'].includes(operator)) return true;
  if (operator === 'contains' || operator === 'startsWith') return TEXTUAL.includes(kind);
  return ORDERABLE.includes(kind);
}

/** One param value → the value compared in SQL. */
function convert(target: Target, name: string, raw: unknown, zone: string): unknown {
  if (target.on === 'system') {
    if (target.kind === 'datetime') {
      const parsed = parseScalar({ kind: 'datetime' } as PropertyDef, raw, zone);
      if (!parsed.ok) throw Errors.filterInvalidParam({ property: name, reason: parsed.message });
      const instant = new Date(parsed.value as string);
      // Bound as a PostgreSQL timestamp, which has no year 0 (SQLite compares anything).
      if (instant < FIRST_INSTANT || instant > LAST_INSTANT) throw Errors.filterInvalidParam({ property: name, reason: 'must lie between the years 1 and 9999 (UTC)' });
      return instant;
    }
    if (target.kind === 'integer') {
      const value = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
      if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) <= 2_147_483_647) return value;
      throw Errors.filterInvalidParam({ property: name, reason: 'must be a 32-bit integer' });
    }
    if (typeof raw !== 'string' || raw.length > 200) throw Errors.filterInvalidParam({ property: name, reason: 'must be a string' });
    return raw;
  }
  // Query strings carry numbers as JSON already; a numeric string is accepted for numeric kinds.
  const kind = target.property.kind;
  const value = typeof raw === 'string' && ['integer', 'number', 'reference'].includes(kind) && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  const parsed = parseScalar(target.property, value, zone);
  if (!parsed.ok) throw Errors.filterInvalidParam({ property: name, reason: parsed.message });
  const indexed = indexValue(kind, parsed.value);
  return target.column === 'text' ? indexed.text : indexed.num;
}

function textParam(name: string, raw: unknown, max: number): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > max) {
    throw Errors.filterInvalidParam({ property: name, reason: `must be a non-empty string of at most ${max} characters` });
  }
  return raw;
}

export function planFilters(type: TypeDef, filters: RawFilter[], zone: string): PlannedFilter[] {
  return filters.map((filter) => {
    const target = targetFor(type, filter.property);
    if (!target) throw Errors.filterUnknownProperty({ property: filter.property });
    if (!(FILTER_OPERATORS as readonly string[]).includes(filter.type)) throw Errors.filterUnknownOperator({ operator: filter.type });
    const operator = filter.type as FilterOperator;
    const kind = kindOf(target);
    if (!applicable(operator, kind)) throw Errors.filterOperatorNotApplicable({ operator, property: filter.property, kind });
    const name = filter.property;
    const param = filter.param;
    switch (operator) {
      case 'isNull':
      case 'isNotNull':
        return { target, operator, values: [] };
      case 'in':
      case 'notIn': {
        if (!Array.isArray(param) || param.length === 0 || param.length > MAX_LIST) {
          throw Errors.filterInvalidParam({ property: name, reason: `must be a non-empty array of at most ${MAX_LIST} values` });
        }
        return { target, operator, values: param.map((v) => convert(target, name, v, zone)) };
      }
      case 'between': {
        if (!Array.isArray(param) || param.length !== 2) throw Errors.filterInvalidParam({ property: name, reason: 'must be [from, to]' });
        return { target, operator, values: param.map((v) => convert(target, name, v, zone)) };
      }
      case 'contains':
        return { target, operator, values: [textParam(name, param, 1000).toLowerCase()] };
      case 'startsWith':
        return { target, operator, values: [textParam(name, param, MAX_PREFIX_PARAM)] };
      default:
        if (param === undefined || param === null || Array.isArray(param) || typeof param === 'object') {
          throw Errors.filterInvalidParam({ property: name, reason: 'must be a single value' });
        }
        return { target, operator, values: [convert(target, name, param, zone)] };
    }
  });
}
