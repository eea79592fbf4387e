// Seeds the benchmark type `project` (title, status, priority, owner, labels multi-value,
// created_on spread over two years) with N items, written straight through the driver in
// the exact stored form item-store writes (Item.data JSON + ItemValue index rows).
import os from 'node:os';
import path from 'node:path';
import { FilesService } from '../../src/domain/files/files-service.ts';
import { LocalFileStorage } from '../../src/store/files/file-storage.ts';
import { UploadReservations } from '../../src/store/files/upload-reservations.ts';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { openDatabase, sqliteFilePath } from '../../src/store/database.ts';
import { UnitOfWork } from '../../src/store/unit-of-work.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { memoryGenerations } from '../../src/cache/shared-state.ts';
import { IdentityResolver } from '../../src/domain/identity/identity-resolver.ts';
import { Tenants } from '../../src/domain/identity/tenants.ts';
import { Roles } from '../../src/domain/identity/roles.ts';
import { bootstrapIfEmpty } from '../../src/domain/identity/bootstrap.ts';
import { TypeRegistry } from '../../src/domain/items/type-registry.ts';
import { TypesService } from '../../src/domain/items/types-service.ts';
import { indexValue } from '../../src/domain/items/kinds.ts';
import type { TypeDef } from '../../src/domain/items/type-definition.ts';
import { rebuildCounts } from '../../src/store/items/value-counts.ts';

export const STATUSES = ['open', 'in_progress', 'done', 'blocked', 'cancelled'];
const LABELS = ['web', 'api', 'ops', 'q1', 'q2', 'q3', 'q4', 'urgent', 'later', 'design'];
const BATCH = 5000;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

/** Deterministic pseudo-random numbers, so runs seed the same data. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

export interface SeededProjects {
  type: TypeDef;
  /** A top-level tag; its 4 child tags are spread over about half the items (one each). */
  rootTag: number;
}

export async function seedProjects(databaseUrl: string, count: number, admin: { email: string; password: string }): Promise<SeededProjects> {
  await applyMigrations(databaseUrl);
  const database = await openDatabase({ databaseUrl });
  const db = database.prisma;
  const identity = new IdentityResolver(db, memoryGenerations(), true);
  const unitOfWork = new UnitOfWork(db, (error) => console.error('after-commit hook failed:', error));
  const tenants = new Tenants(db, unitOfWork, identity);
  await bootstrapIfEmpty(db, tenants, { email: admin.email, password: admin.password });
  const registry = new TypeRegistry(db, memoryGenerations());
  // The project type has no file property: the file storage is never written.
  const files = new FilesService(db, unitOfWork, registry, new LocalFileStorage(path.join(os.tmpdir(), 'jetstack-bench-files')), new UploadReservations(db, unitOfWork, database.dialect), {
    maxBytes: 1, maxFiles: 1, promiseTtlSeconds: 1, pendingMaxBytes: 1, concurrentPerUser: 1,
  });
  const types = new TypesService(db, unitOfWork, registry, files);
  const type = await types.create(1, {
    systemName: 'project',
    name: 'Project',
    properties: [
      { systemName: 'title', kind: 'string', required: true },
      { systemName: 'status', kind: 'enum', enumValues: STATUSES, required: true },
      { systemName: 'priority', kind: 'integer' },
      { systemName: 'owner', kind: 'string' },
      { systemName: 'labels', kind: 'string', multiple: true },
    ],
  });
  await new Roles(db, unitOfWork, identity).update(1, true, 1, { typePermissions: [{ typeId: type.id, show: true, create: true, edit: true, delete: true }] }, true);
  // A tag tree of 4 roots with 4 children each; items carry at most one child tag.
  const roots: number[] = [];
  const leaves: number[] = [];
  for (let r = 0; r < 4; r++) {
    const root = await db.tag.create({ data: { tenantId: 1, name: `area ${r}` } });
    roots.push(root.id);
    for (let c = 0; c < 4; c++) leaves.push((await db.tag.create({ data: { tenantId: 1, name: `area ${r}.${c}`, parentId: root.id } })).id);
  }
  await database.close();

  const next = random(42);
  const now = Date.now();
  const rows = function* () {
    for (let i = 1; i <= count; i++) {
      const labels = LABELS.filter(() => next() < 0.15).slice(0, 3);
      const data = {
        title: `Project ${i}`,
        status: STATUSES[Math.floor(next() * STATUSES.length)],
        priority: 1 + Math.floor(next() * 5),
        owner: `user${Math.floor(next() * 1000)}`,
        labels,
      };
      const tag = next() < 0.5 ? leaves[Math.floor(next() * leaves.length)] : null;
      yield { data, createdOn: new Date(now - Math.floor(next() * TWO_YEARS_MS)), tag };
    }
  };
  const valueRows = (itemId: number, data: Record<string, unknown>) =>
    type.properties.flatMap((property) => {
      const stored = data[property.systemName];
      const list = Array.isArray(stored) ? stored : stored === undefined ? [] : [stored];
      return list.map((value, position) => ({ itemId, propertyId: property.id, position, ...indexValue(property.kind, value) }));
    });

  if (databaseUrl.startsWith('file:')) {
    const sqlite = new BetterSqlite3(sqliteFilePath(databaseUrl));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = OFF');
    const insertItem = sqlite.prepare('INSERT INTO "Item" ("uuid","tenantId","typeId","data","createdOn","createdBy","updatedOn","updatedBy") VALUES (?,?,?,?,?,?,?,?)');
    const insertValue = sqlite.prepare('INSERT INTO "ItemValue" ("itemId","propertyId","position","text","num","folded") VALUES (?,?,?,?,?,?)');
    const insertTag = sqlite.prepare('INSERT INTO "ItemTag" ("itemId","tagId") VALUES (?,?)');
    const insertAll = sqlite.transaction((batch: Seeded[]) => {
      for (const row of batch) {
        const at = row.createdOn.toISOString().replace('Z', '+00:00');
        const { lastInsertRowid } = insertItem.run(randomUUID(), 1, type.id, JSON.stringify(row.data), at, 1, at, 1);
        for (const v of valueRows(Number(lastInsertRowid), row.data)) insertValue.run(v.itemId, v.propertyId, v.position, v.text, v.num, v.folded);
        if (row.tag) insertTag.run(Number(lastInsertRowid), row.tag);
      }
    });
    let batch = [];
    for (const row of rows()) {
      batch.push(row);
      if (batch.length === BATCH) insertAll(batch.splice(0));
    }
    insertAll(batch);
    sqlite.exec('ANALYZE');
    sqlite.close();
  } else {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    let batch: Seeded[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const params: unknown[] = [];
      const tuples = batch.map((row, i) => {
        params.push(randomUUID(), JSON.stringify(row.data), row.createdOn);
        return `($${i * 3 + 1}, 1, ${type.id}, $${i * 3 + 2}, $${i * 3 + 3}, 1, $${i * 3 + 3}, 1)`;
      });
      const { rows: ids } = await client.query(
        `INSERT INTO "Item" ("uuid","tenantId","typeId","data","createdOn","createdBy","updatedOn","updatedBy") VALUES ${tuples.join(',')} RETURNING "id"`,
        params,
      );
      const tagged = batch.flatMap((row, i) => (row.tag ? [{ itemId: ids[i].id as number, tagId: row.tag }] : []));
      if (tagged.length) {
        await client.query(`INSERT INTO "ItemTag" ("itemId","tagId") SELECT * FROM UNNEST($1::int[], $2::int[])`, [tagged.map((t) => t.itemId), tagged.map((t) => t.tagId)]);
      }
      const values = batch.flatMap((row, i) => valueRows(ids[i].id, row.data));
      for (let i = 0; i < values.length; i += 10_000) {
        const chunk = values.slice(i, i + 10_000);
        await client.query(
          `INSERT INTO "ItemValue" ("itemId","propertyId","position","text","num","folded") SELECT * FROM UNNEST($1::int[], $2::int[], $3::int[], $4::text[], $5::float8[], $6::text[])`,
          [chunk.map((v) => v.itemId), chunk.map((v) => v.propertyId), chunk.map((v) => v.position), chunk.map((v) => v.text), chunk.map((v) => v.num), chunk.map((v) => v.folded)],
        );
      }
      batch = [];
    };
    for (const row of rows()) {
      batch.push(row);
      if (batch.length === 2000) await flush();
    }
    await flush();
    await client.query('ANALYZE');
    await client.end();
  }
  const counted = await openDatabase({ databaseUrl });
  await rebuildCounts(counted.prisma, type);
  await counted.close();
  return { type, rootTag: roots[0] };
}

interface Seeded {
  data: Record<string, unknown>;
  createdOn: Date;
  tag: number | null;
}
