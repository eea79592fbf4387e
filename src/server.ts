// Boot: configuration → migrations → database → shared store → services → app → listen,
// and a graceful shutdown that stops accepting, finishes in-flight requests, then closes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { applyMigrations } from './store/migrate.ts';
import { openDatabase } from './store/database.ts';
import { LocalFileStorage } from './store/files/file-storage.ts';
import { connectRedis, memoryGenerations, redisGenerations, type RedisClient } from './cache/shared-state.ts';
import { createLimiters } from './rate-limit/limiters.ts';
import { loadContract } from './http/contract.ts';
import { createServices, type Services } from './services.ts';
import { bootstrapIfEmpty, type BootstrapResult } from './domain/identity/bootstrap.ts';
import { buildApp } from './app.ts';

export interface RunningServer {
  url: string;
  server: Server;
  services: Services;
  bootstrap: BootstrapResult | null;
  logger: Logger;
  stop(): Promise<void>;
}

export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<RunningServer> {
  // Asynchronous writes: under load, lines queue while a write is in flight and go out
  // together (a synchronous write per request cost ~15% of a small request's throughput).
  const logger = options.logger ?? pino({ level: config.logLevel }, pino.destination({ dest: 1, sync: false }));
  const applied = await applyMigrations(config.databaseUrl, (message) => logger.info(message));
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const database = await openDatabase({ databaseUrl: config.databaseUrl });
  let redisDown = false;
  const onRedisError = (error: unknown) => {
    if (!redisDown) logger.warn({ err: error }, 'redis unavailable: shared state falls back (memos bypassed)');
    redisDown = true;
  };
  let redis: RedisClient | null = null;
  if (config.redisUrl) {
    redis = connectRedis(config.redisUrl, onRedisError);
    redis.on('ready', () => {
      if (redisDown) logger.info('redis reachable again');
      redisDown = false;
    });
  }
  const generations = redis ? redisGenerations(redis, config.redisPrefix, onRedisError) : memoryGenerations();
  const contract = await loadContract();
  const storage = new LocalFileStorage(config.filesDir);
  await storage.init();
  const services = createServices({
    database,
    generations,
    limiters: createLimiters(config, redis),
    unknownHostFallback: config.unknownHostFallback,
    contract,
    files: {
      storage,
      limits: {
        maxBytes: config.uploadMaxBytes,
        maxFiles: config.uploadMaxFiles,
        promiseTtlSeconds: config.filePromiseTtlSeconds,
        pendingMaxBytes: config.uploadPendingMaxBytes,
        concurrentPerUser: config.uploadConcurrentPerUser,
      },
    },
  });
  // Unused upload promises expire; their bytes go with them. (Expired ones are never bound and
  // never count against a user's quota, so a minute's delay costs only disk space.)
  const promiseSweep = setInterval(() => {
    services.files.sweepExpired().catch((error: unknown) => logger.warn({ err: error }, 'sweeping expired upload promises failed'));
  }, 60_000);
  promiseSweep.unref();
  // Bytes no row refers to (a crash between storing and recording): checked at start and daily.
  const sweepOrphans = () =>
    services.files.sweepOrphans().then(
      (removed) => removed && logger.info({ removed }, 'removed unreferenced stored files'),
      (error: unknown) => logger.warn({ err: error }, 'sweeping unreferenced stored files failed'),
    );
  void sweepOrphans();
  const orphanSweep = setInterval(sweepOrphans, 24 * 3600_000);
  orphanSweep.unref();
  if (redis) {
    // Bumps made while this process could not see Redis are lost to it, and a restarted Redis
    // starts its counters again: every change of connection state drops the local memos.
    for (const event of ['error', 'end', 'ready'] as const) {
      redis.on(event, () => {
        services.identity.forget();
        services.typeRegistry.forget();
      });
    }
  }
  const bootstrap = await bootstrapIfEmpty(database.prisma, services.tenants, { email: config.adminEmail, password: config.adminPassword });

  let shuttingDown = false;
  const readiness = async () => {
    const checks: Record<string, boolean> = {};
    checks.database = await database.prisma.$queryRaw`SELECT 1`.then(() => true, () => false);
    if (redis) checks.redis = await redis.ping().then(() => true, () => false);
    return checks;
  };
  const app = buildApp({ config, logger, contract, services, readiness, isShuttingDown: () => shuttingDown });
  // 64 KiB of request head: a filters query near its documented 20000-character limit still
  // reaches validation (400) instead of Node's bodyless 431.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      clearInterval(promiseSweep);
      clearInterval(orphanSweep);
      // /readyz answers 503 from now on; connections already queued for accept (or sent by a
      // balancer that has not noticed yet) are still served during the drain.
      if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets become idle as their last response ends: close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
      await database.close();
      if (redis) await redis.quit().catch(() => undefined);
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
    })());

  return { url, server, services, bootstrap, logger, stop };
}
