// npm run db:verify
//
// Checks the whole database named by DATABASE_URL for half-done item writes: for every Item,
// that its ItemValue rows, ItemUnique rows, ItemFile rows (and the stored bytes under
// FILES_DIR, default ./data/files) agree with `Item.data` and its type, and that the exact
// counters (ValueCount, TypeCount) agree with the rows. The expected rows come from the code
// the writes use (indexRows, countDeltas), so the check cannot drift from the store.
// Prints each inconsistency and exits 1 if there is any, 0 otherwise. Read-only.
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { LocalFileStorage, type FileStorage } from '../../src/store/files/file-storage.ts';
import { indexRows } from '../../src/store/items/item-store.ts';
import { countDeltas, type IndexRow } from '../../src/store/items/value-counts.ts';
import { toTypeDef, type TypeDef } from '../../src/domain/items/type-definition.ts';
import { entriesOf } from '../../src/domain/files/files-service.ts';

const BATCH = 500;

/** Every inconsistency found, one sentence each (empty when the database is consistent). */
export async function verifyDatabase(db: Db, storage: FileStorage | null): Promise<string[]> {
  const problems: string[] = [];
  const types = (await db.itemType.findMany({ include: { properties: true } })).map(toTypeDef);
  const byId = new Map(types.map((t) => [t.id, t]));
  const typeTenant = new Map(types.map((t) => [t.id, t.tenantId]));
  const storedKeys = storage ? await listKeys(storage) : null;
  /** Index rows of every item of each type, for the counters. */
  const valuesByType = new Map<number, IndexRow[]>(types.map((t) => [t.id, []]));
  const itemsByType = new Map<number, number>();

  for (let after = 0; ; ) {
    const items = await db.item.findMany({ where: { id: { gt: after } }, orderBy: { id: 'asc' }, take: BATCH });
    if (!items.length) break;
    after = items[items.length - 1].id;
    const ids = items.map((i) => i.id);
    const [values, uniques, files] = await Promise.all([
      db.itemValue.findMany({ where: { itemId: { in: ids } } }),
      db.itemUnique.findMany({ where: { itemId: { in: ids } } }),
      db.itemFile.findMany({ where: { itemId: { in: ids } } }),
    ]);
    for (const item of items) {
      const where = `Item ${item.id}`;
      const type = byId.get(item.typeId);
      if (!type) {
        problems.push(`${where}: type ${item.typeId} does not exist`);
        continue;
      }
      itemsByType.set(type.id, (itemsByType.get(type.id) ?? 0) + 1);
      if (typeTenant.get(type.id) !== item.tenantId) problems.push(`${where}: tenant ${item.tenantId}, but its type belongs to tenant ${type.tenantId}`);
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(item.data) as Record<string, unknown>;
        if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('not an object');
      } catch (error) {
        problems.push(`${where}: data is not a JSON object (${(error as Error).message})`);
        continue;
      }
      const own = values.filter((v) => v.itemId === item.id);
      valuesByType.get(type.id)!.push(...own);
      const expected = indexRows(type, item.id, data);
      compareSets(problems, `${where} ItemValue`, expected.values.map(valueKey), own.map(valueKey));
      compareSets(problems, `${where} ItemUnique`, expected.uniques.map(uniqueRowKey), uniques.filter((u) => u.itemId === item.id).map(uniqueRowKey));
      checkFiles(problems, where, type, data, files.filter((f) => f.itemId === item.id), storedKeys);
    }
  }

  await checkCounters(db, problems, types, valuesByType, itemsByType);
  for (const [table, count] of await orphanRows(db)) {
    if (count) problems.push(`${table}: ${count} row(s) belong to no Item`);
  }
  return problems;
}

function valueKey(row: { propertyId: number; position: number; text: string | null; num: number | null; folded: string | null }): string {
  return JSON.stringify([row.propertyId, row.position, row.text, row.num === null ? null : Number(row.num), row.folded]);
}

function uniqueRowKey(row: { propertyId: number; value: string }): string {
  return JSON.stringify([row.propertyId, row.value]);
}

/** Reports rows expected but missing and rows present but not expected. */
function compareSets(problems: string[], where: string, expected: string[], actual: string[]): void {
  const missing = expected.filter((e) => !actual.includes(e));
  const extra = actual.filter((a) => !expected.includes(a));
  if (missing.length) problems.push(`${where}: missing ${missing.join(', ')}`);
  if (extra.length) problems.push(`${where}: unexpected ${extra.join(', ')}`);
  if (new Set(actual).size !== actual.length) problems.push(`${where}: duplicate rows`);
}

function checkFiles(
  problems: string[],
  where: string,
  type: TypeDef,
  data: Record<string, unknown>,
  rows: { propertyId: number; name: string; size: number; mediaType: string; storageKey: string }[],
  storedKeys: Set<string> | null,
): void {
  const expected: string[] = [];
  for (const property of type.properties) {
    if (property.kind !== 'file') continue;
    for (const entry of entriesOf(data[property.systemName])) expected.push(JSON.stringify([property.id, entry.name, entry.size, entry.mediaType]));
  }
  compareSets(problems, `${where} ItemFile`, expected, rows.map((r) => JSON.stringify([r.propertyId, r.name, r.size, r.mediaType])));
  if (!storedKeys) return;
  for (const row of rows) {
    if (!storedKeys.has(row.storageKey)) problems.push(`${where} ItemFile "${row.name}": stored bytes ${row.storageKey} are missing`);
  }
}

async function checkCounters(db: Db, problems: string[], types: TypeDef[], valuesByType: Map<number, IndexRow[]>, itemsByType: Map<number, number>) {
  const typeCounts = new Map((await db.typeCount.findMany()).map((r) => [r.typeId, r.count]));
  const valueCounts = await db.valueCount.findMany();
  for (const type of types) {
    const items = itemsByType.get(type.id) ?? 0;
    const counted = typeCounts.get(type.id) ?? 0;
    if (counted !== items) problems.push(`TypeCount of type ${type.id} (${type.systemName}): ${counted}, but it has ${items} item(s)`);
    // countDeltas of "nothing removed, every row added" is exactly what the counters must hold.
    const expected = countDeltas(type, [], valuesByType.get(type.id) ?? []);
    const ids = new Set(type.properties.map((p) => p.id));
    const actual = new Map(valueCounts.filter((r) => ids.has(r.propertyId) && r.count !== 0).map((r) => [`${r.propertyId}\u0000${r.key}`, r.count]));
    for (const key of new Set([...expected.keys(), ...actual.keys()])) {
      const want = expected.get(key) ?? 0;
      const have = actual.get(key) ?? 0;
      if (want !== have) problems.push(`ValueCount of property ${key.replace('\u0000', ' key ')}: ${have}, but ${want} item(s) hold that value`);
    }
  }
  const known = new Set(types.flatMap((t) => t.properties.map((p) => p.id)));
  for (const row of valueCounts) {
    if (!known.has(row.propertyId) && row.count !== 0) problems.push(`ValueCount of property ${row.propertyId} key ${row.key}: ${row.count}, but no such property exists`);
  }
}

async function orphanRows(db: Db): Promise<[string, number][]> {
  const count = async (table: 'ItemValue' | 'ItemUnique' | 'ItemFile') => {
    const rows = await db.$queryRawUnsafe<{ n: number | bigint }[]>(
      `SELECT COUNT(*) AS n FROM "${table}" r WHERE NOT EXISTS (SELECT 1 FROM "Item" i WHERE i."id" = r."itemId")`,
    );
    return Number(rows[0].n);
  };
  return [
    ['ItemValue', await count('ItemValue')],
    ['ItemUnique', await count('ItemUnique')],
    ['ItemFile', await count('ItemFile')],
  ];
}

/** Stored bytes that neither an ItemFile nor a FilePromise row refers to (uploads in progress aside). */
export async function unreferencedBytes(db: Db, storage: FileStorage): Promise<number> {
  const stored = [...(await listKeys(storage))].filter((key) => !key.startsWith('incoming/'));
  const [files, promises] = await Promise.all([
    db.itemFile.findMany({ select: { storageKey: true } }),
    db.filePromise.findMany({ select: { storageKey: true } }),
  ]);
  const referenced = new Set([...files, ...promises].map((r) => r.storageKey));
  return stored.filter((key) => !referenced.has(key)).length;
}

async function listKeys(storage: FileStorage): Promise<Set<string>> {
  const keys = new Set<string>();
  try {
    for await (const { key } of storage.list()) keys.add(key);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  return keys;
}

// Run as a script (imported, only verifyDatabase is used).
if (process.argv[1]?.endsWith('verify.ts')) {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl });
  try {
    const problems = await verifyDatabase(database.prisma, new LocalFileStorage(config.filesDir));
    for (const problem of problems) console.log(`inconsistent: ${problem}`);
    const items = await database.prisma.item.count();
    const unreferenced = await unreferencedBytes(database.prisma, new LocalFileStorage(config.filesDir));
    // Not an inconsistency: a crash between storing an upload and recording it leaves these.
    if (unreferenced) console.log(`note: ${unreferenced} stored file(s) no row refers to (the server's orphan sweep removes them after 24 h)`);
    console.log(problems.length ? `db:verify: ${problems.length} inconsistencies in ${items} items` : `db:verify: ${items} items, consistent`);
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await database.close();
  }
}
