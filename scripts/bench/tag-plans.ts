// The plans and times of a tag-filtered page and total, both forms (EXISTS probe per item, IN
// list from ItemTag), for a common tag tree (12.5% of items) and a rare tag (30 items), on
// SQLite with N seeded projects. Usage: npx tsx scripts/bench/tag-plans.ts [items]
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { seedProjects } from './seed-projects.ts';
const file = path.join(os.tmpdir(), `jetstack-tag-plans-${process.pid}.db`);
const url = `file:${file}`;
const items = Number(process.argv[2] ?? 100000);
const { type, rootTag } = await seedProjects(url, items, { email: 'b@example.com', password: 'bench-password-1' });
const db = new BetterSqlite3(file);
// A rare tag: on every 3333rd item.
db.exec(`INSERT INTO "Tag" ("tenantId","name","private") VALUES (1,'rare',0)`);
const rare = (db.prepare(`SELECT id FROM "Tag" WHERE name='rare'`).get() as any).id;
db.exec(`INSERT INTO "ItemTag" ("itemId","tagId") SELECT id, ${rare} FROM "Item" WHERE id % 3333 = 0`);
db.exec('ANALYZE');
const common = db.prepare('SELECT id FROM "Tag" WHERE "parentId" = ? OR id = ?').all(rootTag, rootTag).map((r: any) => r.id).join(',');
for (const [label, inList] of [['common', common], ['rare', String(rare)]]) {
  const qs: [string, string][] = [
    ['exists', `SELECT i."id" FROM "Item" i WHERE i."typeId" = ${type.id} AND EXISTS (SELECT 1 FROM "ItemTag" it WHERE it."itemId" = i."id" AND it."tagId" IN (${inList})) ORDER BY i."createdOn" DESC, i."id" DESC LIMIT 25 OFFSET 50`],
    ['in', `SELECT i."id" FROM "Item" i WHERE i."typeId" = ${type.id} AND i."id" IN (SELECT it."itemId" FROM "ItemTag" it WHERE it."tagId" IN (${inList})) ORDER BY i."createdOn" DESC, i."id" DESC LIMIT 25 OFFSET 50`],
  ];
  qs.push(['count distinct join', `SELECT COUNT(DISTINCT d."itemId") FROM "ItemTag" d JOIN "Item" i ON i."id" = d."itemId" WHERE d."tagId" IN (${inList}) AND i."typeId" = ${type.id}`]);
  qs.push(['count in', `SELECT COUNT(*) FROM "Item" i WHERE i."typeId" = ${type.id} AND i."id" IN (SELECT it."itemId" FROM "ItemTag" it WHERE it."tagId" IN (${inList}))`]);
  qs.push(['count in rowid', `SELECT COUNT(*) FROM "Item" i WHERE i."id" IN (SELECT it."itemId" FROM "ItemTag" it WHERE it."tagId" IN (${inList})) AND i."typeId" = ${type.id}`]);
  qs.push(['count sub distinct', `SELECT COUNT(*) FROM (SELECT DISTINCT d."itemId" FROM "ItemTag" d WHERE d."tagId" IN (${inList})) s JOIN "Item" i ON i."id" = s."itemId" WHERE i."typeId" = ${type.id}`]);
  for (const [name, sql] of qs) {
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r: any) => r.detail).join(' | ');
    const t = performance.now(); for (let k = 0; k < 5; k++) db.prepare(sql).all(); console.log(label, name, ((performance.now() - t) / 5).toFixed(1), 'ms', plan);
  }
}
db.close();
for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
