// Files of file properties (F7): uploads become promise ids; a write binds promises to an item
// (inside the item's unit of work); downloads are checked like reading the item. The bytes are
// removed from storage by an after-commit hook: only once the write that dropped them committed.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Db } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import type { ActingScope } from '../acting-scope.ts';
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { FileStorage } from '../../store/files/file-storage.ts';
import type { GrantedReservation, UploadReservations } from '../../store/files/upload-reservations.ts';
import { readOne, type Tx } from '../../store/items/item-store.ts';
import { Errors } from '../../errors/registry.ts';
import { assertGrant, auditRead, resolveVisibleType } from '../items/access.ts';
import { FileChanges, FileToken, type FileEntry } from '../items/kinds.ts';
import { accepts, freeName, mediaTypeOf, safeFileName, type UploadedFile } from './file-rules.ts';
import type { TypeRegistry } from '../items/type-registry.ts';
import type { PropertyDef, TypeDef } from '../items/type-definition.ts';

export interface FileLimits {
  maxBytes: number;
  maxFiles: number;
  promiseTtlSeconds: number;
  /** Most bytes one user may hold in unused uploads (and uploads in progress). */
  pendingMaxBytes: number;
  /** Most uploads one user may have in progress at once. */
  concurrentPerUser: number;
}


/** What binding decided: ItemFile rows to add (from promises) and to drop. */
export interface FilePlan {
  add: { promiseId: string; propertyId: number; property: string; entry: FileEntry; storageKey: string }[];
  remove: { propertyId: number; name: string }[];
}

const SWEEP_BATCH = 200;
/** Expired promises are kept this much longer, so a write binding one at its last moment wins. */
const SWEEP_GRACE_MS = 60_000;

/** Unreferenced bytes younger than this are left alone by the orphan sweep. */
const ORPHAN_MIN_AGE_MS = 24 * 3600_000;

/**
 * Reads the request's multipart files, each at most `maxBytes` (413 FILE_TOO_LARGE beyond);
 * `declaredBytes` is the request's Content-Length (null when chunked), a bound on what it stores.
 */
export type ReadUploads = ((maxBytes: number) => Promise<UploadedFile[]>) & { readonly declaredBytes: number | null };

/**
 * How long an unreleased reservation counts. Longer than any upload can read: Node's
 * server.requestTimeout (300 s by default) ends a request whose body has not arrived by then,
 * and the upload then releases its reservation. Only a crashed process leaves one to expire.
 */
const RESERVATION_TTL_MS = 10 * 60_000;
/** What a caller with all its upload slots busy is told to wait: an upload of a few MB. */
const UPLOAD_BUSY_RETRY_SECONDS = 5;

/** The stored file entries of a file property value (one, several or none). */
export function entriesOf(value: unknown): FileEntry[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as FileEntry[];
}

/** The download path of a file value, under the tenant host. */
export function fileUrl(type: TypeDef, itemId: number, property: PropertyDef, name: string): string {
  return `/api/v1/files/${type.systemName}/${itemId}/${property.systemName}/${encodeURIComponent(name)}`;
}

export class FilesService {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly types: TypeRegistry,
    private readonly storage: FileStorage,
    private readonly reservations: UploadReservations,
    readonly limits: FileLimits,
  ) {}

  /** Where the upload stage writes files in progress. */
  get incomingDir(): string {
    return this.storage.incomingDir;
  }

  private async fileProperty(scope: ActingScope, typeRef: string, propertyRef: string): Promise<{ type: TypeDef; property: PropertyDef }> {
    const type = await resolveVisibleType(this.types, scope, typeRef);
    const property = type.bySystemName.get(propertyRef) ?? type.properties.find((p) => String(p.id) === propertyRef);
    if (!property) throw Errors.notFound({ what: `Property of ${type.systemName}`, id: propertyRef });
    if (property.kind !== 'file') throw Errors.invalidUpload({ reason: `property "${property.systemName}" is not a file property` });
    return { type, property };
  }

  /**
   * Checks the target and the caller first, then reserves what the upload may store against the
   * caller's quota and upload slots (one atomic step, so parallel uploads cannot all pass), reads
   * the multipart files within the reservation, checks each, stores them and answers one promise
   * id per file. The reservation ends when the promises are recorded or the upload fails.
   */
  async upload(scope: ActingScope, typeRef: string, propertyRef: string, read: ReadUploads | undefined): Promise<string[]> {
    const { type, property } = await this.fileProperty(scope, typeRef, propertyRef);
    const grant = scope.principal.typePermissions.get(type.id);
    if (!grant?.create && !grant?.edit) throw Errors.permissionDenied({ permission: `create or edit on ${type.systemName}` });
    if (!read) throw Errors.invalidUpload({ reason: 'send the files as multipart/form-data' });
    const limit = Math.min(property.maxFileSize ?? Infinity, this.limits.maxBytes);
    const reservation = await this.reserve(scope, Math.min(read.declaredBytes ?? Infinity, limit * this.limits.maxFiles));
    try {
      return await this.receive(scope, type, property, read, limit, reservation);
    } catch (error) {
      // Best effort: a reservation that cannot be removed now stops counting when it expires.
      await this.reservations.release(reservation.id).catch(() => undefined);
      throw error;
    }
  }

  private async reserve(scope: ActingScope, wanted: number): Promise<GrantedReservation> {
    const reservation = await this.reservations.reserve({
      tenantId: scope.tenant.id,
      userId: scope.principal.userId,
      wanted,
      quotaBytes: this.limits.pendingMaxBytes,
      maxConcurrent: this.limits.concurrentPerUser,
      expiresAt: new Date(Date.now() + RESERVATION_TTL_MS),
    });
    if (reservation.granted) return reservation;
    if (reservation.reason === 'quota') throw Errors.uploadQuotaExceeded({ limit: this.limits.pendingMaxBytes });
    const retryAfter = UPLOAD_BUSY_RETRY_SECONDS;
    throw Errors.tooManyUploads({ limit: this.limits.concurrentPerUser, retryAfter }, { headers: { 'Retry-After': String(retryAfter) } });
  }

  /** Reads and stores the files of one upload, at most the reservation's bytes in all; the promises replace the reservation. */
  private async receive(scope: ActingScope, type: TypeDef, property: PropertyDef, read: ReadUploads, limit: number, reservation: GrantedReservation): Promise<string[]> {
    const reserved = reservation.bytes;
    let files: UploadedFile[];
    try {
      files = await read(Math.min(limit, reserved));
    } catch (error) {
      // A file over what is left of the quota, though within the size limit, is the quota's refusal.
      if (reserved < limit && (error as { code?: string }).code === Errors.fileTooLarge.code) throw Errors.uploadQuotaExceeded({ limit: this.limits.pendingMaxBytes });
      throw error;
    }
    if (files.length === 0) throw Errors.invalidUpload({ reason: 'send one or more files in the multipart field "file"' });
    if (files.reduce((sum, f) => sum + f.size, 0) > reserved) throw Errors.uploadQuotaExceeded({ limit: this.limits.pendingMaxBytes });
    const accepted: { file: UploadedFile; name: string; mediaType: string }[] = [];
    // `read` already refused any file over `limit` (413 while reading).
    for (const file of files) accepted.push({ file, name: safeFileName(file.originalname), mediaType: await mediaTypeOf(file, property) });
    const expiresAt = new Date(Date.now() + this.limits.promiseTtlSeconds * 1000);
    const rows: Prisma.FilePromiseCreateManyInput[] = [];
    try {
      for (const { file, name, mediaType } of accepted) {
        const storageKey = `${scope.tenant.id}/${randomBytes(18).toString('base64url')}`;
        await this.storage.adopt(storageKey, file.path);
        rows.push({
          id: `p_${randomBytes(16).toString('base64url')}`, tenantId: scope.tenant.id, typeId: type.id, propertyId: property.id,
          userId: scope.principal.userId, name, size: file.size, mediaType, storageKey, expiresAt,
        });
      }
      // The bytes move from the reservation to the promises at once: no reader sees neither.
      await this.unitOfWork.write(async (tx) => {
        await tx.filePromise.createMany({ data: rows });
        await this.reservations.releaseIn(tx, reservation.id);
      }, { what: 'File promise' });
    } catch (error) {
      await this.removeBlobs(rows.map((r) => r.storageKey));
      throw error;
    }
    return rows.map((r) => r.id);
  }

  /**
   * Replaces the file tokens in `next` (promise ids, names of files the item holds, or
   * FileChanges) by stored entries, against the item's `current` data (null on create).
   */
  async bind(tx: Tx, scope: ActingScope, type: TypeDef, current: Record<string, unknown> | null, next: Record<string, unknown>): Promise<FilePlan> {
    const plan: FilePlan = { add: [], remove: [] };
    for (const property of type.properties) {
      if (property.kind !== 'file') continue;
      const held = entriesOf(current?.[property.systemName]);
      const value = next[property.systemName];
      let kept: FileEntry[];
      let tokens: FileToken[];
      if (value instanceof FileChanges) {
        const unknown = value.remove.find((name) => !held.some((e) => e.name === name));
        if (unknown !== undefined) throw Errors.fileNotHeld({ property: property.systemName, name: unknown });
        kept = held.filter((e) => !value.remove.includes(e.name));
        tokens = value.add;
      } else {
        const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
        // Untouched by this write (PATCH without the property): nothing to bind.
        if (list.length && !list.some((v) => v instanceof FileToken)) continue;
        kept = [];
        tokens = [];
        for (const token of list as FileToken[]) {
          const same = held.find((e) => e.name === token.token);
          if (same && !kept.includes(same)) kept.push(same);
          else tokens.push(token);
        }
      }
      const added = await this.claim(tx, scope, type, property, tokens, new Set(kept.map((e) => e.name)));
      plan.add.push(...added);
      const final = [...kept, ...added.map((a) => a.entry)];
      if (!property.multiple && final.length > 1) throw Errors.invalidUpload({ reason: `property "${property.systemName}" holds one file` });
      for (const entry of held) if (!final.includes(entry)) plan.remove.push({ propertyId: property.id, name: entry.name });
      if (final.length === 0) delete next[property.systemName];
      else next[property.systemName] = property.multiple ? final : final[0];
    }
    return plan;
  }

  /** The promises behind `tokens`, checked: this tenant, type, property and user, unexpired. */
  private async claim(tx: Tx, scope: ActingScope, type: TypeDef, property: PropertyDef, tokens: FileToken[], taken: Set<string>): Promise<FilePlan['add']> {
    if (!tokens.length) return [];
    const ids = tokens.map((t) => t.token);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate) throw Errors.filePromiseInvalid({ property: property.systemName, promise: duplicate });
    const rows = await tx.filePromise.findMany({
      where: { id: { in: ids }, tenantId: scope.tenant.id, typeId: type.id, propertyId: property.id, userId: scope.principal.userId, expiresAt: { gt: new Date() } },
    });
    const missing = ids.find((id) => !rows.some((r) => r.id === id));
    if (missing) throw Errors.filePromiseInvalid({ property: property.systemName, promise: missing });
    // The property's rules may have tightened since the upload.
    for (const row of rows) {
      const refuse = (reason: string) => Errors.fileNotAccepted({ property: property.systemName, name: row.name, reason });
      if (!accepts(property.mediaTypes, row.mediaType)) throw refuse(`it accepts ${property.mediaTypes!.join(', ')}, not ${row.mediaType}`);
      if (property.maxFileSize !== null && row.size > property.maxFileSize) throw refuse(`it accepts at most ${property.maxFileSize} bytes`);
    }
    return ids.map((id) => {
      const row = rows.find((r) => r.id === id)!;
      const name = freeName(row.name, taken);
      taken.add(name);
      return { promiseId: id, propertyId: property.id, property: property.systemName, entry: { name, size: row.size, mediaType: row.mediaType }, storageKey: row.storageKey };
    });
  }

  /** Writes a plan for `itemId`; the bytes of the files it drops go once the write commits. */
  async apply(work: Work, itemId: number, plan: FilePlan): Promise<void> {
    const { tx } = work;
    const removed: string[] = [];
    for (const { propertyId, name } of plan.remove) {
      const row = await tx.itemFile.findUnique({ where: { itemId_propertyId_name: { itemId, propertyId, name } } });
      if (!row) continue;
      await tx.itemFile.delete({ where: { id: row.id } });
      removed.push(row.storageKey);
    }
    if (plan.add.length) {
      // Another write may have used a promise since it was read: the delete count tells.
      const used = await tx.filePromise.deleteMany({ where: { id: { in: plan.add.map((a) => a.promiseId) } } });
      if (used.count !== plan.add.length) {
        throw Errors.filePromiseInvalid({ property: plan.add[0].property, promise: plan.add.map((a) => a.promiseId).join(', ') });
      }
      await tx.itemFile.createMany({
        data: plan.add.map((a) => ({ itemId, propertyId: a.propertyId, name: a.entry.name, size: a.entry.size, mediaType: a.entry.mediaType, storageKey: a.storageKey })),
      });
    }
    this.removeAfterCommit(work, removed);
  }

  /** Deletes the files of these items (about to be deleted, and locked); their bytes go once the write commits. */
  async dropFilesOfItems(work: Work, itemIds: number[]): Promise<void> {
    if (!itemIds.length) return;
    const rows = await work.tx.$queryRaw<{ storageKey: string }[]>`DELETE FROM "ItemFile" WHERE "itemId" IN (${Prisma.join(itemIds)}) RETURNING "storageKey"`;
    this.removeAfterCommit(work, rows.map((r) => r.storageKey));
  }

  /** Drops every file and promise of these properties; their bytes go once the write commits. */
  async dropFilesOfProperties(work: Work, propertyIds: number[]): Promise<void> {
    if (!propertyIds.length) return;
    const ids = Prisma.join(propertyIds);
    const files = await work.tx.$queryRaw<{ storageKey: string }[]>`DELETE FROM "ItemFile" WHERE "propertyId" IN (${ids}) RETURNING "storageKey"`;
    const promises = await work.tx.$queryRaw<{ storageKey: string }[]>`DELETE FROM "FilePromise" WHERE "propertyId" IN (${ids}) RETURNING "storageKey"`;
    this.removeAfterCommit(work, [...files, ...promises].map((r) => r.storageKey));
  }

  /** A rolled-back write still needs its bytes (its rows are back): removal waits for the commit. */
  private removeAfterCommit(work: Work, keys: string[]): void {
    if (keys.length) work.afterCommit(() => this.removeBlobs(keys));
  }

  /** Best effort: a key left behind costs disk space, never correctness. */
  async removeBlobs(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.storage.remove(key).catch(() => undefined)));
  }

  /** After a tenant is deleted (its items and files rows went with it): its promises and bytes. */
  dropTenant(tenantId: number): Promise<void> {
    return dropTenantFiles(this.db, this.storage, tenantId);
  }

  /**
   * Drops promises expired for more than SWEEP_GRACE_MS, and their bytes, a batch at a time. A
   * row is deleted on its own and its bytes go only if this sweep deleted it: a write may have
   * bound the promise meanwhile, and then the bytes belong to an item.
   */
  async sweepExpired(now = new Date()): Promise<number> {
    await this.reservations.sweepExpired(now);
    const cutoff = new Date(now.getTime() - SWEEP_GRACE_MS);
    const expired = await this.db.filePromise.findMany({ where: { expiresAt: { lte: cutoff } }, take: SWEEP_BATCH, select: { id: true, storageKey: true } });
    let swept = 0;
    for (const promise of expired) {
      const { count } = await this.db.filePromise.deleteMany({ where: { id: promise.id, expiresAt: { lte: cutoff } } });
      if (count === 0) continue;
      swept++;
      await this.removeBlobs([promise.storageKey]);
    }
    return swept;
  }

  /**
   * Removes stored bytes no row refers to, older than `minAgeMs` (younger ones may belong to an
   * upload or a write still in flight): what a crash between storing and recording leaves, or a
   * write racing a type's deletion. Answers how many were removed.
   */
  async sweepOrphans(minAgeMs = ORPHAN_MIN_AGE_MS, now = new Date()): Promise<number> {
    const cutoff = now.getTime() - minAgeMs;
    let batch: string[] = [];
    let removed = 0;
    const flush = async () => {
      const keys = batch;
      batch = [];
      const stored = keys.filter((key) => !key.startsWith('incoming/'));
      const [files, promises] = await Promise.all([
        this.db.itemFile.findMany({ where: { storageKey: { in: stored } }, select: { storageKey: true } }),
        this.db.filePromise.findMany({ where: { storageKey: { in: stored } }, select: { storageKey: true } }),
      ]);
      const referenced = new Set([...files, ...promises].map((r) => r.storageKey));
      const orphans = keys.filter((key) => !referenced.has(key));
      await this.removeBlobs(orphans);
      removed += orphans.length;
    };
    for await (const { key, modifiedAt } of this.storage.list()) {
      if (modifiedAt.getTime() > cutoff) continue;
      batch.push(key);
      if (batch.length === SWEEP_BATCH) await flush();
    }
    if (batch.length) await flush();
    return removed;
  }

  /** The bytes of one attached file, for a principal that may read the item. */
  async open(scope: ActingScope, collection: string, itemRef: string, propertyName: string, name: string): Promise<{ entry: FileEntry; stream: Readable }> {
    const type = await resolveVisibleType(this.types, scope, collection);
    assertGrant(scope.principal, type, 'show');
    const item = await readOne(this.db, type.id, itemRef);
    if (!item) throw Errors.notFound({ what: `Item of ${type.systemName}`, id: itemRef });
    const property = type.bySystemName.get(propertyName);
    if (!property || property.kind !== 'file') throw Errors.notFound({ what: `File property of ${type.systemName}`, id: propertyName });
    const row = await this.db.itemFile.findUnique({ where: { itemId_propertyId_name: { itemId: item.id, propertyId: property.id, name } } });
    const stream = row ? await this.storage.open(row.storageKey) : null;
    if (!row || !stream) throw Errors.notFound({ what: `File of ${type.systemName} ${item.id}`, id: name });
    await auditRead(this.db, scope.principal, type, item.id);
    return { entry: { name: row.name, size: row.size, mediaType: row.mediaType }, stream };
  }
}

/** A deleted tenant's promises, reservations and stored bytes (its items' file rows went with its types). */
export async function dropTenantFiles(db: Db, storage: FileStorage, tenantId: number): Promise<void> {
  await db.filePromise.deleteMany({ where: { tenantId } });
  await db.uploadReservation.deleteMany({ where: { tenantId } });
  await storage.removeTenant(tenantId).catch(() => undefined);
}

/** Removes what an upload request left in the incoming directory (nothing, when it succeeded). */
export async function discardUploads(files: UploadedFile[] | undefined): Promise<void> {
  if (files) await Promise.all(files.map((file) => rm(file.path, { force: true })));
}
