// The response cache (MISSION.md F4, ARCHITECTURE.md §5): which generations guard an answer,
// lookup with stamps, filling a miss once per key, invalidation as generation bumps, purges,
// and the figures operators read. The HTTP side (headers, 304, bypass) is http/response-cache-stage.ts.
import type { Logger } from 'pino';
import type { RedisClient } from './shared-state.ts';
import { utf8Length, type CacheStore, type CachedAnswer } from './cache-store.ts';
import { emptyCounts, type BypassReason, type CacheCounts, type CacheOperations, type PurgeTarget, type TenantCacheStats } from './cache-stats.ts';
import { withinMsOrThrow } from '../lib/time-bound.ts';

/** What an answer depends on, besides its key: `list` answers (lists, get-by) or one item. */
export type Dependency = { kind: 'list'; typeId: number } | { kind: 'item'; typeId: number; item: string };

export interface CacheOptions {
  /** Prefix of every key in a shared store (REDIS_PREFIX); '' in memory. */
  prefix: string;
  maxEntryBytes: number;
  itemTtlMs: number;
  /** A lookup or store slower than this counts as a failure (the request is answered uncached). */
  timeoutMs: number;
}

/** Why a bump is given longer than a lookup: a lost bump leaves other processes stale until TTL. */
const BUMP_TIMEOUT_MS = 1000;
const STATS_FLUSH_MS = 1000;
/** Undelivered generation names kept for resending (beyond: their tenants are purged whole). */
const MAX_UNSENT = 10_000;

export class StoreUnavailable extends Error {}

function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  return withinMsOrThrow(ms, promise, () => new StoreUnavailable(`cache store did not answer within ${ms} ms`));
}

/** Any failure of a store call, as the one error the callers handle (the operator commands answer 503). */
function asStoreUnavailable(error: unknown): never {
  throw error instanceof StoreUnavailable ? error : new StoreUnavailable(String((error as Error)?.message ?? error));
}

type Counter = keyof Omit<CacheCounts, 'bypasses'> | BypassReason | 'bytes';
const COUNTERS: Counter[] = ['hits', 'misses', 'stores', 'noCache', 'noStore', 'readLogged', 'storeUnavailable', 'bytes'];

export class ResponseCache implements CacheOperations {
  /** Per tenant, per type id: counted here, flushed to Redis when the store is shared. */
  private readonly counts = new Map<number, Map<number, Record<Counter, number>>>();
  private readonly pending = new Map<number, Map<number, Record<Counter, number>>>();
  private readonly inflight = new Map<string, Promise<CachedAnswer | null>>();
  private readonly since = new Date();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly unsent = new Set<string>();
  private readonly unsentTenants = new Set<number>();

  constructor(
    readonly store: CacheStore,
    private readonly options: CacheOptions,
    private readonly logger: Logger,
    private readonly redis: RedisClient | null = null,
  ) {
    if (store.shared && redis) {
      // Once a second: the figures to the shared hash, and invalidations still undelivered
      // (a Redis that stalled and resumed never says "ready" again).
      this.flushTimer = setInterval(() => {
        void this.flush();
        if (this.store.ready()) void this.resendUnsent();
      }, STATS_FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  // ── generations ─────────────────────────────────────────────────────────────────────────

  private generation(tenantId: number, name: string): string {
    return `${this.options.prefix}cache:t${tenantId}:g:${name}`;
  }

  /** The generations an answer is stamped with, in a fixed order. */
  generationsFor(tenantId: number, userId: number, dependency: Dependency): string[] {
    // Written out (no closure, no spread): this runs on every cached request, hit or miss.
    const g = `${this.options.prefix}cache:t${tenantId}:g:`;
    if (dependency.kind === 'list') return [`${g}all`, `${g}user:${userId}`, `${g}tags`, `${g}list:${dependency.typeId}`];
    return [`${g}all`, `${g}user:${userId}`, `${g}items:${dependency.typeId}`, `${g}item:${dependency.typeId}:${dependency.item}`];
  }

  entryKey(tenantId: number, digest: string): string {
    return `${this.options.prefix}cache:t${tenantId}:e:${digest}`;
  }

  // ── lookup and fill ─────────────────────────────────────────────────────────────────────

  /**
   * The stored answer whose stamps all match the current generations, and the tokens to stamp
   * a fresh answer with. `key` null reads only the tokens (a bypass that will still store).
   * Throws StoreUnavailable when the store fails or is slow.
   */
  async lookup(key: string | null, generations: string[]): Promise<{ hit: CachedAnswer | null; tokens: string[] }> {
    if (!this.store.ready()) throw new StoreUnavailable('cache store not connected');
    let found;
    try {
      const looked = this.store.lookup(key, generations);
      // The memory store answers in this turn: a timer to bound it would be a setTimeout, a race
      // and a clearTimeout per request for nothing.
      found = await (this.store.kind === 'memory' ? looked : bounded(looked, this.options.timeoutMs));
    } catch (error) {
      throw error instanceof StoreUnavailable ? error : new StoreUnavailable(String((error as Error)?.message ?? error));
    }
    const { answer, tokens } = found;
    return { hit: answer && sameStamps(answer.stamps, tokens) ? answer : null, tokens };
  }

  /**
   * Computes a miss once per key and stamps in this process: concurrent requests for the same
   * answer wait for the first (which runs the pipeline) instead of each reaching the database.
   */
  coalesce(flightKey: string, compute: () => Promise<CachedAnswer | null>): { leader: boolean; answer: Promise<CachedAnswer | null> } {
    const running = this.inflight.get(flightKey);
    if (running) return { leader: false, answer: running };
    const answer = compute().finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, answer);
    return { leader: true, answer };
  }

  /** Stores an answer (never one over the per-entry cap); a failing store is logged, not thrown. */
  async put(key: string, answer: CachedAnswer, dependency: Dependency, listTtlSeconds: number): Promise<boolean> {
    if (answer.bytes > this.options.maxEntryBytes) return false;
    const ttlMs = dependency.kind === 'item' ? this.options.itemTtlMs : listTtlSeconds * 1000;
    if (ttlMs <= 0) return false;
    try {
      const stored = this.store.put(key, answer, ttlMs);
      await (this.store.kind === 'memory' ? stored : bounded(stored, this.options.timeoutMs * 4));
      this.count(answer.tenantId, answer.typeId, 'stores');
      this.count(answer.tenantId, answer.typeId, 'bytes', answer.bytes);
      return true;
    } catch (error) {
      this.logger.warn({ err: error }, 'response cache: storing an answer failed');
      return false;
    }
  }

  /** `bytes`: the body's UTF-8 length when the caller has it already (the response's Content-Length). */
  answerOf(body: string, contentType: string, etag: string, tenantId: number, typeId: number, stamps: string[], bytes = utf8Length(body)): CachedAnswer {
    return { body, contentType, etag, tenantId, typeId, stamps, bytes };
  }

  // ── invalidation ────────────────────────────────────────────────────────────────────────

  /** After one item's committed write: its single fetches (by id and by UUID) and its type's lists. */
  itemGenerations(tenantId: number, typeId: number, item: { id: number; uuid: string }): string[] {
    const g = (name: string) => this.generation(tenantId, name);
    return [g(`list:${typeId}`), g(`item:${typeId}:${item.id}`), g(`item:${typeId}:${item.uuid.toLowerCase()}`)];
  }

  /** After a write that touched many items of a type (cascades, cleared references): all of the type. */
  typeGenerations(tenantId: number, typeId: number): string[] {
    return [this.generation(tenantId, `list:${typeId}`), this.generation(tenantId, `items:${typeId}`)];
  }

  /** After a change of tags (a tag's tree or its deletion changes which items a tag filter keeps). */
  tagGenerations(tenantId: number): string[] {
    return [this.generation(tenantId, 'tags')];
  }

  /**
   * One store operation for all the generations a write changed, awaited before its answer is
   * sent. Retried once: a bump that never lands would leave other processes stale until TTL.
   */
  async bump(generations: string[]): Promise<void> {
    const unique = [...new Set(generations)];
    if (!unique.length) return;
    // Tried even while the store is suspect: this is what keeps other processes from going stale.
    try {
      await bounded(this.store.bump(unique), BUMP_TIMEOUT_MS);
    } catch (first) {
      try {
        await bounded(this.store.bump(unique), BUMP_TIMEOUT_MS);
      } catch (error) {
        this.keepUnsent(unique, error);
      }
    }
  }

  /**
   * A bump that did not reach the store is kept and sent when it answers again (server.ts calls
   * resendUnsent on reconnect): otherwise a Redis that comes back with its data would serve what
   * the write changed. Past MAX_UNSENT names, whole tenants are purged instead.
   */
  private keepUnsent(generations: string[], error: unknown): void {
    this.logger.error({ err: error, generations: generations.length }, 'response cache: invalidation not delivered; resent when the store is back');
    for (const name of generations) {
      if (this.unsent.size < MAX_UNSENT) this.unsent.add(name);
      else this.unsentTenants.add(Number(/:t(\d+):g:/.exec(name)?.[1]));
    }
  }

  async resendUnsent(): Promise<void> {
    if (!this.unsent.size && !this.unsentTenants.size) return;
    const names = [...this.unsent, ...[...this.unsentTenants].filter(Number.isInteger).map((t) => this.generation(t, 'all'))];
    this.unsent.clear();
    this.unsentTenants.clear();
    await this.bump(names);
  }

  async purge(tenantId: number, target: PurgeTarget): Promise<void> {
    const g = (name: string) => this.generation(tenantId, name);
    const names = target.scope === 'tenant' ? [g('all')] : target.scope === 'type' ? this.typeGenerations(tenantId, target.typeId) : [g(`user:${target.userId}`)];
    if (!this.store.ready()) throw new StoreUnavailable('cache store not connected');
    await bounded(this.store.bump(names), BUMP_TIMEOUT_MS).catch(asStoreUnavailable);
  }

  // ── figures ─────────────────────────────────────────────────────────────────────────────

  count(tenantId: number, typeId: number, counter: Counter, by = 1): void {
    addTo(this.counts, tenantId, typeId, counter, by);
    if (this.store.shared) addTo(this.pending, tenantId, typeId, counter, by);
  }

  /** Adds this process's counts since the last flush to the shared hash (one pipeline per second). */
  async flush(): Promise<void> {
    if (!this.redis || !this.pending.size || !this.redis.isReady) return;
    const batch = [...this.pending];
    this.pending.clear();
    try {
      const multi = this.redis.multi();
      for (const [tenantId, types] of batch) {
        const hash = this.statsHash(tenantId);
        multi.hSetNX(hash, 'since', new Date().toISOString());
        for (const [typeId, row] of types) for (const c of COUNTERS) if (row[c]) multi.hIncrBy(hash, `${typeId}:${c}`, row[c]);
      }
      await multi.exec();
    } catch (error) {
      this.logger.warn({ err: error }, 'response cache: sharing the figures failed (kept in this process)');
    }
  }

  private statsHash(tenantId: number): string {
    return `${this.options.prefix}cache:stats:t${tenantId}`;
  }

  async stats(tenantId: number): Promise<TenantCacheStats> {
    let rows = this.counts.get(tenantId) ?? new Map<number, Record<Counter, number>>();
    let since = this.since;
    if (this.store.shared && this.redis) {
      await this.flush();
      // The Redis client rejects at once while offline (ClientOfflineError): that is the store down too.
      const shared = await bounded(this.redis.hGetAll(this.statsHash(tenantId)), BUMP_TIMEOUT_MS).catch(asStoreUnavailable);
      rows = new Map();
      for (const [field, value] of Object.entries(shared)) {
        if (field === 'since') {
          since = new Date(value);
          continue;
        }
        const [typeId, counter] = field.split(':');
        if (!COUNTERS.includes(counter as Counter)) continue;
        let row = rows.get(Number(typeId));
        if (!row) rows.set(Number(typeId), (row = zeroRow()));
        row[counter as Counter] += Number(value);
      }
    }
    const totals = emptyCounts();
    const perType = new Map<number, CacheCounts>();
    let bytesWritten = 0;
    for (const [typeId, row] of rows) {
      const counts = toCounts(row);
      perType.set(typeId, counts);
      addCounts(totals, counts);
      bytesWritten += row.bytes;
    }
    const held = this.store.held(tenantId);
    return {
      store: this.store.kind, shared: this.store.shared, totals, perType,
      entries: held.entries, bytes: this.store.shared ? bytesWritten : held.bytes,
      evictions: held.evictions, maxBytes: held.maxBytes, since,
    };
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flush();
  }
}

function zeroRow(): Record<Counter, number> {
  return Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
}

function addTo(table: Map<number, Map<number, Record<Counter, number>>>, tenantId: number, typeId: number, counter: Counter, by: number): void {
  let types = table.get(tenantId);
  if (!types) table.set(tenantId, (types = new Map()));
  let row = types.get(typeId);
  if (!row) types.set(typeId, (row = zeroRow()));
  row[counter] += by;
}

function sameStamps(stamps: string[], tokens: string[]): boolean {
  if (stamps.length !== tokens.length) return false;
  for (let i = 0; i < stamps.length; i++) if (stamps[i] !== tokens[i]) return false;
  return true;
}

function toCounts(row: Record<Counter, number>): CacheCounts {
  return {
    hits: row.hits, misses: row.misses, stores: row.stores,
    bypasses: { noCache: row.noCache, noStore: row.noStore, readLogged: row.readLogged, storeUnavailable: row.storeUnavailable },
  };
}

function addCounts(into: CacheCounts, counts: CacheCounts): void {
  into.hits += counts.hits;
  into.misses += counts.misses;
  into.stores += counts.stores;
  for (const reason of Object.keys(into.bypasses) as BypassReason[]) into.bypasses[reason] += counts.bypasses[reason];
}
