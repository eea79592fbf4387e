// What every server process must agree on: generation numbers, in Redis when configured.
// A generation is bumped after a commit that changes who may do what; in-process memos
// compare it on every use, so a change made on one process is seen by all on the next request.
import { createClient } from 'redis';

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
      try {
        const value = await client.get(key(name));
        return value === null ? 0 : Number(value);
      } catch (error) {
        onError(error);
        return null;
      }
    },
    async readMany(names) {
      try {
        const found = await client.mGet(names.map(key));
        return found.map((value) => (value === null ? 0 : Number(value)));
      } catch (error) {
        onError(error);
        return null;
      }
    },
    async bump(name) {
      try {
        await client.incr(key(name));
      } catch (error) {
        // Readers on other processes cannot reach Redis either, so they bypass their memos.
        onError(error);
      }
    },
  };
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
