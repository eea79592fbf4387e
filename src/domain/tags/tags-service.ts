// The tags collection (F6.1): the tag tree and who may change which tag. No Koa; each write is
// one unit of work. Item ↔ tag links are in tag-assignments.ts.
import type { Db } from '../../store/database.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import type { CacheInvalidation } from '../../cache/invalidation.ts';
import type { ActingScope } from '../acting-scope.ts';
import { Prisma, type Tag } from '../../../generated/prisma-sqlite/client.ts';
import { Errors } from '../../errors/registry.ts';
import { MAX_ID, type Tx } from '../../store/items/item-store.ts';
import { wholeSecond } from '../../lib/dates.ts';
import type { Principal } from '../identity/principal.ts';
import { DEFAULT_PER_PAGE } from '../items/list-query.ts';
import { managesTags, visibleTagsSql, visibleTagsWhere } from './tag-visibility.ts';
import { tagWrite } from './tag-write.ts';

export type StoredTag = Tag;


export interface TagPage {
  page: number;
  perPage: number;
  tags: StoredTag[];
  total: number;
}

/** The body of create, replace and patch (already checked against the contract). */
export interface TagInput {
  name?: string;
  description?: string | null;
  parent?: number | null;
  private?: boolean;
}

/** A cascade larger than this is refused rather than run as one long transaction. */
const MAX_CASCADE = 10_000;

export class TagsService {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly invalidation: CacheInvalidation,
  ) {}

  // ------------------------------------------------------------------ the collection

  /** One page of the visible tags; `source` is the query merged with a SEARCH body. */
  async readPage(scope: ActingScope, source: Record<string, unknown>): Promise<TagPage> {
    const page = Number(source.page ?? 1);
    const perPage = Math.min(Number(source.perPage ?? DEFAULT_PER_PAGE), scope.tenant.settings.apiMaxPageLength);
    const parent = parentFilter(source.parent);
    const search = typeof source.search === 'string' ? source.search : '';
    const conditions = [visibleTagsSql(scope.principal, 't')];
    if (parent === null) conditions.push(Prisma.sql`t."parentId" IS NULL`);
    if (typeof parent === 'number') {
      await this.visibleTag(this.db, scope.principal, parent, () => Errors.unknownTag({ id: parent }, { details: [{ path: 'parent', message: 'not a tag you see' }] }));
      conditions.push(Prisma.sql`t."parentId" = ${parent}`);
    }
    // Names are folded in JS when written (SQL LOWER folds ASCII only); '!' escapes the wildcards.
    if (search) conditions.push(Prisma.sql`t."nameFolded" LIKE ${`%${fold(search).replace(/[!%_]/g, '!$&')}%`} ESCAPE '!'`);
    const where = Prisma.join(conditions, ' AND ');
    const rows = await this.db.$queryRaw<{ id: number | bigint }[]>`
      SELECT t."id" FROM "Tag" t WHERE ${where} ORDER BY t."name" ASC, t."id" ASC LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`;
    const [{ total }] = await this.db.$queryRaw<{ total: number | bigint }[]>`SELECT COUNT(*) AS total FROM "Tag" t WHERE ${where}`;
    const ids = rows.map((row) => Number(row.id));
    const found = new Map((await this.db.tag.findMany({ where: { id: { in: ids } } })).map((tag) => [tag.id, tag]));
    // A tag deleted between the two reads is simply not on the page.
    const tags = ids.map((id) => found.get(id)).filter((tag): tag is StoredTag => tag !== undefined);
    return { page, perPage, tags, total: Number(total) };
  }

  async readOne(scope: ActingScope, id: string): Promise<StoredTag> {
    return this.visibleTag(this.db, scope.principal, tagId(id));
  }

  async createOne(scope: ActingScope, input: TagInput): Promise<StoredTag> {
    assertWriter(scope.principal);
    const name = tagName(input.name);
    // createPrivateTags without manageTags: the tag is private whatever was asked (seed 004).
    const isPrivate = managesTags(scope.principal) ? (input.private ?? false) : true;
    return this.treeWrite(scope, async (tx) => {
      const parent = input.parent == null ? null : await this.parentFor(tx, scope.principal, input.parent);
      if (parent?.private && !isPrivate) throw publicUnderPrivate(parent.id);
      if (parent) assertDepth((await this.ancestors(tx, parent.id)).length + 1);
      const now = wholeSecond();
      const userId = scope.principal.userId;
      return tx.tag.create({
        data: {
          tenantId: scope.tenant.id, name, nameFolded: fold(name), description: input.description ?? null, parentId: parent?.id ?? null, private: isPrivate,
          ownerId: userId, createdBy: userId, createdOn: now, updatedOn: now,
        },
      });
    });
  }

  /** PUT: `description` and `parent` left out are cleared; `private` left out is false (true for private-only writers). */
  async replaceOne(scope: ActingScope, id: string, input: TagInput): Promise<StoredTag> {
    const manager = managesTags(scope.principal);
    return this.update(scope, id, input, () => ({
      name: tagName(input.name),
      description: input.description ?? null,
      parentId: input.parent ?? null,
      private: manager ? (input.private ?? false) : true,
    }));
  }

  async patchOne(scope: ActingScope, id: string, input: TagInput): Promise<StoredTag> {
    return this.update(scope, id, input, (current) => ({
      name: input.name === undefined ? current.name : tagName(input.name),
      description: input.description === undefined ? current.description : input.description,
      parentId: input.parent === undefined ? current.parentId : input.parent,
      private: input.private ?? current.private,
    }));
  }

  /** Deletes the tag (its assignments go with it); with `cascade`, its whole subtree, deepest first. */
  async deleteOne(scope: ActingScope, id: string, cascade: boolean): Promise<void> {
    assertWriter(scope.principal);
    const target = tagId(id);
    await this.treeWrite(scope, async (tx) => {
      const tag = await this.visibleTag(tx, scope.principal, target);
      assertMayChange(scope.principal, tag);
      const subtree = await this.subtree(tx, tag);
      const children = subtree.filter((t) => t.depth === 1).length;
      if (children && !cascade) throw Errors.conflict({ message: `Tag ${tag.id} has child tags; delete them first or use cascade=true` });
      if (subtree.length > MAX_CASCADE) throw Errors.conflict({ message: `cascade would delete more than ${MAX_CASCADE} tags` });
      // A private-only writer may not take tags it could not delete one by one with it.
      if (!subtree.every((doomed) => mayChange(scope.principal, doomed))) {
        throw Errors.permissionDenied({ permission: 'manageTags (the subtree holds tags that are not private tags of yours)' });
      }
      // The parent foreign key restricts: remove the leaves of each level before their parents.
      for (let depth = Math.max(...subtree.map((t) => t.depth)); depth >= 0; depth--) {
        await tx.tag.deleteMany({ where: { id: { in: subtree.filter((t) => t.depth === depth).map((t) => t.id) } } });
      }
    });
  }

  // ------------------------------------------------------------------ rules

  private async update(scope: ActingScope, id: string, input: TagInput, next: (current: StoredTag) => Pick<StoredTag, 'name' | 'description' | 'parentId' | 'private'>) {
    assertWriter(scope.principal);
    const target = tagId(id);
    return this.treeWrite(scope, async (tx) => {
      const current = await this.visibleTag(tx, scope.principal, target);
      assertMayChange(scope.principal, current);
      if (input.private === false && !managesTags(scope.principal)) throw Errors.permissionDenied({ permission: 'manageTags (to make a tag public)' });
      const data = next(current);
      // A new parent must be one the caller sees; the current one stays even if it no longer does.
      const moved = data.parentId !== current.parentId;
      let parent: StoredTag | null = null;
      if (data.parentId !== null && moved) {
        parent = await this.parentFor(tx, scope.principal, data.parentId);
        const above = await this.ancestors(tx, parent.id);
        if (above.includes(current.id)) {
          throw Errors.conflict({ message: `Tag ${parent.id} is tag ${current.id} or one of its descendants; a tag cannot move under itself` });
        }
        const height = Math.max(...(await this.subtree(tx, current)).map((t) => t.depth));
        assertDepth(above.length + 1 + height);
      } else if (data.parentId !== null) {
        parent = await tx.tag.findUnique({ where: { id: data.parentId } });
      }
      if (parent?.private && !data.private) throw publicUnderPrivate(parent.id);
      if (data.private && !current.private) {
        const child = await tx.tag.findFirst({ where: { parentId: current.id, private: false }, select: { id: true } });
        if (child) throw Errors.conflict({ message: `Tag ${current.id} has public child tag ${child.id}; a public tag cannot have a private parent` });
      }
      return tx.tag.update({ where: { id: current.id }, data: { ...data, nameFolded: fold(data.name), updatedOn: wholeSecond() } });
    });
  }

  /** The tag if the principal sees it; `missing` otherwise (404 by default). */
  private async visibleTag(db: Db | Tx, principal: Principal, id: number, missing = () => Errors.notFound({ what: 'Tag', id })): Promise<StoredTag> {
    const tag = id <= MAX_ID ? await db.tag.findFirst({ where: { id, ...visibleTagsWhere(principal) } }) : null;
    if (!tag) throw missing();
    return tag;
  }

  /** A parent named in a body: a tag the principal sees in the tenant (400 UNKNOWN_TAG otherwise). */
  private parentFor(tx: Tx, principal: Principal, id: number): Promise<StoredTag> {
    return this.visibleTag(tx, principal, id, () => Errors.unknownTag({ id }, { details: [{ path: 'body.parent', message: 'not a tag you see' }] }));
  }

  /** The tag `id` and its ancestors up to the top level (ids). */
  private async ancestors(tx: Tx, id: number): Promise<number[]> {
    const rows = await tx.$queryRaw<{ id: number | bigint }[]>`
      WITH RECURSIVE up(id, pid) AS (
        SELECT t."id", t."parentId" FROM "Tag" t WHERE t."id" = ${id}
        UNION
        SELECT t."id", t."parentId" FROM up CROSS JOIN "Tag" t WHERE t."id" = up.pid
      )
      SELECT id FROM up`;
    return rows.map((row) => Number(row.id));
  }

  /**
   * The tag and every descendant with its depth below the tag (0: the tag). Each step is driven
   * from `sub` (CROSS JOIN fixes the order on SQLite) through the (tenantId, parentId) index.
   */
  private async subtree(tx: Tx, tag: StoredTag) {
    const rows = await tx.$queryRaw<{ id: number | bigint; depth: number | bigint; private: boolean | number; ownerId: number | bigint | null }[]>`
      WITH RECURSIVE sub(id, depth) AS (
        SELECT t."id", 0 FROM "Tag" t WHERE t."id" = ${tag.id}
        UNION ALL
        SELECT t."id", sub.depth + 1 FROM sub CROSS JOIN "Tag" t WHERE t."tenantId" = ${tag.tenantId} AND t."parentId" = sub.id
      )
      SELECT sub.id, sub.depth, t."private", t."ownerId" FROM sub JOIN "Tag" t ON t."id" = sub.id`;
    return rows.map((row) => ({ id: Number(row.id), depth: Number(row.depth), private: Boolean(row.private), ownerId: row.ownerId === null ? null : Number(row.ownerId) }));
  }

  /**
   * A write to the tenant's tag tree. It first takes the tenant row's lock (a no-op UPDATE, the
   * same statement on SQLite and PostgreSQL), so tree writes of one tenant run one at a time and
   * two concurrent moves cannot each pass the cycle check. (SERIALIZABLE would do it too, but
   * Prisma 6 leaks the connection when COMMIT itself fails with a serialization error.)
   */
  private treeWrite<T>(scope: ActingScope, body: (tx: Tx) => Promise<T>): Promise<T> {
    return tagWrite(this.unitOfWork, async (tx, work) => {
      await tx.$executeRaw`UPDATE "Tenant" SET "name" = "name" WHERE "id" = ${scope.tenant.id}`;
      // Which items a tag filter keeps (descendants included) may change with any tag write.
      this.invalidation.tagsChanged(work, scope.tenant.id);
      return body(tx);
    });
  }
}

function assertWriter(principal: Principal): void {
  if (!managesTags(principal) && !principal.permissions.has('createPrivateTags')) {
    throw Errors.permissionDenied({ permission: 'manageTags or createPrivateTags' });
  }
}

/** manageTags changes any tag; createPrivateTags alone only the private tags its holder created. */
function mayChange(principal: Principal, tag: { private: boolean; ownerId: number | null }): boolean {
  return managesTags(principal) || (tag.private && tag.ownerId === principal.userId);
}

function assertMayChange(principal: Principal, tag: { id: number; private: boolean; ownerId: number | null }): void {
  if (!mayChange(principal, tag)) throw Errors.permissionDenied({ permission: `manageTags (tag ${tag.id} is not a private tag of yours)` });
}

/** Trees stay shallow: every walk up or down them is a bounded recursive query. */
export const MAX_TAG_DEPTH = 32;

function assertDepth(depth: number): void {
  if (depth > MAX_TAG_DEPTH) throw Errors.conflict({ message: `Tags nest at most ${MAX_TAG_DEPTH} levels deep; this would make ${depth}` });
}

/** What `search` compares: the name lower-cased the same way on every database. */
function fold(text: string): string {
  return text.toLowerCase();
}

function publicUnderPrivate(parentId: number) {
  return Errors.conflict({ message: `Tag ${parentId} is private; a public tag cannot have a private parent` });
}

/** A path tag id: digits (a number past the id range is simply not found); anything else is 400. */
function tagId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw Errors.invalidPath({ segment: text.slice(0, 40) });
  return Number(text);
}

/** `parent` of a list: undefined (no filter), null (top level: `0`, `root` or null) or a tag id. */
function parentFilter(value: unknown): number | null | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === null || value === 0 || value === '0' || value === 'root') return null;
  const id = typeof value === 'number' ? value : /^\d{1,10}$/.test(String(value)) ? Number(value) : NaN;
  if (!(id >= 1 && id <= MAX_ID)) throw Errors.invalidTags({ where: 'parent', reason: 'must be a tag id, 0 or root' });
  return id;
}

function tagName(name: string | undefined): string {
  const trimmed = (name ?? '').trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 200) {
    throw Errors.validationFailed(undefined, { details: [{ path: 'body.name', message: 'must hold 1 to 200 characters besides surrounding spaces' }] });
  }
  return trimmed;
}

