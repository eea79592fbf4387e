// Where cached answers and the generation tokens that guard them live: Keyv over a byte-capped
// LRU in process, or Keyv over Redis shared by every process (ARCHITECTURE.md §5).
//
// A generation is a token unique to each bump, not a shared counter: bumping one is a plain SET,
// and a token that is missing (never bumped, expired, evicted) is created at lookup with SET NX
// before anything is stamped with it. So an entry is never stamped with "nothing", and a generation that
// disappears later can only make entries unreachable, never bring an old one back.
import { randomBytes } from 'node:crypto';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { LRUCache } from 'lru-cache';
import { noteRedisFailure, redisSuspect, type RedisClient } from './shared-state.ts';

/** One cached answer: the exact bytes and what a hit writes with them. */
export interface CachedAnswer {
  body: string;
  contentType: string;
  etag: string;
  tenantId: number;
  typeId: number;
  /** The generation tokens read at lookup, in the order the lookup named them. */
  stamps: string[];
  /** UTF-8 length of body, counted once. */
  bytes: number;
}

export interface Lookup {
  /** The stored answer, if any (its stamps still have to match). */
  answer: CachedAnswer | undefined;
  /** The current token of each named generation (created when missing). */
  tokens: string[];
}

export interface HeldFigures {
  entries: number | null;
  bytes: number;
  evictions: number;
  maxBytes: number | null;
}

export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  readonly shared: boolean;
  /** Whether a lookup can be tried now (false: answer uncached at once, without waiting). */
  ready(): boolean;
  /** The entry (when a key is given) and the generations, in one round trip when shared. */
  lookup(key: string | null, generations: string[]): Promise<Lookup>;
  put(key: string, answer: CachedAnswer, ttlMs: number): Promise<void>;
  /** New tokens for every named generation: one store operation. */
  bump(generations: string[]): Promise<void>;
  held(tenantId: number): HeldFigures;
}

/**
 * A token only has to differ from every earlier token of its name, in every process, before and
 * after a restart: a random prefix drawn once per process and a counter give that without asking
 * the system for random bytes on every new generation (a get-one miss names a new item's).
 */
const TOKEN_PREFIX = randomBytes(9).toString('base64url');
let tokensMade = 0;

export function newToken(): string {
  return TOKEN_PREFIX + (tokensMade++).toString(36);
}

/** UTF-8 length without encoding (the body is JSON text: mostly ASCII). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The answer's own footprint besides its body (headers, stamps, the map's entry). */
const ENTRY_OVERHEAD_BYTES = 256;
/** Generation tokens held in process: past this the least recently used are dropped (safe: see above). */
const MAX_MEMORY_GENERATIONS = 200_000;

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory' as const;
  readonly shared = false;
  private readonly lru: LRUCache<string, { value: CachedAnswer; expires?: number }>;
  private readonly keyv: Keyv<CachedAnswer>;
  private readonly generations = new LRUCache<string, string>({ max: MAX_MEMORY_GENERATIONS });
  private readonly bytesByTenant = new Map<number, number>();
  private evictions = 0;

  constructor(private readonly maxBytes: number) {
    this.lru = new LRUCache({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (stored) => stored.value.bytes + ENTRY_OVERHEAD_BYTES,
      dispose: (stored, _key, reason) => {
        if (reason === 'evict') this.evictions++;
        const tenantId = stored.value.tenantId;
        this.bytesByTenant.set(tenantId, (this.bytesByTenant.get(tenantId) ?? 0) - stored.value.bytes);
      },
    });
    // Keyv's store adapter shape (its set passes the TTL as a number; lru-cache takes options).
    const lru = this.lru;
    const store = {
      get: (key: string) => lru.get(key),
      set: (key: string, value: { value: CachedAnswer; expires?: number }, ttl?: number) => (lru.set(key, value, ttl ? { ttl } : undefined), true),
      delete: (key: string) => lru.delete(key),
      clear: () => lru.clear(),
      has: (key: string) => lru.has(key),
    };
    // No serializer: entries stay objects (a hit parses nothing); no namespace: keys arrive whole.
    this.keyv = new Keyv<CachedAnswer>({ store: store as never, serialize: undefined, deserialize: undefined, namespace: undefined, useKeyPrefix: false });
  }

  ready(): boolean {
    return true;
  }

  async lookup(key: string | null, generations: string[]): Promise<Lookup> {
    const answer = key === null ? undefined : await this.keyv.get(key);
    const tokens: string[] = new Array(generations.length);
    for (let i = 0; i < generations.length; i++) {
      let token = this.generations.get(generations[i]);
      if (token === undefined) this.generations.set(generations[i], (token = newToken()));
      tokens[i] = token;
    }
    return { answer, tokens };
  }

  async put(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    if (answer.bytes + ENTRY_OVERHEAD_BYTES > this.maxBytes) return;
    await this.keyv.set(key, answer, ttlMs);
    this.bytesByTenant.set(answer.tenantId, (this.bytesByTenant.get(answer.tenantId) ?? 0) + answer.bytes);
  }

  async bump(generations: string[]): Promise<void> {
    for (const name of generations) this.generations.set(name, newToken());
  }

  held(tenantId: number): HeldFigures {
    return { entries: this.lru.size, bytes: this.bytesByTenant.get(tenantId) ?? 0, evictions: this.evictions, maxBytes: this.maxBytes };
  }
}

/** How long a generation token outlives its last bump: longer than any entry it can guard. */
const GENERATION_TTL_MS = 3 * 86_400_000;
const ENTRY_MARK = 'E1';
const TOKEN_MARK = 'G';

/**
 * Entries as one string: a short head (expiry, ETag, media type, tenant, type, stamps) and the
 * body after the first blank line, so a hit slices a string instead of parsing JSON.
 */
function serializeEntry(data: { value?: unknown; expires?: number | null }): string {
  const a = data.value as CachedAnswer;
  return `${ENTRY_MARK}\n${data.expires ?? ''}\n${a.etag}\n${a.contentType}\n${a.tenantId}\n${a.typeId}\n${a.stamps.join(',')}\n${a.bytes}\n\n${a.body}`;
}

function deserializeEntry(text: string): { value: unknown; expires?: number } | undefined {
  if (text.startsWith(TOKEN_MARK)) return { value: text.slice(TOKEN_MARK.length) };
  if (!text.startsWith(`${ENTRY_MARK}\n`)) return undefined;
  const end = text.indexOf('\n\n');
  if (end < 0) return undefined;
  const [, expires, etag, contentType, tenantId, typeId, stamps, bytes] = text.slice(0, end).split('\n');
  const answer: CachedAnswer = {
    body: text.slice(end + 2), contentType, etag, tenantId: Number(tenantId), typeId: Number(typeId),
    stamps: stamps ? stamps.split(',') : [], bytes: Number(bytes),
  };
  return { value: answer, expires: expires ? Number(expires) : undefined };
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis' as const;
  readonly shared = true;
  private readonly keyv: Keyv<unknown>;

  /**
   * The Redis server's run_id, read on every (re)connection and stamped into every entry: a Redis
   * restarted from its dump has another, so entries from before the restart are unreachable,
   * whatever invalidations were lost with it (a writer that died while Redis was away).
   */
  private epoch: string | null = null;

  constructor(private readonly client: RedisClient) {
    const readEpoch = () => {
      this.epoch = null;
      void this.client.info('server').then(
        (info) => (this.epoch = /run_id:(\w+)/.exec(info)?.[1] ?? null),
        () => (this.epoch = null),
      );
    };
    client.on('ready', readEpoch);
    client.on('end', () => (this.epoch = null));
    if (client.isReady) readEpoch();
    // The process's one Redis client (it fails fast while disconnected); errors reach the caller.
    const store = new KeyvRedis(client as never, { throwOnErrors: true, useUnlink: true });
    this.keyv = new Keyv<unknown>({
      store, serialize: serializeEntry as never, deserialize: deserializeEntry as never,
      namespace: undefined, useKeyPrefix: false, throwOnErrors: true, emitErrors: false,
    });
  }

  ready(): boolean {
    return this.epoch !== null && !redisSuspect(this.client);
  }

  async lookup(key: string | null, generations: string[]): Promise<Lookup> {
    const names = key === null ? generations : [key, ...generations];
    const values = (await this.keyv.getMany(names).catch((error: unknown) => {
      noteRedisFailure(this.client);
      throw error;
    })) as unknown[];
    const answer = key === null ? undefined : (values[0] as CachedAnswer | undefined);
    const found = key === null ? values : values.slice(1);
    const tokens = await Promise.all(found.map(async (value, i) => {
      if (typeof value === 'string') return value;
      // Created only if still missing; a token set meanwhile by another process wins.
      const created = newToken();
      const previous = await this.client.set(generations[i], `${TOKEN_MARK}${created}`, { NX: true, PX: GENERATION_TTL_MS, GET: true } as never);
      return typeof previous === 'string' ? previous.slice(TOKEN_MARK.length) : created;
    }));
    // The epoch first: an entry stored under another Redis run never matches.
    return { answer: answer && typeof answer === 'object' ? answer : undefined, tokens: [this.epoch ?? 'none', ...tokens] };
  }

  async put(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    await this.keyv.set(key, answer, ttlMs);
  }

  async bump(generations: string[]): Promise<void> {
    if (!generations.length) return;
    // One MULTI: every generation of the write changes at once, in one round trip.
    const multi = this.client.multi();
    for (const name of generations) multi.set(name, `${TOKEN_MARK}${newToken()}`, { PX: GENERATION_TTL_MS });
    await multi.exec();
  }

  /** Redis expires entries itself: what is held is not counted here (the shared counters count bytes written). */
  held(): HeldFigures {
    return { entries: null, bytes: 0, evictions: 0, maxBytes: null };
  }
}
