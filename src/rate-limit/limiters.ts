// Rate limiters (rate-limiter-flexible): in process by default, in Redis when configured so
// every process counts against the same budget. If Redis fails, a per-process limiter insures.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.ts';
import { noteRedisFailure, redisSuspect, withinRedisBound, type RedisClient } from '../cache/shared-state.ts';
import { Errors } from '../errors/registry.ts';
import { LoginThrottle } from './login-throttle.ts';

export interface Limiter {
  /** Counts one request for `key`; throws RATE_LIMITED (429 + Retry-After) when over budget. */
  consume(key: string): Promise<void>;
  /** Counts one request for `key`; answers whether it was within the budget (never throws for it). */
  withinBudget(key: string): Promise<boolean>;
}

export interface Limiters {
  authPerIp: Limiter;
  /** Attempts per login on POST /auth (per login and address, and a per-login ceiling). */
  logins: LoginThrottle;
  /** Null when per-key limiting is turned off. */
  perKey: Limiter | null;
}

function limiter(prefix: string, points: number, duration: number, redis: RedisClient | null, redisPrefix: string): Limiter {
  const insurance = new RateLimiterMemory({ keyPrefix: prefix, points, duration });
  const store: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        storeClient: redis,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        keyPrefix: `${redisPrefix}:rl:${prefix}`,
        points,
        duration,
        insuranceLimiter: insurance,
      })
    : insurance;
  /** Counts one request; the rejection when it was over budget, null when within it. */
  const attempt = async (key: string): Promise<RateLimiterRes | null> => {
    // A Redis that just failed or stalled is not asked again for a moment: this process counts.
    const counter = redis && redisSuspect(redis) ? insurance : store;
    try {
      await (counter === store && redis ? withinRedisBound(store.consume(key)) : counter.consume(key));
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      if (redis && counter === store) {
        // The store failed past its insurance (e.g. a timeout): note it and count here.
        noteRedisFailure(redis);
        return attemptLocally(key);
      }
      throw rejection;
    }
  };
  const attemptLocally = async (key: string): Promise<RateLimiterRes | null> => {
    try {
      await insurance.consume(key);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    }
  };
  return {
    async consume(key) {
      const rejection = await attempt(key);
      if (rejection) {
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw Errors.rateLimited({ retryAfter }, { headers: { 'Retry-After': String(retryAfter) } });
      }
    },
    async withinBudget(key) {
      return (await attempt(key)) === null;
    },
  };
}

export function createLimiters(config: Config, redis: RedisClient | null): Limiters {
  const window = config.authRateLimitWindowSeconds;
  return {
    authPerIp: limiter('auth-ip', config.authRateLimitPerIp, window, redis, config.redisPrefix),
    logins: new LoginThrottle({
      perAddress: limiter('auth-login-ip', config.authRateLimitPerLogin, window, redis, config.redisPrefix),
      ceiling: limiter('auth-login', config.authRateLimitPerLoginGlobal, window, redis, config.redisPrefix),
      slowdownMs: config.authLoginSlowdownMs,
    }),
    perKey: config.keyRateLimitPerMinute > 0 ? limiter('key', config.keyRateLimitPerMinute, 60, redis, config.redisPrefix) : null,
  };
}
