// Tag assignments (F5.5): tags.object reads the visible tags of one item (type's `show`),
// tags.assign adds, removes or replaces them (type's `edit`). Tags the caller cannot see are
// neither shown nor touched.
import type { Db } from '../../store/database.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import { Prisma, type Tag } from '../../../generated/prisma-sqlite/client.ts';
import { Errors } from '../../errors/registry.ts';
import { readOne, type Tx } from '../../store/items/item-store.ts';
import type { Principal } from '../identity/principal.ts';
import type { TypeDef } from '../items/type-definition.ts';
import type { CacheInvalidation } from '../../cache/invalidation.ts';
import type { ItemsService } from '../items/items-service.ts';
import type { ActingScope } from '../acting-scope.ts';
import { visibleTagsWhere } from './tag-visibility.ts';
import { mayShow } from '../items/access.ts';
import { tagWrite } from './tag-write.ts';

export type AssignOperation = 'add' | 'remove' | 'replace';

export interface ItemTags {
  type: TypeDef;
  itemId: number;
  tags: Tag[];
}

/** tags.assign's result: the item's tags after the change, null for a caller without `show`. */
export interface AssignedTags {
  type: TypeDef;
  itemId: number;
  tags: Tag[] | null;
}

const BY_NAME = [{ name: 'asc' as const }, { id: 'asc' as const }];

export class TagAssignments {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly items: ItemsService,
    private readonly invalidation: CacheInvalidation,
  ) {}

  /** tags.object: the visible tags of one item; needs `show` on its type. */
  async objectTags(scope: ActingScope, collection: string | number, item: string | number): Promise<ItemTags> {
    const type = await this.items.typeFor(scope, collection, 'show');
    const found = await readOne(this.db, type.id, item);
    if (!found) throw Errors.notFound({ what: `Item of ${type.systemName}`, id: item });
    return { type, itemId: found.id, tags: await tagsOf(this.db, scope.principal, found.id) };
  }

  /**
   * tags.assign: add, remove or replace the item's visible tags; needs `edit` on its type. The
   * item's tags after the change are item data: only a caller with `show` is answered them.
   */
  async assign(scope: ActingScope, collection: string | number, item: string | number, operation: AssignOperation, tags: number[]): Promise<AssignedTags> {
    const type = await this.items.typeFor(scope, collection, 'edit');
    const wanted = [...new Set(tags)];
    return tagWrite(this.unitOfWork, async (tx, work) => {
      // Under the item's row lock: concurrent replaces of its tags run one after the other.
      const found = await this.items.readForWrite(tx, type.id, item);
      if (!found) throw Errors.notFound({ what: `Item of ${type.systemName}`, id: item });
      // Its tags are part of the item: tag-filtered lists and the item's own entries change.
      this.invalidation.itemWritten(work, scope.tenant.id, type.id, found);
      const visible = new Set((await tx.tag.findMany({ where: { id: { in: wanted }, ...visibleTagsWhere(scope.principal) }, select: { id: true } })).map((t) => t.id));
      const unknown = wanted.find((id) => !visible.has(id));
      if (unknown !== undefined) throw Errors.unknownTag({ id: unknown }, { details: [{ path: 'body.tags', message: `tag ${unknown} is not a tag you see` }] });
      if (operation === 'remove') await tx.itemTag.deleteMany({ where: { itemId: found.id, tagId: { in: wanted } } });
      // Tags the caller cannot see are not theirs to take off.
      if (operation === 'replace') await tx.itemTag.deleteMany({ where: { itemId: found.id, tagId: { notIn: wanted }, tag: visibleTagsWhere(scope.principal) } });
      if (operation !== 'remove' && wanted.length) {
        const rows = Prisma.join(wanted.map((tagId) => Prisma.sql`(${found.id}, ${tagId})`));
        await tx.$executeRaw`INSERT INTO "ItemTag" ("itemId", "tagId") VALUES ${rows} ON CONFLICT DO NOTHING`;
      }
      return { type, itemId: found.id, tags: mayShow(scope.principal, type) ? await tagsOf(tx, scope.principal, found.id) : null };
    });
  }
}

function tagsOf(db: Db | Tx, principal: Principal, itemId: number): Promise<Tag[]> {
  return db.tag.findMany({ where: { ...visibleTagsWhere(principal), items: { some: { itemId } } }, orderBy: BY_NAME });
}
