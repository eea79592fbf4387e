// Exact per-value and per-type item counts, adjusted in the transaction of every write.
// Only single-valued properties are counted (one value per item, so counts add up).
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { Db } from '../database.ts';
import { execute, int, readRows } from '../dialect.ts';
import type { TypeDef } from '../../domain/items/type-definition.ts';
import type { PlannedFilter } from './filters.ts';
import type { Tx } from './item-store.ts';

export interface IndexRow {
  propertyId: number;
  position: number;
  text: string | null;
  num: number | null;
}


export const countKey = (row: { text: string | null; num: number | null }) => (row.text !== null ? `t:${row.text}` : `n:${Number(row.num)}`);

/** +1 for each counted value in `added`, -1 for each in `removed` (net deltas only). */
export function countDeltas(type: TypeDef, removed: IndexRow[], added: IndexRow[]): Map<string, number> {
  const counted = new Set(type.properties.filter((p) => !p.multiple).map((p) => p.id));
  const deltas = new Map<string, number>();
  const add = (rows: IndexRow[], sign: number) => {
    for (const row of rows) {
      if (!counted.has(row.propertyId) || row.position !== 0) continue;
      const key = `${row.propertyId}\u0000${countKey(row)}`;
      deltas.set(key, (deltas.get(key) ?? 0) + sign);
    }
  };
  add(removed, -1);
  add(added, 1);
  for (const [key, delta] of deltas) if (delta === 0) deltas.delete(key);
  return deltas;
}

export async function applyCountDeltas(tx: Tx, deltas: Map<string, number>): Promise<void> {
  if (!deltas.size) return;
  const rows = [...deltas].map(([key, delta]) => {
    const [propertyId, valueKey] = key.split('\u0000');
    return Prisma.sql`(${Number(propertyId)}, ${valueKey}, ${delta})`;
  });
  await execute(
    tx,
    Prisma.sql`INSERT INTO "ValueCount" ("propertyId", "key", "count") VALUES ${Prisma.join(rows)}
    ON CONFLICT ("propertyId", "key") DO UPDATE SET "count" = "ValueCount"."count" + excluded."count"`,
  );
}

export async function adjustTypeCount(tx: Tx, typeId: number, delta: number): Promise<void> {
  if (delta === 0) return;
  await execute(
    tx,
    Prisma.sql`INSERT INTO "TypeCount" ("typeId", "count") VALUES (${typeId}, ${delta})
    ON CONFLICT ("typeId") DO UPDATE SET "count" = "TypeCount"."count" + excluded."count"`,
  );
}

/**
 * The total from the counters when the filters allow it: none (the type's count) or exactly
 * one eq/in filter on a single-valued user property. Null means "count the rows".
 */
export async function countedTotal(db: Db, type: TypeDef, filters: PlannedFilter[]): Promise<number | null> {
  if (filters.length === 0) {
    const rows = await readRows<{ count: unknown }>(db, Prisma.sql`SELECT "count" FROM "TypeCount" WHERE "typeId" = ${type.id}`);
    return rows.length ? int(rows[0].count) : 0;
  }
  const [filter] = filters;
  if (filters.length !== 1 || filter.target.on !== 'property' || filter.target.property.multiple) return null;
  if (filter.operator !== 'eq' && filter.operator !== 'in') return null;
  const column = filter.target.column;
  const keys = [...new Set(filter.values.map((v) => countKey({ text: column === 'text' ? (v as string) : null, num: column === 'num' ? (v as number) : null })))];
  const rows = await readRows<{ count: unknown }>(
    db,
    Prisma.sql`SELECT "count" FROM "ValueCount" WHERE "propertyId" = ${filter.target.property.id} AND "key" IN (${Prisma.join(keys)})`,
  );
  return rows.reduce((sum, row) => sum + int(row.count), 0);
}

/** Recomputes a type's counters from its rows (after bulk loads or property migrations). */
export async function rebuildCounts(tx: Tx, type: TypeDef): Promise<void> {
  const ids = type.properties.map((p) => p.id);
  if (ids.length) await tx.valueCount.deleteMany({ where: { propertyId: { in: ids } } });
  const single = type.properties.filter((p) => !p.multiple).map((p) => p.id);
  if (single.length) {
    const groups = await tx.itemValue.groupBy({
      by: ['propertyId', 'text', 'num'],
      where: { propertyId: { in: single }, position: 0 },
      _count: { _all: true },
    });
    const rows = groups.map((g) => ({ propertyId: g.propertyId, key: countKey(g), count: g._count._all }));
    for (let i = 0; i < rows.length; i += 1000) await tx.valueCount.createMany({ data: rows.slice(i, i + 1000) });
  }
  const items = await tx.item.count({ where: { typeId: type.id } });
  await tx.typeCount.upsert({ where: { typeId: type.id }, create: { typeId: type.id, count: items }, update: { count: items } });
}
