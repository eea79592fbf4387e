// What every server process must agree on: generation numbers, in Redis when configured.
// A generation is bumped after a commit that changes who may do what; in-process memos
// compare it on every use, so a change made on one process is seen by all on the next request.
import { createClient } from 'redis';
import { withinMsOrThrow } from '../lib/time-bound.ts';

export type RedisClient = ReturnType<typeof createClient>;

export interface Generations {
  /** The current value, or null when the shared store cannot answer (callers then bypass memos). */
  read(name: string): Promise<number | null>;
  /** Several at once (one round trip with Redis); null when the shared store cannot answer. */
  readMany(names: string[]): Promise<number[] | null>;
  bump(name: string): Promise<void>;
  readonly shared: boolean;
}

export function memoryGenerations(): Generations {
  const values = new Map<string, number>();
  return {
    shared: false,
    async read(name) {
      return values.get(name) ?? 0;
    },
    async readMany(names) {
      return names.map((name) => values.get(name) ?? 0);
    },
    async bump(name) {
      values.set(name, (values.get(name) ?? 0) + 1);
    },
  };
}

export function redisGenerations(client: RedisClient, prefix: string, onError: (error: unknown) => void): Generations {
  const key = (name: string) => `${prefix}:gen:${name}`;
  return {
    shared: true,
    async read(name) {
      if (redisSuspect(client)) return null;
      try {
        const value = await withinRedisBound(client.get(key(name)));
        return value === null ? 0 : Number(value);
      } catch (error) {
        noteRedisFailure(client);
        onError(error);
        return null;
      }
    },
    async readMany(names) {
      if (redisSuspect(client)) return null;
      try {
        const found = await withinRedisBound(client.mGet(names.map(key)));
        return found.map((value) => (value === null ? 0 : Number(value)));
      } catch (error) {
        noteRedisFailure(client);
        onError(error);
        return null;
      }
    },
    async bump(name) {
      // Always tried, even when suspect: a revocation must reach the other processes if it can.
      try {
        await withinRedisBound(client.incr(key(name)), 2 * REDIS_COMMAND_TIMEOUT_MS);
      } catch (error) {
        noteRedisFailure(client);
        // Readers on other processes cannot reach Redis either, so they bypass their memos.
        onError(error);
      }
    },
  };
}

/**
 * Longest wait for a Redis reply on a request's path (the response cache bounds its lookups
 * lower). A Redis that stalls without closing the connection (paused, swapping, a hung host)
 * must not hang requests. Bounded per call with one timer, not with node-redis's per-command
 * timeout option: that costs an AbortSignal per command, about 5 times a hit's Redis CPU.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

export class RedisTimeout extends Error {}

/** `promise`, or a RedisTimeout after `ms`; the timer is cleared either way. */
export function withinRedisBound<T>(promise: Promise<T>, ms = REDIS_COMMAND_TIMEOUT_MS): Promise<T> {
  return withinMsOrThrow(ms, promise, () => new RedisTimeout(`Redis did not answer within ${ms} ms`));
}
/** After a failed or timed-out reply, reads skip Redis for this long (a stalled Redis costs one wait, not one per request). */
export const REDIS_SUSPECT_MS = 1000;

const lastFailure = new WeakMap<RedisClient, number>();

/** Records that a Redis call failed (a timeout, a refused command). */
export function noteRedisFailure(client: RedisClient): void {
  lastFailure.set(client, Date.now());
}

/** Whether Redis failed within REDIS_SUSPECT_MS or is not connected: readers fall back without asking. */
export function redisSuspect(client: RedisClient): boolean {
  if (!client.isReady) return true;
  const at = lastFailure.get(client);
  return at !== undefined && Date.now() - at < REDIS_SUSPECT_MS;
}

/**
 * A Redis client that fails fast while disconnected instead of queueing (callers fall back).
 * It does not wait for the first connection: a server whose Redis is down still starts and
 * serves, bypassing shared memos, and picks Redis up when it comes.
 */
export function connectRedis(url: string, onError: (error: unknown) => void): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(retries * 200, 2000) },
  });
  client.on('error', onError);
  client.connect().catch(onError);
  return client;
}
