// Items in the database: one page with its total, single reads, and the writes that keep the
// Item row, its ItemValue index rows and its ItemUnique rows together in one transaction.
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { Db, Dialect, Tx } from '../database.ts';
import { execute, forUpdate, instant, int, intOrNull, readRows } from '../dialect.ts';
import { indexValue } from '../../domain/items/kinds.ts';
import type { TypeDef } from '../../domain/items/type-definition.ts';
import { INDEX_ROWS_PER_STATEMENT, MAX_VALUES_PER_ITEM } from '../../domain/items/limits.ts';
import { Errors } from '../../errors/registry.ts';
import { bindable, compileConditions, compileCount, compileOrdering, type Ordering, type TagGroups, type TagStrategy } from './compile.ts';
import type { PlannedFilter } from './filters.ts';
import { adjustTypeCount, applyCountDeltas, countDeltas, countedTotal, type IndexRow } from './value-counts.ts';

/** Re-exported: the item functions below take it, and their callers import it from here. */
export type { Tx };

export interface StoredItem {
  id: number;
  uuid: string;
  typeId: number;
  data: Record<string, unknown>;
  createdOn: Date;
  createdBy: number | null;
  updatedOn: Date;
  updatedBy: number | null;
}

interface ItemRow {
  id: number | bigint;
  uuid: string;
  typeId: number | bigint;
  data: string;
  createdOn: Date | string;
  createdBy: number | bigint | null;
  updatedOn: Date | string;
  updatedBy: number | bigint | null;
}

/** Ids are 32-bit integers in both databases. */
export const MAX_ID = 2_147_483_647;

export function toStoredItem(row: ItemRow): StoredItem {
  return {
    id: int(row.id),
    uuid: row.uuid,
    typeId: int(row.typeId),
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdOn: instant(row.createdOn),
    createdBy: intOrNull(row.createdBy),
    updatedOn: instant(row.updatedOn),
    updatedBy: intOrNull(row.updatedBy),
  };
}

const ITEM_COLUMNS = Prisma.raw('i."id", i."uuid", i."typeId", i."data", i."createdOn", i."createdBy", i."updatedOn", i."updatedBy"');

export async function readPage(db: Db, type: TypeDef, filters: PlannedFilter[], tagGroups: TagGroups, ordering: Ordering, limit: number, offset: number) {
  const { join, orderBy } = compileOrdering(ordering);
  const page = (strategy?: TagStrategy) =>
    readRows<ItemRow>(db, bindable(Prisma.sql`SELECT ${ITEM_COLUMNS} FROM "Item" i ${join} WHERE ${compileConditions(type.id, filters, tagGroups, strategy)} ${orderBy} LIMIT ${limit} OFFSET ${offset}`));
  const count = async () => int((await readRows<{ total: unknown }>(db, bindable(compileCount(type.id, filters, tagGroups))))[0].total);
  if (!tagGroups.length) {
    const rows = await page();
    return { items: rows.map(toStoredItem), total: (await countedTotal(db, type, filters)) ?? (await count()) };
  }
  // The exact counters know nothing of tags. The total picks the page's plan: an ordered scan
  // probing each item reads about (offset + limit) × typeSize / total items before the page is
  // full; listing the matches reads `total` and sorts them.
  const total = await count();
  if (total === 0 || offset >= total) return { items: [], total };
  const typeSize = await typeCount(db, type.id);
  const rows = await page((offset + limit) * typeSize < total * total ? 'probe' : 'list');
  return { items: rows.map(toStoredItem), total };
}

/**
 * Row locks on these items until the transaction ends, on PostgreSQL (READ COMMITTED would let
 * two writers both read an item and both act on what they read). SQLite writers already run
 * one at a time.
 */
export async function lockItems(tx: Tx, dialect: Dialect, ids: number[]): Promise<void> {
  const lock = forUpdate(dialect);
  if (lock === Prisma.empty || ids.length === 0) return;
  await readRows(tx, Prisma.sql`SELECT 1 FROM "Item" WHERE "id" IN (${Prisma.join(ids)})${lock}`);
}

export async function readOne(db: Db | Tx, typeId: number, idOrUuid: string | number): Promise<StoredItem | null> {
  const byId = typeof idOrUuid === 'number' || /^\d{1,15}$/.test(idOrUuid);
  if (byId && Number(idOrUuid) > MAX_ID) return null;
  const key = byId ? Prisma.sql`i."id" = ${Number(idOrUuid)}` : Prisma.sql`i."uuid" = ${String(idOrUuid)}`;
  const rows = await readRows<ItemRow>(db, Prisma.sql`SELECT ${ITEM_COLUMNS} FROM "Item" i WHERE ${key} AND i."typeId" = ${typeId}`);
  return rows.length ? toStoredItem(rows[0]) : null;
}

/** Items by id, of any type (the referencing items a delete visits), in no particular order. */
export async function readByIds(db: Db | Tx, ids: number[]): Promise<StoredItem[]> {
  if (!ids.length) return [];
  const rows = await readRows<ItemRow>(db, Prisma.sql`SELECT ${ITEM_COLUMNS} FROM "Item" i WHERE i."id" IN (${Prisma.join(ids)})`);
  return rows.map(toStoredItem);
}

/** The exact item count of a type (TypeCount). */
export async function typeCount(db: Db | Tx, typeId: number): Promise<number> {
  const rows = await readRows<{ count: unknown }>(db, Prisma.sql`SELECT "count" FROM "TypeCount" WHERE "typeId" = ${typeId}`);
  return rows.length ? int(rows[0].count) : 0;
}

/** The lowest-id item of the type matching one planned equality. */
export async function readFirstMatching(db: Db, type: TypeDef, filter: PlannedFilter): Promise<StoredItem | null> {
  if (filter.target.on === 'property' && filter.operator === 'eq') {
    // The lowest item id holding the value is one seek on the (propertyId, text|num, itemId)
    // index; the generic EXISTS probe walks the type's items in id order until one matches
    // (tens of ms at 10^5 items when the match is far in).
    const column = Prisma.raw(`v."${filter.target.column}"`);
    const rows = await readRows<ItemRow>(
      db,
      Prisma.sql`SELECT ${ITEM_COLUMNS} FROM "Item" i WHERE i."id" = (SELECT MIN(v."itemId") FROM "ItemValue" v WHERE v."propertyId" = ${filter.target.property.id} AND ${column} = ${filter.values[0]}) AND i."typeId" = ${type.id}`,
    );
    return rows.length ? toStoredItem(rows[0]) : null;
  }
  const where = compileConditions(type.id, [filter]);
  const rows = await readRows<ItemRow>(db, Prisma.sql`SELECT ${ITEM_COLUMNS} FROM "Item" i WHERE ${where} ORDER BY i."id" ASC LIMIT 1`);
  return rows.length ? toStoredItem(rows[0]) : null;
}

/** The ItemUnique key of a stored value: its JSON, or a hash of it when long (b-tree row limit). */
export function uniqueKey(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length <= 200 ? json : `h:${createHash('sha256').update(json).digest('hex')}`;
}

/** Index rows and unique keys for an item's stored data (also what scripts/db/verify.ts expects). */
export function indexRows(type: TypeDef, itemId: number, data: Record<string, unknown>) {
  const values: { itemId: number; propertyId: number; position: number; text: string | null; num: number | null; folded: string | null }[] = [];
  const uniques: { propertyId: number; value: string; itemId: number }[] = [];
  for (const property of type.properties) {
    const stored = data[property.systemName];
    if (stored === undefined || stored === null) continue;
    const list = Array.isArray(stored) ? stored : [stored];
    list.forEach((value, position) => {
      values.push({ itemId, propertyId: property.id, position, ...indexValue(property.kind, value) });
      if (property.unique) uniques.push({ propertyId: property.id, value: uniqueKey(value), itemId });
    });
  }
  const seen = new Set<string>();
  const distinct = uniques.filter((u) => {
    const key = `${u.propertyId}\u0000${u.value}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
  return { values, uniques: distinct };
}

/** Unique keys already held by another item: the property ids, for a 409 that names them. */
export async function conflictingUniques(tx: Tx, type: TypeDef, itemId: number, data: Record<string, unknown>): Promise<number[]> {
  const { uniques } = indexRows(type, itemId, data);
  if (!uniques.length) return [];
  const keys = Prisma.join(uniques.map((u) => Prisma.sql`("propertyId" = ${u.propertyId} AND "value" = ${u.value})`), ' OR ');
  const clash = await readRows<{ propertyId: unknown }>(tx, Prisma.sql`SELECT "propertyId" FROM "ItemUnique" WHERE (${keys}) AND "itemId" <> ${itemId}`);
  return clash.map((c) => int(c.propertyId));
}

/**
 * Inserts rows in statements of INDEX_ROWS_PER_STATEMENT. better-sqlite3 runs each statement
 * synchronously, so between statements the event loop gets a turn: other requests (health
 * checks, other tenants' reads served from memory) are answered while a wide item is written.
 */
async function insertInBatches<Row>(rows: Row[], insert: (batch: Row[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += INDEX_ROWS_PER_STATEMENT) {
    if (start > 0) await yieldToEventLoop();
    await insert(rows.slice(start, start + INDEX_ROWS_PER_STATEMENT));
  }
}

/**
 * Writes an item's index rows (replacing its old ones) and adjusts the exact counters. Every
 * write path ends here (create, replace, patch, defaults backfilled by a type change), so this
 * is where an item's size is bounded: 400 TOO_MANY_VALUES, and the transaction changes nothing.
 */
export async function writeIndex(tx: Tx, type: TypeDef, itemId: number, data: Record<string, unknown>, replace: boolean): Promise<void> {
  const { values, uniques } = indexRows(type, itemId, data);
  if (values.length > MAX_VALUES_PER_ITEM) throw Errors.tooManyValues({ count: values.length, limit: MAX_VALUES_PER_ITEM });
  let removed: IndexRow[] = [];
  if (replace) {
    // The old rows are what the counters lose: read and deleted in one statement.
    const rows = await readRows<IndexRow>(tx, Prisma.sql`DELETE FROM "ItemValue" WHERE "itemId" = ${itemId} RETURNING "propertyId", "position", "text", "num"`);
    removed = rows.map(toIndexRow);
    await execute(tx, Prisma.sql`DELETE FROM "ItemUnique" WHERE "itemId" = ${itemId}`);
  } else {
    await adjustTypeCount(tx, type.id, 1);
  }
  // Multi-row INSERTs: Prisma's query compiler would spend ~20 ms of CPU per 500-row createMany.
  await insertInBatches(values, (batch) =>
    execute(
      tx,
      Prisma.sql`INSERT INTO "ItemValue" ("itemId", "propertyId", "position", "text", "num", "folded")
      VALUES ${Prisma.join(batch.map((v) => Prisma.sql`(${v.itemId}, ${v.propertyId}, ${v.position}, ${v.text}, ${v.num}, ${v.folded})`))}`,
    ),
  );
  // Through Prisma: a race past checkUniques must surface as P2002 (write() names the property).
  await insertInBatches(uniques, (batch) => tx.itemUnique.createMany({ data: batch }));
  await applyCountDeltas(tx, countDeltas(type, removed, values));
}

const toIndexRow = (r: IndexRow): IndexRow => ({ propertyId: int(r.propertyId), position: int(r.position), text: r.text, num: r.num === null ? null : Number(r.num) });

/** Thrown as Prisma's "record not found", so the unit of work translates it as before (404). */
const recordNotFound = () => Object.assign(new Error('No record was found for an update'), { code: 'P2025' });

const RETURNED_COLUMNS = Prisma.raw('"id", "uuid", "typeId", "data", "createdOn", "createdBy", "updatedOn", "updatedBy"');

/** Inserts a new item's row (its index rows follow with writeIndex); the stored item as read back. */
export async function insertItem(tx: Tx, row: { uuid: string; tenantId: number; typeId: number; data: Record<string, unknown>; at: Date; by: number }): Promise<StoredItem> {
  const json = JSON.stringify(row.data);
  const [created] = await readRows<{ id: unknown }>(
    tx,
    Prisma.sql`INSERT INTO "Item" ("uuid", "tenantId", "typeId", "data", "createdOn", "createdBy", "updatedOn", "updatedBy")
      VALUES (${row.uuid}, ${row.tenantId}, ${row.typeId}, ${json}, ${row.at}, ${row.by}, ${row.at}, ${row.by}) RETURNING "id"`,
  );
  return { id: int(created.id), uuid: row.uuid, typeId: row.typeId, data: JSON.parse(json) as Record<string, unknown>, createdOn: row.at, createdBy: row.by, updatedOn: row.at, updatedBy: row.by };
}

/** Stores new data for an item with its index rows and counters; `by` stamps who changed it, and when. */
export async function rewriteItem(tx: Tx, type: TypeDef, itemId: number, data: Record<string, unknown>, by?: { userId: number; at: Date }) {
  const stamp = by ? Prisma.sql`, "updatedOn" = ${by.at}, "updatedBy" = ${by.userId}` : Prisma.empty;
  const [row] = await readRows<ItemRow>(tx, Prisma.sql`UPDATE "Item" SET "data" = ${JSON.stringify(data)}${stamp} WHERE "id" = ${itemId} RETURNING ${RETURNED_COLUMNS}`);
  if (!row) throw recordNotFound();
  await writeIndex(tx, type, itemId, data, true);
  return toStoredItem(row);
}

/** Deletes items (their index rows cascade) and takes them out of the counters. */
export async function deleteItems(tx: Tx, types: TypeDef[], ids: number[]): Promise<void> {
  if (!ids.length) return;
  const items = (await readRows<{ id: unknown; typeId: unknown }>(tx, Prisma.sql`SELECT "id", "typeId" FROM "Item" WHERE "id" IN (${Prisma.join(ids)})`)).map((i) => ({
    id: int(i.id),
    typeId: int(i.typeId),
  }));
  for (const type of types) {
    const own = items.filter((i) => i.typeId === type.id).map((i) => i.id);
    if (!own.length) continue;
    const removed = await readRows<IndexRow>(tx, Prisma.sql`SELECT "propertyId", "position", "text", "num" FROM "ItemValue" WHERE "itemId" IN (${Prisma.join(own)})`);
    await applyCountDeltas(tx, countDeltas(type, removed.map(toIndexRow), []));
    await adjustTypeCount(tx, type.id, -own.length);
  }
  await execute(tx, Prisma.sql`DELETE FROM "Item" WHERE "id" IN (${Prisma.join(ids)})`);
}

/** Items (of any type) whose reference properties point at `itemId`, by property. */
export async function referencesTo(db: Db | Tx, propertyIds: number[], itemId: number) {
  if (!propertyIds.length) return [];
  const rows = await readRows<{ itemId: unknown; propertyId: unknown }>(
    db,
    Prisma.sql`SELECT "itemId", "propertyId" FROM "ItemValue" WHERE "propertyId" IN (${Prisma.join(propertyIds)}) AND "num" = ${itemId}`,
  );
  return rows.map((r) => ({ itemId: int(r.itemId), propertyId: int(r.propertyId) }));
}

/** Which of `ids` exist as items of `typeId`. */
export async function existingIds(db: Db | Tx, typeId: number, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await readRows<{ id: unknown }>(db, Prisma.sql`SELECT "id" FROM "Item" WHERE "typeId" = ${typeId} AND "id" IN (${Prisma.join(ids)})`);
  return new Set(rows.map((r) => int(r.id)));
}
