// The tags collection (F6.1): the tag tree and who may change which tag. No Koa; each write is
// one transaction. Item ↔ tag links are in tag-assignments.ts.
import type { Db } from '../../store/database.ts';
import { Prisma, type Tag } from '../../../generated/prisma-sqlite/client.ts';
import { Errors } from '../../errors/registry.ts';
import { MAX_ID, type Tx } from '../../store/items/item-store.ts';
import { wholeSecond } from '../../lib/dates.ts';
import type { Principal } from '../identity/principal.ts';
import type { TenantContext } from '../identity/tenant.ts';
import { DEFAULT_PER_PAGE } from '../items/list-query.ts';
import { managesTags, visibleTagsSql, visibleTagsWhere } from './tag-visibility.ts';
import { tagWrite } from './tag-write.ts';

export type StoredTag = Tag;

export interface TagScope {
  tenant: TenantContext;
  principal: Principal;
  generation: number | null;
}

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
  constructor(private readonly db: Db) {}

  // ------------------------------------------------------------------ the collection

  /** One page of the visible tags; `source` is the query merged with a SEARCH body. */
  async readPage(scope: TagScope, source: Record<string, unknown>): Promise<TagPage> {
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
    // LOWER on both sides works alike on SQLite and PostgreSQL ('!' escapes the wildcards).
    if (search) conditions.push(Prisma.sql`LOWER(t."name") LIKE ${`%${search.toLowerCase().replace(/[!%_]/g, '!$&')}%`} ESCAPE '!'`);
    const where = Prisma.join(conditions, ' AND ');
    const rows = await this.db.$queryRaw<{ id: number | bigint }[]>`
      SELECT t."id" FROM "Tag" t WHERE ${where} ORDER BY t."name" ASC, t."id" ASC LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`;
    const [{ total }] = await this.db.$queryRaw<{ total: number | bigint }[]>`SELECT COUNT(*) AS total FROM "Tag" t WHERE ${where}`;
    const ids = rows.map((row) => Number(row.id));
    const found = new Map((await this.db.tag.findMany({ where: { id: { in: ids } } })).map((tag) => [tag.id, tag]));
    return { page, perPage, tags: ids.map((id) => found.get(id)!), total: Number(total) };
  }

  async readOne(scope: TagScope, id: string): Promise<StoredTag> {
    return this.visibleTag(this.db, scope.principal, tagId(id));
  }

  async createOne(scope: TagScope, input: TagInput): Promise<StoredTag> {
    assertWriter(scope.principal);
    const name = tagName(input.name);
    // createPrivateTags without manageTags: the tag is private whatever was asked (seed 004).
    const isPrivate = managesTags(scope.principal) ? (input.private ?? false) : true;
    return this.treeWrite(scope, async (tx) => {
      const parent = input.parent == null ? null : await this.parentFor(tx, scope.principal, input.parent);
      if (parent?.private && !isPrivate) throw publicUnderPrivate(parent.id);
      const now = wholeSecond();
      const userId = scope.principal.userId;
      return tx.tag.create({
        data: {
          tenantId: scope.tenant.id, name, description: input.description ?? null, parentId: parent?.id ?? null, private: isPrivate,
          ownerId: userId, createdBy: userId, createdOn: now, updatedOn: now,
        },
      });
    });
  }

  /** PUT: `description` and `parent` left out are cleared; `private` left out is false (true for private-only writers). */
  async replaceOne(scope: TagScope, id: string, input: TagInput): Promise<StoredTag> {
    const manager = managesTags(scope.principal);
    return this.update(scope, id, input, () => ({
      name: tagName(input.name),
      description: input.description ?? null,
      parentId: input.parent ?? null,
      private: manager ? (input.private ?? false) : true,
    }));
  }

  async patchOne(scope: TagScope, id: string, input: TagInput): Promise<StoredTag> {
    return this.update(scope, id, input, (current) => ({
      name: input.name === undefined ? current.name : tagName(input.name),
      description: input.description === undefined ? current.description : input.description,
      parentId: input.parent === undefined ? current.parentId : input.parent,
      private: input.private ?? current.private,
    }));
  }

  /** Deletes the tag (its assignments go with it); with `cascade`, its whole subtree, deepest first. */
  async deleteOne(scope: TagScope, id: string, cascade: boolean): Promise<void> {
    assertWriter(scope.principal);
    const target = tagId(id);
    await this.treeWrite(scope, async (tx) => {
      const tag = await this.visibleTag(tx, scope.principal, target);
      assertMayChange(scope.principal, tag);
      const subtree = await this.subtree(tx, tag);
      const children = subtree.filter((t) => t.depth === 1).length;
      if (children && !cascade) throw Errors.conflict({ message: `Tag ${tag.id} has ${children} child tag(s); delete them first or use cascade=true` });
      if (subtree.length > MAX_CASCADE) throw Errors.conflict({ message: `cascade would delete more than ${MAX_CASCADE} tags` });
      // A private-only writer may not take tags it could not delete one by one with it.
      for (const doomed of subtree) assertMayChange(scope.principal, doomed);
      // The parent foreign key restricts: remove the leaves of each level before their parents.
      for (let depth = Math.max(...subtree.map((t) => t.depth)); depth >= 0; depth--) {
        await tx.tag.deleteMany({ where: { id: { in: subtree.filter((t) => t.depth === depth).map((t) => t.id) } } });
      }
    });
  }

  // ------------------------------------------------------------------ rules

  private async update(scope: TagScope, id: string, input: TagInput, next: (current: StoredTag) => Pick<StoredTag, 'name' | 'description' | 'parentId' | 'private'>) {
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
        await this.assertNoCycle(tx, current, parent.id);
      } else if (data.parentId !== null) {
        parent = await tx.tag.findUnique({ where: { id: data.parentId } });
      }
      if (parent?.private && !data.private) throw publicUnderPrivate(parent.id);
      if (data.private && !current.private) {
        const child = await tx.tag.findFirst({ where: { parentId: current.id, private: false }, select: { id: true } });
        if (child) throw Errors.conflict({ message: `Tag ${current.id} has public child tag ${child.id}; a public tag cannot have a private parent` });
      }
      return tx.tag.update({ where: { id: current.id }, data: { ...data, updatedOn: wholeSecond() } });
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

  /** 409 when `parentId` is the tag itself or one of its descendants (walks up from the parent). */
  private async assertNoCycle(tx: Tx, tag: StoredTag, parentId: number): Promise<void> {
    const ancestors = await tx.$queryRaw<{ id: number | bigint }[]>`
      WITH RECURSIVE up(id, pid) AS (
        SELECT t."id", t."parentId" FROM "Tag" t WHERE t."id" = ${parentId}
        UNION
        SELECT t."id", t."parentId" FROM "Tag" t JOIN up ON t."id" = up.pid
      )
      SELECT id FROM up`;
    if (ancestors.some((row) => Number(row.id) === tag.id)) {
      throw Errors.conflict({ message: `Tag ${parentId} is tag ${tag.id} or one of its descendants; a tag cannot move under itself` });
    }
  }

  /** The tag and every descendant with its depth below the tag (0: the tag). */
  private async subtree(tx: Tx, tag: StoredTag) {
    const rows = await tx.$queryRaw<{ id: number | bigint; depth: number | bigint; private: boolean | number; ownerId: number | bigint | null }[]>`
      WITH RECURSIVE sub(id, depth) AS (
        SELECT t."id", 0 FROM "Tag" t WHERE t."id" = ${tag.id}
        UNION ALL
        SELECT t."id", sub.depth + 1 FROM "Tag" t JOIN sub ON t."parentId" = sub.id WHERE t."tenantId" = ${tag.tenantId} AND sub.depth < 1000
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
  private treeWrite<T>(scope: TagScope, work: (tx: Tx) => Promise<T>): Promise<T> {
    return tagWrite(this.db, async (tx) => {
      await tx.$executeRaw`UPDATE "Tenant" SET "name" = "name" WHERE "id" = ${scope.tenant.id}`;
      return work(tx);
    });
  }
}

function assertWriter(principal: Principal): void {
  if (!managesTags(principal) && !principal.permissions.has('createPrivateTags')) {
    throw Errors.permissionDenied({ permission: 'manageTags or createPrivateTags' });
  }
}

/** manageTags changes any tag; createPrivateTags alone only the private tags its holder created. */
function assertMayChange(principal: Principal, tag: { id: number; private: boolean; ownerId: number | null }): void {
  if (managesTags(principal) || (tag.private && tag.ownerId === principal.userId)) return;
  throw Errors.permissionDenied({ permission: `manageTags (tag ${tag.id} is not a private tag of yours)` });
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
  if (trimmed.length < 1 || trimmed.length > 200) {
    throw Errors.validationFailed(undefined, { details: [{ path: 'body.name', message: 'must hold 1 to 200 characters besides surrounding spaces' }] });
  }
  return trimmed;
}

