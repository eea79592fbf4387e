// Planned filters and ordering → SQL fragments, built only from Prisma.sql with bound values.
// Identifiers are constants chosen from the plan, never text from the request.
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import { Errors } from '../../errors/registry.ts';
import type { PlannedFilter, Target } from './filters.ts';

/**
 * Bound values one list statement may carry: SQLite refuses more than 32,766 ("too many SQL
 * variables", a 500). The request limits (MAX_FILTER_VALUES, MAX_EXPANDED_TAGS) keep well below
 * this; the guard turns any path that would still exceed it into a 400, not a driver error.
 */
export const MAX_BOUND_VALUES = 16_000;

export function bindable(sql: Prisma.Sql): Prisma.Sql {
  if (sql.values.length > MAX_BOUND_VALUES) {
    throw Errors.filterInvalid({ reason: `the query would bind ${sql.values.length} values; at most ${MAX_BOUND_VALUES}` });
  }
  return sql;
}

const COLUMN = {
  id: Prisma.raw('i."id"'),
  uuid: Prisma.raw('i."uuid"'),
  createdOn: Prisma.raw('i."createdOn"'),
  updatedOn: Prisma.raw('i."updatedOn"'),
  createdBy: Prisma.raw('i."createdBy"'),
  updatedBy: Prisma.raw('i."updatedBy"'),
} as const;
const VALUE_COLUMN = { text: Prisma.raw('v."text"'), num: Prisma.raw('v."num"'), folded: Prisma.raw('v."folded"') } as const;

type Compare = (column: Prisma.Sql, values: unknown[]) => Prisma.Sql;

/** The positive form of each operator; neq and notIn are the negation of eq and in. */
const COMPARE: Record<'eq' | 'in' | 'lt' | 'lte' | 'gt' | 'gte' | 'between' | 'contains' | 'startsWith', Compare> = {
  eq: (c, [v]) => Prisma.sql`${c} = ${v}`,
  in: (c, values) => Prisma.sql`${c} IN (${Prisma.join(values)})`,
  lt: (c, [v]) => Prisma.sql`${c} < ${v}`,
  lte: (c, [v]) => Prisma.sql`${c} <= ${v}`,
  gt: (c, [v]) => Prisma.sql`${c} > ${v}`,
  gte: (c, [v]) => Prisma.sql`${c} >= ${v}`,
  between: (c, [from, to]) => Prisma.sql`${c} BETWEEN ${from} AND ${to}`,
  // Runs on the folded (lower-cased in JS) column: Unicode-aware on both databases alike.
  contains: (c, [v]) => Prisma.sql`${c} LIKE ${`%${escapeLike(String(v))}%`} ESCAPE '\\'`,
  startsWith: (c, [v]) => Prisma.sql`SUBSTR(${c}, 1, ${String(v).length}) = ${v}`,
};

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function positive(filter: PlannedFilter): { compare: Compare; negate: boolean } {
  switch (filter.operator) {
    case 'neq':
      return { compare: COMPARE.eq, negate: true };
    case 'notIn':
      return { compare: COMPARE.in, negate: true };
    case 'isNull':
    case 'isNotNull':
      throw new Error('handled separately');
    default:
      return { compare: COMPARE[filter.operator], negate: false };
  }
}

function systemCondition(target: Extract<Target, { on: 'system' }>, filter: PlannedFilter): Prisma.Sql {
  const column = COLUMN[target.column];
  if (filter.operator === 'isNull') return Prisma.sql`${column} IS NULL`;
  if (filter.operator === 'isNotNull') return Prisma.sql`${column} IS NOT NULL`;
  const { compare, negate } = positive(filter);
  const condition = compare(column, filter.values);
  // "not equal" keeps rows without a value, as it does for properties.
  return negate ? Prisma.sql`(${column} IS NULL OR NOT (${condition}))` : condition;
}

function propertyCondition(target: Extract<Target, { on: 'property' }>, filter: PlannedFilter): Prisma.Sql {
  const base = Prisma.sql`SELECT 1 FROM "ItemValue" v WHERE v."itemId" = i."id" AND v."propertyId" = ${target.property.id}`;
  if (filter.operator === 'isNull') return Prisma.sql`NOT EXISTS (${base})`;
  if (filter.operator === 'isNotNull') return Prisma.sql`EXISTS (${base})`;
  const { compare, negate } = positive(filter);
  const column = filter.operator === 'contains' ? VALUE_COLUMN.folded : VALUE_COLUMN[target.column];
  const exists = Prisma.sql`EXISTS (${base} AND ${compare(column, filter.values)})`;
  // A multi-value property matches eq/in when any value does; neq/notIn when none does.
  return negate ? Prisma.sql`NOT ${exists}` : exists;
}

const DRIVING_OPERATORS = new Set(['eq', 'in', 'lt', 'lte', 'gt', 'gte', 'between', 'contains', 'startsWith', 'isNotNull']);

/**
 * SELECT COUNT(*) for the filters. Counting by probing every item of the type is linear in the
 * type's size (120 ms at 10^5 items); when a property filter can only match items that hold a
 * value, the count is driven from that filter's ItemValue index range instead (2 ms), joined
 * to Item only when other conditions remain. Tag groups are counted as lists (see TagStrategy).
 */
export function compileCount(typeId: number, filters: PlannedFilter[], tagGroups: TagGroups = []): Prisma.Sql {
  const driving = filters.find((f) => f.target.on === 'property' && DRIVING_OPERATORS.has(f.operator));
  if (!driving || driving.target.on !== 'property') {
    return Prisma.sql`SELECT COUNT(*) AS total FROM "Item" i WHERE ${compileConditions(typeId, filters, tagGroups)}`;
  }
  const target = driving.target;
  const column = Prisma.raw(`d."${driving.operator === 'contains' ? 'folded' : target.column}"`);
  const range = driving.operator === 'isNotNull' ? Prisma.empty : Prisma.sql` AND ${positive(driving).compare(column, driving.values)}`;
  const counted = target.property.multiple ? Prisma.raw('COUNT(DISTINCT d."itemId")') : Prisma.raw('COUNT(*)');
  const rest = filters.filter((f) => f !== driving);
  if (rest.length === 0 && tagGroups.length === 0) {
    return Prisma.sql`SELECT ${counted} AS total FROM "ItemValue" d WHERE d."propertyId" = ${target.property.id}${range}`;
  }
  return Prisma.sql`SELECT ${counted} AS total FROM "ItemValue" d JOIN "Item" i ON i."id" = d."itemId" WHERE d."propertyId" = ${target.property.id}${range} AND ${compileConditions(typeId, rest, tagGroups)}`;
}

/** Tag conditions: an item must carry at least one tag of every group. */
export type TagGroups = number[][];

/**
 * How a tag group constrains items. `probe`: an EXISTS on ItemTag's primary key per item, for
 * an ordered scan that stops once the page is full (cheap when the tags are common). `list`:
 * the group's items from the ItemTag(tagId, itemId) index, then looked up by id (cheap when
 * they are few; what counts use). SQLite does not weigh the two itself.
 */
export type TagStrategy = 'probe' | 'list';

function tagCondition(group: number[], strategy: TagStrategy): Prisma.Sql {
  const tags = Prisma.join(group);
  return strategy === 'probe'
    ? Prisma.sql`EXISTS (SELECT 1 FROM "ItemTag" it WHERE it."itemId" = i."id" AND it."tagId" IN (${tags}))`
    : Prisma.sql`i."id" IN (SELECT it."itemId" FROM "ItemTag" it WHERE it."tagId" IN (${tags}))`;
}

export function compileConditions(typeId: number, filters: PlannedFilter[], tagGroups: TagGroups = [], strategy: TagStrategy = 'list'): Prisma.Sql {
  const conditions = [Prisma.sql`i."typeId" = ${typeId}`];
  for (const filter of filters) {
    conditions.push(filter.target.on === 'system' ? systemCondition(filter.target, filter) : propertyCondition(filter.target, filter));
  }
  for (const group of tagGroups) conditions.push(tagCondition(group, strategy));
  return Prisma.join(conditions, ' AND ');
}

export interface Ordering {
  target: Target;
  direction: 'asc' | 'desc';
}

/** ORDER BY (and the join it needs): by a system column, or a property's first value. */
export function compileOrdering(ordering: Ordering): { join: Prisma.Sql; orderBy: Prisma.Sql } {
  const direction = Prisma.raw(ordering.direction === 'desc' ? 'DESC' : 'ASC');
  const { target } = ordering;
  if (target.on === 'system') {
    const tieBreak = target.column === 'id' ? Prisma.empty : Prisma.sql`, i."id" ${direction}`;
    return { join: Prisma.empty, orderBy: Prisma.sql`ORDER BY ${COLUMN[target.column]} ${direction}${tieBreak}` };
  }
  const column = Prisma.raw(`o."${target.column}"`);
  return {
    join: Prisma.sql`LEFT JOIN "ItemValue" o ON o."itemId" = i."id" AND o."propertyId" = ${target.property.id} AND o."position" = 0`,
    // Items without a value sort last in both directions, on SQLite and PostgreSQL alike.
    orderBy: Prisma.sql`ORDER BY ${column} ${direction} NULLS LAST, i."id" ${direction}`,
  };
}
