// The `tags`, `tagsMode` and `includeTagDescendants` list parameters (seed 004) → groups of
// tag ids for the item query: an item matches when it carries a tag of every group. `any` is
// one group of all listed tags; `all` is one group per listed tag; with descendants, each tag's
// group also holds its visible descendants (the recursive step is driven from the rows found so
// far, CROSS JOIN fixing that order on SQLite). A tag the caller cannot see is refused by name.
import type { Db } from '../../store/database.ts';
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import { Errors } from '../../errors/registry.ts';
import { MAX_ID } from '../../store/items/item-store.ts';
import type { Principal } from '../identity/principal.ts';
import { visibleTagsSql } from './tag-visibility.ts';

export const MAX_FILTER_TAGS = 100;
/** Tag ids one list request may match after descendants are added (each is a bound value). */
export const MAX_EXPANDED_TAGS = 1000;

export interface TagFilter {
  ids: number[];
  mode: 'any' | 'all';
  includeDescendants: boolean;
}

function ids(value: unknown, where: string): number[] {
  if (value === undefined || value === null || value === '') return [];
  const parts = (Array.isArray(value) ? value : [value]).flatMap((part) => (typeof part === 'string' ? part.split(',') : [part]));
  const result = new Set<number>();
  for (const part of parts) {
    const text = String(part).trim();
    if (text === '') continue;
    const id = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(id >= 1 && id <= MAX_ID)) throw Errors.invalidTags({ where, reason: `"${text.slice(0, 40)}" is not a tag id` });
    result.add(id);
    if (result.size > MAX_FILTER_TAGS) throw Errors.invalidTags({ where, reason: `at most ${MAX_FILTER_TAGS} tags` });
  }
  return [...result];
}

function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === '1';
}

/** The tag parameters of a list request (query and body merged, the body wins); null: none. */
export function readTagFilter(source: Record<string, unknown>): TagFilter | null {
  const list = ids(source.tags, 'tags');
  if (list.length === 0) return null;
  const mode = source.tagsMode === undefined ? 'any' : String(source.tagsMode);
  if (mode !== 'any' && mode !== 'all') throw Errors.invalidTags({ where: 'tagsMode', reason: 'must be any or all' });
  return { ids: list, mode, includeDescendants: flag(source.includeTagDescendants) };
}

/** Groups of tag ids, checked against what the principal sees. */
export async function resolveTagGroups(db: Db, principal: Principal, filter: TagFilter): Promise<number[][]> {
  const roots = Prisma.join(filter.ids);
  const visible = visibleTagsSql(principal, 't');
  const rows = filter.includeDescendants
    ? await db.$queryRaw<{ root: number | bigint; id: number | bigint }[]>`
        WITH RECURSIVE sub(root, id) AS (
          SELECT t."id", t."id" FROM "Tag" t WHERE t."id" IN (${roots}) AND ${visible}
          UNION
          SELECT sub.root, t."id" FROM sub CROSS JOIN "Tag" t WHERE t."tenantId" = ${principal.tenantId} AND t."parentId" = sub.id AND ${visible}
        )
        SELECT root, id FROM sub LIMIT ${MAX_EXPANDED_TAGS + 1}`
    : await db.$queryRaw<{ root: number | bigint; id: number | bigint }[]>`
        SELECT t."id" AS root, t."id" AS id FROM "Tag" t WHERE t."id" IN (${roots}) AND ${visible}`;
  const byRoot = new Map<number, number[]>();
  for (const row of rows) {
    const root = Number(row.root);
    byRoot.set(root, [...(byRoot.get(root) ?? []), Number(row.id)]);
  }
  if (rows.length > MAX_EXPANDED_TAGS) {
    throw Errors.invalidTags({ where: 'tags', reason: `the tags and their descendants exceed ${MAX_EXPANDED_TAGS}; name fewer or narrower tags` });
  }
  const missing = filter.ids.find((id) => !byRoot.has(id));
  if (missing !== undefined) throw Errors.unknownTag({ id: missing });
  const groups = filter.ids.map((id) => byRoot.get(id)!);
  return filter.mode === 'all' ? groups : [[...new Set(groups.flat())]];
}
