// The generic collection: who may do what on a type, and the reads and writes of its items.
// No Koa, no status codes; each write is one unit of work; the caller projects the result.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Db } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import type { ActingScope } from '../acting-scope.ts';
import { Errors } from '../../errors/registry.ts';
import type { TypeAction } from '../identity/permissions.ts';
import { planFilters, targetFor } from '../../store/items/filters.ts';
import {
  conflictingUniques, deleteItems, existingIds, insertItem, lockItems, readByIds, readFirstMatching, readOne, readPage, referencesTo, rewriteItem, writeIndex,
  type StoredItem, type Tx,
} from '../../store/items/item-store.ts';
import { readInput } from './item-input.ts';
import { readListQuery, type ListQuery } from './list-query.ts';
import { resolveTagGroups } from '../tags/tag-filter.ts';
import type { CacheInvalidation } from '../../cache/invalidation.ts';
import type { FilesService } from '../files/files-service.ts';
import { assertGrant, auditRead, isHidden, mayShow, resolveVisibleType } from './access.ts';
import { stillReferenced, uniqueViolation } from './write-refusals.ts';
import { wholeSecond } from '../../lib/dates.ts';
import type { TypeRegistry } from './type-registry.ts';
import { SPECIAL_COLLECTIONS, type PropertyDef, type TypeDef } from './type-definition.ts';


/**
 * An item a write produced, and whether the writer may see it: without `show` the answer is
 * its `id` and `uuid` only (an edit grant must not be a way to read items).
 */
export interface WrittenItem {
  type: TypeDef;
  item: StoredItem;
  visible: boolean;
}

export interface ItemPage {
  type: TypeDef;
  query: ListQuery;
  items: StoredItem[];
  total: number;
}

const MAX_CASCADE = 10_000;

export class ItemsService {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly types: TypeRegistry,
    private readonly dialect: 'sqlite' | 'postgresql',
    private readonly files: FilesService,
    private readonly invalidation: CacheInvalidation,
  ) {}

  /**
   * The item, read again under its row lock (two writers must not both read it and both adjust
   * the counters). Tag assignments lock the same way.
   */
  async readForWrite(tx: Tx, typeId: number, item: string | number): Promise<StoredItem | null> {
    const found = await readOne(tx, typeId, item);
    if (!found || this.dialect !== 'postgresql') return found;
    await lockItems(tx, this.dialect, [found.id]);
    return readOne(tx, typeId, found.id);
  }

  /** The type behind `collection`, if the principal holds `action` on it (403 otherwise). */
  async typeFor(scope: ActingScope, collection: string | number, action: TypeAction): Promise<TypeDef> {
    // Reached only by routes the special collections do not have (e.g. /collection/tags/get-by/...).
    if (typeof collection === 'string' && SPECIAL_COLLECTIONS.includes(collection)) throw Errors.badRequest({ message: `The ${collection} collection has no such route` });
    const type = await resolveVisibleType(this.types, scope, collection);
    this.assertGrant(scope, type, action);
    return type;
  }

  private assertGrant(scope: ActingScope, type: TypeDef, action: TypeAction): void {
    assertGrant(scope.principal, type, action);
  }

  async readPage(scope: ActingScope, collection: string, query: Record<string, unknown>, body?: Record<string, unknown>): Promise<ItemPage> {
    const type = await this.typeFor(scope, collection, 'show');
    const list = readListQuery(type, query, body, scope.tenant.settings.apiMaxPageLength);
    const filters = planFilters(type, list.filters, scope.principal.timeZone);
    const tagGroups = list.tags ? await resolveTagGroups(this.db, scope.principal, list.tags) : [];
    const { items, total } = await readPage(this.db, type, filters, tagGroups, list.ordering, list.perPage, (list.page - 1) * list.perPage);
    return { type, query: list, items, total };
  }

  async readOne(scope: ActingScope, collection: string, item: string): Promise<{ type: TypeDef; item: StoredItem }> {
    const type = await this.typeFor(scope, collection, 'show');
    const found = await readOne(this.db, type.id, item);
    if (!found) throw Errors.notFound({ what: `Item of ${type.systemName}`, id: item });
    await this.audit(scope, type, found);
    return { type, item: found };
  }

  async readBy(scope: ActingScope, collection: string, property: string, value: string): Promise<{ type: TypeDef; item: StoredItem }> {
    const type = await this.typeFor(scope, collection, 'show');
    const target = targetFor(type, property);
    if (!target) throw Errors.unknownField({ parameter: 'property', field: property });
    const [filter] = planFilters(type, [{ property, type: 'eq', param: value }], scope.principal.timeZone);
    const found = await readFirstMatching(this.db, type, filter);
    if (!found) throw Errors.notFound({ what: `Item of ${type.systemName} with ${property}`, id: value });
    await this.audit(scope, type, found);
    return { type, item: found };
  }

  async createOne(scope: ActingScope, collection: string, body: unknown): Promise<WrittenItem> {
    const type = await this.typeFor(scope, collection, 'create');
    const input = readInput(type, 'create', body, scope.principal.timeZone);
    const data = withDefaults(type, input);
    const item = await this.write(scope, type, async (tx, work) => {
      const files = await this.files.bind(tx, scope, type, null, data);
      this.assertComplete(type, data);
      await this.checkReferences(tx, scope, type, data);
      const now = wholeSecond();
      const row = await insertItem(tx, { uuid: randomUUID(), tenantId: scope.tenant.id, typeId: type.id, data, at: now, by: scope.principal.userId });
      await this.checkUniques(tx, scope, type, row.id, data);
      await writeIndex(tx, type, row.id, data, false);
      await this.files.apply(work, row.id, files);
      this.invalidation.itemWritten(work, scope.tenant.id, type.id, row);
      return row;
    });
    // The answer holds only what the caller sent and the type's defaults: no read to audit.
    return { type, item, visible: mayShow(scope.principal, type) };
  }

  async replaceOne(scope: ActingScope, collection: string, item: string, body: unknown): Promise<WrittenItem> {
    const type = await this.typeFor(scope, collection, 'edit');
    const input = readInput(type, 'replace', body, scope.principal.timeZone);
    return this.update(scope, type, item, () => withDefaults(type, input));
  }

  async patchOne(scope: ActingScope, collection: string, item: string, body: unknown): Promise<WrittenItem> {
    const type = await this.typeFor(scope, collection, 'edit');
    const input = readInput(type, 'patch', body, scope.principal.timeZone);
    return this.update(scope, type, item, (current) => {
      const merged = applyPatch(type, current, input);
      // `+=` can grow a value past its limits: the merged values must pass the same checks.
      const additive = Object.keys(input).filter((key) => key.endsWith('+=') || key.endsWith('+=='));
      const names = [...new Set(additive.map((key) => key.replace(/\+=?=$/, '')))];
      if (names.length) readInput(type, 'patch', Object.fromEntries(names.map((name) => [name, merged[name] ?? null])), 'UTC');
      return merged;
    });
  }

  async deleteOne(scope: ActingScope, collection: string, item: string, options: { strict?: boolean; cascade?: boolean }): Promise<void> {
    const type = await this.typeFor(scope, collection, 'delete');
    const all = await this.types.all(scope.tenant.id, scope.generation);
    // The type that holds each reference property, found once rather than per reference.
    const owner = new Map(all.flatMap((t) => t.properties.map((p) => [p.id, t] as const)));
    const typeOf = (ref: { propertyId: number }) => owner.get(ref.propertyId)!;
    await this.write(scope, type, async (tx, work) => {
      const found = await this.readForWrite(tx, type.id, item);
      if (!found) throw Errors.notFound({ what: `Item of ${type.systemName}`, id: item });
      const doomed = new Set<number>([found.id]);
      const doomedTypes = new Set<number>();
      const queue = [found];
      const clear: { itemId: number; property: PropertyDef; target: number }[] = [];
      while (queue.length) {
        const current = queue.shift()!;
        const properties = all.flatMap((t) => t.properties.filter((p) => p.kind === 'reference' && p.referenceType === current.typeId));
        const refs = (await referencesTo(tx, properties.map((p) => p.id), current.id)).filter((r) => !doomed.has(r.itemId));
        if (!refs.length) continue;
        if (options.strict) throw stillReferenced(scope, refs.map((ref) => ({ itemId: ref.itemId, type: typeOf(ref) })));
        for (const ref of refs) {
          const property = properties.find((p) => p.id === ref.propertyId)!;
          const referencingType = typeOf(ref);
          // A type hidden from the caller is not named: its items still hold the reference.
          if (isHidden(scope.principal, referencingType)) throw Errors.stillReferencedHidden();
          if (!options.cascade) {
            // Clearing the reference edits the referencing item: that needs edit on its type.
            this.assertGrant(scope, referencingType, 'edit');
            clear.push({ itemId: ref.itemId, property, target: current.id });
            continue;
          }
          const [referencing] = await readByIds(tx, [ref.itemId]);
          this.assertGrant(scope, referencingType, 'delete');
          doomed.add(referencing.id);
          if (doomed.size > MAX_CASCADE) throw Errors.conflict({ message: `cascade would delete more than ${MAX_CASCADE} items` });
          doomedTypes.add(referencing.typeId);
          queue.push(referencing);
        }
      }
      await this.clearReferences(tx, scope, all, clear.filter((c) => !doomed.has(c.itemId)));
      // Lock every doomed item, so no write binds a file to one between here and its delete.
      await lockItems(tx, this.dialect, [...doomed]);
      await this.files.dropFilesOfItems(work, [...doomed]);
      await deleteItems(tx, all, [...doomed]);
      // One item alone: its own entries and its type's lists. A cascade or cleared references
      // touch items of other types, maybe many: each such type is made unreachable whole.
      const cleared = clear.filter((c) => !doomed.has(c.itemId));
      if (doomed.size === 1 && !cleared.length) this.invalidation.itemWritten(work, scope.tenant.id, type.id, found);
      else {
        const rewritten = new Set([type.id, ...doomedTypes, ...cleared.map((c) => typeOf({ propertyId: c.property.id }).id)]);
        for (const typeId of rewritten) this.invalidation.typeRewritten(work, scope.tenant.id, typeId);
      }
    });
  }

  private async update(scope: ActingScope, type: TypeDef, item: string, next: (current: Record<string, unknown>) => Record<string, unknown>): Promise<WrittenItem> {
    const updated = await this.write(scope, type, async (tx, work) => {
      const found = await this.readForWrite(tx, type.id, item);
      if (!found) throw Errors.notFound({ what: `Item of ${type.systemName}`, id: item });
      const data = next(found.data);
      // A write that changes no value (an empty PATCH) is no change: updated_on/_by stay.
      if (isDeepStrictEqual(data, found.data)) return found;
      const files = await this.files.bind(tx, scope, type, found.data, data);
      this.assertComplete(type, data);
      await this.checkReferences(tx, scope, type, data);
      await this.checkUniques(tx, scope, type, found.id, data);
      await this.files.apply(work, found.id, files);
      this.invalidation.itemWritten(work, scope.tenant.id, type.id, found);
      return rewriteItem(tx, type, found.id, data, { userId: scope.principal.userId, at: wholeSecond() });
    });
    // The answer shows the whole item, fields not sent included: for a reader, that is a read.
    const visible = mayShow(scope.principal, type);
    if (visible) await this.audit(scope, type, updated);
    return { type, item: updated, visible };
  }

  /** Removes a deleted item's id from the reference properties that held it. */
  private async clearReferences(tx: Tx, scope: ActingScope, all: TypeDef[], refs: { itemId: number; property: PropertyDef; target: number }[]) {
    for (const ref of refs) {
      const [row] = await readByIds(tx, [ref.itemId]);
      if (!row) continue;
      const type = all.find((t) => t.id === row.typeId)!;
      const { data } = row;
      const value = data[ref.property.systemName];
      if (Array.isArray(value)) data[ref.property.systemName] = value.filter((v) => v !== ref.target);
      else delete data[ref.property.systemName];
      await rewriteItem(tx, type, row.id, data, { userId: scope.principal.userId, at: wholeSecond() });
    }
  }

  private assertComplete(type: TypeDef, data: Record<string, unknown>): void {
    const missing = type.properties.filter((p) => p.required && isEmpty(data[p.systemName]));
    if (missing.length) {
      throw Errors.validationFailed(undefined, { details: missing.map((p) => ({ path: `body.${p.systemName}`, message: 'is required' })) });
    }
  }

  private async checkReferences(tx: Tx, scope: ActingScope, type: TypeDef, data: Record<string, unknown>): Promise<void> {
    for (const property of type.properties) {
      if (property.kind !== 'reference' || isEmpty(data[property.systemName])) continue;
      const ids = ([] as number[]).concat(data[property.systemName] as number | number[]);
      const target = await this.types.resolve(scope.tenant.id, property.referenceType!, scope.generation);
      // Whether an id exists in a type is only for those who may see that type; a type hidden
      // from the caller is named by the property that refers to it, not by its own name.
      if (isHidden(scope.principal, target)) throw Errors.permissionDenied({ permission: `show on the type that property "${property.systemName}" refers to` });
      this.assertGrant(scope, target, 'show');
      const found = await existingIds(tx, target.id, ids);
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) throw Errors.referenceNotFound({ property: property.systemName, id: missing });
    }
  }

  private async checkUniques(tx: Tx, scope: ActingScope, type: TypeDef, itemId: number, data: Record<string, unknown>): Promise<void> {
    const clash = await conflictingUniques(tx, type, itemId, data);
    if (clash.length) throw uniqueViolation(scope, type, [type.properties.find((p) => p.id === clash[0])!]);
  }

  private write<T>(scope: ActingScope, type: TypeDef, body: (tx: Tx, work: Work) => Promise<T>): Promise<T> {
    const uniques = type.properties.filter((p) => p.unique);
    return this.unitOfWork.write(body, {
      what: `Item of ${type.systemName}`,
      // Two writers raced past checkUniques: the ItemUnique key caught it; name the property (to a reader).
      translate: (error) => ((error as { code?: string }).code === 'P2002' && uniques.length ? uniqueViolation(scope, type, uniques) : undefined),
    });
  }

  /** The read-access log of a tenant, newest first. */
  readAudit(tenantId: number, filter: { typeId?: number; itemId?: number; limit?: number }) {
    return this.db.readAudit.findMany({
      where: { tenantId, typeId: filter.typeId, itemId: filter.itemId },
      orderBy: { id: 'desc' },
      take: filter.limit ?? 100,
    });
  }

  private async audit(scope: ActingScope, type: TypeDef, item: StoredItem): Promise<void> {
    await auditRead(this.db, scope.principal, type, item.id);
  }
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

/** Stored data for create/replace: sent values, then defaults for what was not sent. */
function withDefaults(type: TypeDef, input: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const property of type.properties) {
    const value = input[property.systemName];
    if (value !== undefined && value !== null) data[property.systemName] = value;
    else if (value === undefined && property.defaultValue !== null) data[property.systemName] = property.defaultValue;
  }
  return data;
}

/** PATCH: plain keys replace; `name+=` appends/adds/merges; `name+==` adds missing values. */
function applyPatch(type: TypeDef, current: Record<string, unknown>, input: Record<string, unknown>): Record<string, unknown> {
  const data = { ...current };
  for (const [key, value] of Object.entries(input)) {
    const operator = key.endsWith('+==') ? '+==' : key.endsWith('+=') ? '+=' : '';
    const name = key.slice(0, key.length - operator.length);
    const property = type.bySystemName.get(name)!;
    const existing = data[name];
    if (!operator) {
      if (value === null) delete data[name];
      else data[name] = value;
    } else if (property.multiple) {
      const list = Array.isArray(existing) ? existing : [];
      const added = value as unknown[];
      data[name] = operator === '+==' ? [...list, ...added.filter((v, i) => !list.includes(v) && added.indexOf(v) === i)] : [...list, ...added];
    } else if (typeof value === 'number') {
      data[name] = (typeof existing === 'number' ? existing : 0) + value;
    } else {
      data[name] = `${typeof existing === 'string' ? existing : ''}${value as string}`;
    }
  }
  return data;
}
