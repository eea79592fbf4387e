// A tenant's type definitions as stored (ItemType with its ItemProperty rows), read in two
// prepared statements rather than a Prisma `findMany` with `include` (compiled on every call).
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { ItemProperty, ItemType } from '../../../generated/prisma-sqlite/client.ts';
import type { Db } from '../database.ts';
import { bool, instant, int, readRows } from '../dialect.ts';

type Row = Record<string, unknown>;

const toType = (r: Row): ItemType => ({
  id: int(r.id),
  tenantId: int(r.tenantId),
  systemName: String(r.systemName),
  name: String(r.name),
  readLog: bool(r.readLog),
  createdAt: instant(r.createdAt),
  updatedAt: instant(r.updatedAt),
});

const toProperty = (r: Row): ItemProperty => ({
  id: int(r.id),
  tenantId: int(r.tenantId),
  typeId: int(r.typeId),
  systemName: String(r.systemName),
  name: String(r.name),
  kind: String(r.kind),
  required: bool(r.required),
  unique: bool(r.unique),
  multiple: bool(r.multiple),
  defaultValue: r.defaultValue === null || r.defaultValue === undefined ? null : String(r.defaultValue),
  options: String(r.options),
  position: int(r.position),
  createdAt: instant(r.createdAt),
});

/** Every type of the tenant with its properties (by id), types by id. */
export async function loadTypeRows(db: Db, tenantId: number): Promise<(ItemType & { properties: ItemProperty[] })[]> {
  const [types, properties] = await Promise.all([
    readRows<Row>(db, Prisma.sql`SELECT "id", "tenantId", "systemName", "name", "readLog", "createdAt", "updatedAt" FROM "ItemType" WHERE "tenantId" = ${tenantId} ORDER BY "id"`),
    readRows<Row>(
      db,
      Prisma.sql`SELECT "id", "tenantId", "typeId", "systemName", "name", "kind", "required", "unique", "multiple", "defaultValue", "options", "position", "createdAt"
        FROM "ItemProperty" WHERE "tenantId" = ${tenantId} ORDER BY "id"`,
    ),
  ]);
  const byType = new Map<number, ItemProperty[]>();
  for (const row of properties) {
    const property = toProperty(row);
    byType.set(property.typeId, [...(byType.get(property.typeId) ?? []), property]);
  }
  return types.map((row) => {
    const type = toType(row);
    return { ...type, properties: byType.get(type.id) ?? [] };
  });
}
