// Types and properties of a tenant (operators). A change never loses stored values silently:
// what existing items could not satisfy is refused with 409 naming the property, and what
// can be migrated (single ↔ multiple values, new uniques) is migrated in the same transaction.
// Each change is one unit of work; the type registry hears of it after the commit.
import type { Db } from '../../store/database.ts';
import type { UnitOfWork, Work, WriteOptions } from '../../store/unit-of-work.ts';
import { Errors } from '../../errors/registry.ts';
import { conflictingUniques, existingIds, rewriteItem, uniqueKey, type Tx } from '../../store/items/item-store.ts';
import { rebuildCounts } from '../../store/items/value-counts.ts';
import { parseScalar } from './kinds.ts';
import type { TypeRegistry } from './type-registry.ts';
import type { FilesService } from '../files/files-service.ts';
import { SPECIAL_COLLECTIONS, SYSTEM_FIELDS, isObjectPrototypeName, propertyAsShown, toTypeDef, type PropertyDef, type PropertyKind, type PropertyOptions } from './type-definition.ts';

/** What the definition limits measure: a property as the API takes and shows it. */
type PropertyShape = Pick<PropertyInput, 'systemName' | 'enumValues'>;
import { MAX_DEFINITION_BYTES, MAX_ENUM_VALUES, MAX_PROPERTIES } from './limits.ts';

export interface PropertyInput {
  systemName?: string;
  name?: string;
  kind?: PropertyKind;
  mediaTypes?: string[];
  maxFileSize?: number;
  required?: boolean;
  unique?: boolean;
  multiple?: boolean;
  default?: unknown;
  enumValues?: string[];
  referenceType?: number | string;
}

export interface TypeInput {
  systemName?: string;
  name?: string;
  readLog?: boolean;
  properties?: PropertyInput[];
}

const WITH_PROPERTIES = { properties: true } as const;

const BATCH = 1000;

const invalid = (path: string, message: string) => Errors.validationFailed(undefined, { details: [{ path, message }] });

export class TypesService {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly registry: TypeRegistry,
    private readonly files: FilesService,
  ) {}

  async list(tenantId: number) {
    const rows = await this.db.itemType.findMany({ where: { tenantId }, include: WITH_PROPERTIES, orderBy: { id: 'asc' } });
    return rows.map(toTypeDef);
  }

  async get(tenantId: number, id: number) {
    const row = await this.db.itemType.findFirst({ where: { tenantId, id }, include: WITH_PROPERTIES });
    if (!row) throw Errors.notFound({ what: 'Type', id });
    return toTypeDef(row);
  }

  async create(tenantId: number, input: TypeInput & { systemName: string }) {
    if (SPECIAL_COLLECTIONS.includes(input.systemName)) {
      throw invalid('body.systemName', `"${input.systemName}" is the special ${input.systemName} collection's name`);
    }
    if (isObjectPrototypeName(input.systemName)) throw invalid('body.systemName', `"${input.systemName}" is reserved`);
    const names = (input.properties ?? []).map((p) => p.systemName);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw invalid('body.properties', `property "${duplicate}" is defined twice`);
    assertDefinitionFits(input.properties ?? []);
    const created = await this.change(tenantId, async (tx) => {
      const type = await tx.itemType.create({ data: { tenantId, systemName: input.systemName, name: input.name ?? input.systemName, readLog: input.readLog ?? false } });
      for (const [index, property] of (input.properties ?? []).entries()) {
        await tx.itemProperty.create({ data: await this.propertyRow(tx, tenantId, type.id, input.systemName, property, index, `body.properties[${index}]`) });
      }
      return type.id;
    }, { what: 'Type' });
    return this.get(tenantId, created);
  }

  async update(tenantId: number, id: number, input: TypeInput) {
    await this.get(tenantId, id);
    await this.change(tenantId, async (tx) => {
      await tx.itemType.update({ where: { id }, data: { ...(input.name ? { name: input.name } : {}), ...(input.readLog !== undefined ? { readLog: input.readLog } : {}) } });
    }, { what: 'Type' });
    return this.get(tenantId, id);
  }

  async delete(tenantId: number, id: number, force: boolean) {
    const type = await this.get(tenantId, id);
    const referencing = await this.referencingProperties(tenantId, id);
    if (referencing.length) throw Errors.conflict({ message: `Type ${type.systemName} is referenced by ${referencing.join(', ')}` });
    const items = await this.db.item.count({ where: { typeId: id } });
    if (items > 0 && !force) throw Errors.conflict({ message: `Type ${type.systemName} has ${items} item(s); delete them or use force=true` });
    await this.change(tenantId, async (tx, work) => {
      await this.files.dropFilesOfProperties(work, type.properties.filter((p) => p.kind === 'file').map((p) => p.id));
      await tx.item.deleteMany({ where: { typeId: id } });
      await tx.valueCount.deleteMany({ where: { propertyId: { in: type.properties.map((p) => p.id) } } });
      await tx.typeCount.deleteMany({ where: { typeId: id } });
      await tx.itemType.delete({ where: { id } });
    }, { what: 'Type' });
  }

  async addProperty(tenantId: number, typeId: number, input: PropertyInput & { systemName: string; kind: PropertyKind }) {
    const type = await this.get(tenantId, typeId);
    if (type.bySystemName.has(input.systemName)) throw Errors.conflict({ message: `Property ${input.systemName} already exists` });
    assertDefinitionFits([...type.properties.map(propertyAsShown), input]);
    await this.change(tenantId, async (tx) => {
      const row = await this.propertyRow(tx, tenantId, typeId, type.systemName, input, type.properties.length, 'body');
      if (input.required && row.defaultValue === null && (await tx.item.count({ where: { typeId } })) > 0) {
        throw Errors.conflict({ message: `Property ${input.systemName} cannot be required without a default while the type has items` });
      }
      const created = await tx.itemProperty.create({ data: row });
      if (row.defaultValue !== null) await this.backfill(tx, typeId, created.id, JSON.parse(row.defaultValue));
    }, { what: 'Property' });
    return this.get(tenantId, typeId);
  }

  async updateProperty(tenantId: number, typeId: number, propertyId: number, input: PropertyInput) {
    const type = await this.get(tenantId, typeId);
    const property = type.properties.find((p) => p.id === propertyId);
    if (!property) throw Errors.notFound({ what: 'Property', id: propertyId });
    const next: PropertyDef = {
      ...property,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.required !== undefined ? { required: input.required } : {}),
      ...(input.unique !== undefined ? { unique: input.unique } : {}),
      ...(input.multiple !== undefined ? { multiple: input.multiple } : {}),
      ...(input.enumValues !== undefined ? { enumValues: input.enumValues } : {}),
      ...(input.mediaTypes !== undefined ? { mediaTypes: input.mediaTypes } : {}),
      ...(input.maxFileSize !== undefined ? { maxFileSize: input.maxFileSize } : {}),
    };
    if (input.enumValues && property.kind !== 'enum') throw invalid('body.enumValues', 'only enum properties have values');
    checkFileOptions(property.kind, input, 'body');
    assertDefinitionFits(type.properties.map((p) => propertyAsShown(p.id === propertyId ? next : p)));
    const defaultValue =
      input.default !== undefined ? storedDefault(next, input.default, 'body.default') : reshapeDefault(property.defaultValue, property.multiple, next.multiple);
    if (next.kind === 'enum' && defaultValue !== null) {
      const outside = ([] as unknown[]).concat(defaultValue).find((v) => !next.enumValues.includes(v as string));
      if (outside !== undefined) throw Errors.conflict({ message: `Property ${property.systemName}: the default "${outside}" is not among enumValues; change the default too` });
    }
    await this.change(tenantId, async (tx) => {
      await assertReferencesExist(tx, next, defaultValue, 'body.default');
      const conflict = (message: string) => Errors.conflict({ message: `Property ${property.systemName}: ${message}` });
      if (next.required && !property.required && defaultValue === null) {
        const withValue = await tx.itemValue.findMany({ where: { propertyId }, distinct: ['itemId'], select: { itemId: true } });
        if (withValue.length < (await tx.item.count({ where: { typeId } }))) throw conflict('some items have no value; it cannot become required without a default');
      }
      if (property.kind === 'enum' && input.enumValues) {
        const removed = property.enumValues.filter((v) => !input.enumValues!.includes(v));
        if (removed.length && (await tx.itemValue.count({ where: { propertyId, text: { in: removed } } }))) {
          throw conflict(`values ${removed.join(', ')} are in use`);
        }
      }
      if (property.multiple && !next.multiple && (await tx.itemValue.count({ where: { propertyId, position: { gt: 0 } } }))) {
        throw conflict('some items hold several values; it cannot become single-valued');
      }
      if (next.unique && !property.unique) await this.buildUniques(tx, typeId, property, conflict);
      if (!next.unique && property.unique) await tx.itemUnique.deleteMany({ where: { propertyId } });
      if (next.multiple !== property.multiple) {
        await this.rewriteData(tx, typeId, property.systemName, (v) => (next.multiple ? [v] : (v as unknown[])[0]));
        await rebuildCounts(tx, { ...type, properties: type.properties.map((p) => (p.id === propertyId ? next : p)) });
      }
      await tx.itemProperty.update({
        where: { id: propertyId },
        data: {
          name: next.name, required: next.required, unique: next.unique, multiple: next.multiple,
          defaultValue: defaultValue === null ? null : JSON.stringify(defaultValue),
          options: JSON.stringify(propertyOptions(next)),
        },
      });
      // The type's version must change so cached input schemas are rebuilt.
      await tx.itemType.update({ where: { id: typeId }, data: { updatedAt: new Date() } });
      if (next.required && !property.required && defaultValue !== null) await this.backfill(tx, typeId, propertyId, defaultValue);
    }, { what: 'Property' });
    return this.get(tenantId, typeId);
  }

  /** Gives every item without a value of the property `value` (data, index rows, counters). */
  private async backfill(tx: Tx, typeId: number, propertyId: number, value: unknown) {
    const type = toTypeDef(await tx.itemType.findUniqueOrThrow({ where: { id: typeId }, include: WITH_PROPERTIES }));
    const property = type.properties.find((p) => p.id === propertyId)!;
    await eachItemBatch(tx, typeId, async (rows) => {
      for (const row of rows) {
        if (row.data[property.systemName] !== undefined && row.data[property.systemName] !== null) continue;
        const data = { ...row.data, [property.systemName]: value };
        if (property.unique && (await conflictingUniques(tx, type, row.id, data)).length) {
          throw Errors.conflict({ message: `Property ${property.systemName}: the default would give several items the same unique value` });
        }
        await rewriteItem(tx, type, row.id, data);
      }
    });
  }

  async deleteProperty(tenantId: number, typeId: number, propertyId: number, dropValues: boolean) {
    const type = await this.get(tenantId, typeId);
    const property = type.properties.find((p) => p.id === propertyId);
    if (!property) throw Errors.notFound({ what: 'Property', id: propertyId });
    const stored = await this.db.itemValue.count({ where: { propertyId } });
    if (stored > 0 && !dropValues) {
      throw Errors.conflict({ message: `Property ${property.systemName} holds ${stored} value(s); use dropValues=true to remove them too` });
    }
    await this.change(tenantId, async (tx, work) => {
      // After the rewrite has locked every item, so no write binds a file meanwhile.
      await this.rewriteData(tx, typeId, property.systemName, () => undefined);
      await this.files.dropFilesOfProperties(work, [propertyId]);
      await tx.itemValue.deleteMany({ where: { propertyId } });
      await tx.itemUnique.deleteMany({ where: { propertyId } });
      await tx.valueCount.deleteMany({ where: { propertyId } });
      await tx.itemProperty.delete({ where: { id: propertyId } });
      await tx.itemType.update({ where: { id: typeId }, data: { updatedAt: new Date() } });
    }, { what: 'Property' });
    return this.get(tenantId, typeId);
  }

  /**
   * A change to the tenant's types: one unit of work whose last hook tells the registry (every
   * process reloads the tenant's types on its next request), after the hooks the change itself
   * registered (the bytes of dropped files).
   */
  private change<T>(tenantId: number, body: (tx: Tx, work: Work) => Promise<T>, options: WriteOptions): Promise<T> {
    return this.unitOfWork.write(async (tx, work) => {
      const result = await body(tx, work);
      work.afterCommit(() => this.registry.changed(tenantId));
      return result;
    }, options);
  }

  private async propertyRow(tx: Tx, tenantId: number, typeId: number, typeName: string, input: PropertyInput, position: number, path: string) {
    const systemName = input.systemName!;
    if ((SYSTEM_FIELDS as readonly string[]).includes(systemName)) throw invalid(`${path}.systemName`, `"${systemName}" is a system field`);
    if (isObjectPrototypeName(systemName)) throw invalid(`${path}.systemName`, `"${systemName}" is reserved`);
    const kind = input.kind!;
    if (kind === 'enum' && !input.enumValues?.length) throw invalid(`${path}.enumValues`, 'an enum property needs enumValues');
    if (kind !== 'enum' && input.enumValues) throw invalid(`${path}.enumValues`, 'only enum properties have values');
    checkFileOptions(kind, input, path);
    let referenceType: number | null = null;
    if (kind === 'reference') {
      if (input.referenceType === undefined) throw invalid(`${path}.referenceType`, 'a reference property needs referenceType');
      const target = await tx.itemType.findFirst({
        where: typeof input.referenceType === 'number' ? { tenantId, id: input.referenceType } : { tenantId, systemName: input.referenceType },
      });
      if (!target && input.referenceType !== typeName) throw invalid(`${path}.referenceType`, `no type ${input.referenceType} in this tenant`);
      referenceType = target?.id ?? typeId;
    } else if (input.referenceType !== undefined) {
      throw invalid(`${path}.referenceType`, 'only reference properties have a referenceType');
    }
    const def = { kind, multiple: input.multiple ?? false, enumValues: input.enumValues ?? [], referenceType } as PropertyDef;
    const defaultValue = input.default === undefined ? null : storedDefault(def, input.default, `${path}.default`);
    await assertReferencesExist(tx, def, defaultValue, `${path}.default`);
    return {
      tenantId, typeId, systemName, name: input.name ?? systemName, kind,
      required: input.required ?? false, unique: input.unique ?? false, multiple: input.multiple ?? false,
      defaultValue: defaultValue === null ? null : JSON.stringify(defaultValue),
      options: JSON.stringify(propertyOptions({ ...input, kind, referenceType })),
      position,
    };
  }

  private async referencingProperties(tenantId: number, typeId: number): Promise<string[]> {
    const rows = await this.db.itemProperty.findMany({ where: { tenantId, kind: 'reference', NOT: { typeId } }, include: { type: true } });
    return rows.filter((r) => JSON.parse(r.options).referenceType === typeId).map((r) => `${r.type.systemName}.${r.systemName}`);
  }

  /** ItemUnique rows from the stored values (keyed as item-store keys them); 409 on a shared one. */
  private async buildUniques(tx: Tx, typeId: number, property: PropertyDef, conflict: (m: string) => Error) {
    const seen = new Set<string>();
    await eachItemBatch(tx, typeId, async (rows) => {
      const uniques: { propertyId: number; value: string; itemId: number }[] = [];
      for (const row of rows) {
        const stored = row.data[property.systemName];
        if (stored === undefined || stored === null) continue;
        for (const value of new Set((Array.isArray(stored) ? stored : [stored]).map(uniqueKey))) {
          if (seen.has(value)) throw conflict('existing items share values; it cannot become unique');
          seen.add(value);
          uniques.push({ propertyId: property.id, value, itemId: row.id });
        }
      }
      if (uniques.length) await tx.itemUnique.createMany({ data: uniques });
    });
  }

  /** Rewrites one key of every item's stored data of the type (undefined removes it). */
  private async rewriteData(tx: Tx, typeId: number, key: string, change: (value: unknown) => unknown) {
    await eachItemBatch(tx, typeId, async (rows) => {
      for (const row of rows) {
        if (row.data[key] === undefined || row.data[key] === null) continue;
        const data = { ...row.data };
        const value = change(data[key]);
        if (value === undefined) delete data[key];
        else data[key] = value;
        await tx.item.update({ where: { id: row.id }, data: { data: JSON.stringify(data) } });
      }
    });
  }
}

/** Walks a type's items in id order, BATCH at a time, with their stored data parsed. */
async function eachItemBatch(tx: Tx, typeId: number, work: (rows: { id: number; data: Record<string, unknown> }[]) => Promise<void>) {
  let after = 0;
  for (;;) {
    const rows = await tx.item.findMany({ where: { typeId, id: { gt: after } }, orderBy: { id: 'asc' }, take: BATCH, select: { id: true, data: true } });
    if (!rows.length) return;
    await work(rows.map((row) => ({ id: row.id, data: JSON.parse(row.data) as Record<string, unknown> })));
    after = rows[rows.length - 1].id;
  }
}

/**
 * 400 TYPE_TOO_LARGE unless a type with these properties stays within the limits: every
 * validator, schema and memo of a type grows with its definition, and an edit compiles anew.
 */
function assertDefinitionFits(properties: PropertyShape[]): void {
  if (properties.length > MAX_PROPERTIES) throw Errors.typeTooLarge({ reason: `at most ${MAX_PROPERTIES} properties per type` });
  const wide = properties.find((p) => (p.enumValues?.length ?? 0) > MAX_ENUM_VALUES);
  if (wide) throw Errors.typeTooLarge({ reason: `property "${wide.systemName}" has more than ${MAX_ENUM_VALUES} enum values` });
  const bytes = Buffer.byteLength(JSON.stringify(properties));
  if (bytes > MAX_DEFINITION_BYTES) {
    throw Errors.typeTooLarge({ reason: `its properties would take ${bytes} bytes; at most ${MAX_DEFINITION_BYTES} bytes per type (names, defaults and enum values count)` });
  }
}

function propertyOptions(p: { kind: PropertyKind; enumValues?: string[]; referenceType: number | null; mediaTypes?: string[] | null; maxFileSize?: number | null }): PropertyOptions {
  return {
    ...(p.kind === 'enum' ? { enumValues: p.enumValues ?? [] } : {}),
    ...(p.referenceType ? { referenceType: p.referenceType } : {}),
    ...(p.mediaTypes ? { mediaTypes: p.mediaTypes } : {}),
    ...(p.maxFileSize ? { maxFileSize: p.maxFileSize } : {}),
  };
}

/** File properties hold uploads: no unique values, no default; only they take file options. */
function checkFileOptions(kind: PropertyKind, input: PropertyInput, path: string): void {
  if (kind === 'file') {
    if (input.unique) throw invalid(`${path}.unique`, 'a file property cannot be unique');
    if (input.default !== undefined && input.default !== null) throw invalid(`${path}.default`, 'a file property has no default');
    return;
  }
  if (input.mediaTypes) throw invalid(`${path}.mediaTypes`, 'only file properties accept mediaTypes');
  if (input.maxFileSize) throw invalid(`${path}.maxFileSize`, 'only file properties accept maxFileSize');
}

/** A reference default must name items of the target type (which belongs to the tenant). */
async function assertReferencesExist(tx: Tx, property: PropertyDef, value: unknown, path: string): Promise<void> {
  if (property.kind !== 'reference' || value === null || property.referenceType === null) return;
  const ids = ([] as number[]).concat(value as number | number[]);
  const found = await existingIds(tx, property.referenceType, ids);
  if (ids.some((id) => !found.has(id))) throw invalid(path, 'refers to items that do not exist');
}

/** A default keeps its meaning when a property switches between single and multiple values. */
function reshapeDefault(value: unknown, wasMultiple: boolean, isMultiple: boolean): unknown {
  if (value === null || wasMultiple === isMultiple) return value;
  if (isMultiple) return [value];
  return (value as unknown[])[0] ?? null;
}

function storedDefault(property: PropertyDef, value: unknown, path: string): unknown {
  if (value === null) return null;
  const values = property.multiple ? value : [value];
  if (!Array.isArray(values)) throw invalid(path, 'must be an array for a multi-value property');
  const stored = values.map((v) => {
    const parsed = parseScalar(property, v, 'UTC');
    if (!parsed.ok) throw invalid(path, parsed.message);
    return parsed.value;
  });
  return property.multiple ? stored : stored[0];
}
