// Boot: configuration → migrations → database → shared store → services → app → listen,
// and a graceful shutdown that stops accepting, finishes in-flight requests, then closes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { applyMigrations } from './store/migrate.ts';
import { openDatabase } from './store/database.ts';
import { LocalFileStorage } from './store/files/file-storage.ts';
import { MemoryCacheStore, RedisCacheStore } from './cache/cache-store.ts';
import { ResponseCache } from './cache/response-cache.ts';
import { connectRedis, memoryGenerations, redisGenerations, type RedisClient } from './cache/shared-state.ts';
import { createLimiters } from './rate-limit/limiters.ts';
import { loadContract } from './http/contract.ts';
import { createServices, type Services } from './services.ts';
import { RedisNotificationBus } from './domain/notifications/redis-notification-bus.ts';
import { startPurgeSweep } from './domain/notifications/notification-purge.ts';
import { bootstrapIfEmpty, type BootstrapResult } from './domain/identity/bootstrap.ts';
import { buildApp } from './app.ts';
import { parserErrorResponse } from './http/error-boundary.ts';
import { loggerOutput, prettyLogs, stdoutLog, type LogOutput } from './process/log-output.ts';
import { runShutdownSteps, totalLimitMs, type ShutdownStep } from './process/shutdown-steps.ts';
import { deliverySetup } from './delivery/transports.ts';

/** After SHUTDOWN_TIMEOUT_MS has closed every connection, how long the listener may take to report closed. */
const HTTP_CLOSE_GRACE_MS = 1_000;
const DATABASE_CLOSE_MS = 2_000;
const CACHE_FLUSH_MS = 1_000;
const REDIS_QUIT_MS = 1_000;
/** How long the last log lines may take to leave; a stdout nobody reads gets no longer. */
const LOG_FLUSH_MS = 1_000;
/** Past every step's limit, for the exit itself (see process/signals.ts). */
const DEADLINE_MARGIN_MS = 1_000;

export interface RunningServer {
  url: string;
  server: Server;
  services: Services;
  bootstrap: BootstrapResult | null;
  logger: Logger;
  /** Where the logger's lines go; drain it, then abandon it, before exiting the process. */
  logOutput: LogOutput;
  /** Stops accepting, finishes in-flight requests, closes everything; each step bounded. Rejects with ShutdownIncomplete when a step did not finish. */
  stop(): Promise<void>;
  /** The longest stop() can take: SHUTDOWN_DRAIN_MS + SHUTDOWN_TIMEOUT_MS + a few seconds of bounded steps. */
  shutdownDeadlineMs: number;
}

export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const stdout = options.logger ? null : stdoutLog({ pretty: prettyLogs(config.logFormat, process.stdout.isTTY === true) });
  const logger = options.logger ?? pino({ level: config.logLevel }, stdout!.stream);
  const logOutput = stdout?.output ?? loggerOutput(logger);
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
  const responseCache = createResponseCache(config, redis, logger);
  const contract = await loadContract();
  const storage = new LocalFileStorage(config.filesDir);
  await storage.init();
  // Notification streams hear of changes in other processes through Redis pub/sub.
  const notificationBus = redis ? new RedisNotificationBus(redis, config.redisPrefix, onRedisError) : undefined;
  notificationBus?.start();
  const services = createServices({
    notificationBus,
    notificationHeartbeatMs: config.notificationHeartbeatMs,
    database,
    generations,
    limiters: createLimiters(config, redis),
    responseCache,
    unknownHostFallback: config.unknownHostFallback,
    contract,
    onHookError: (error) => logger.error({ err: error }, 'after-commit hook failed (the write had committed)'),
    delivery: deliverySetup(config),
    publicBaseUrl: config.publicBaseUrl,
    logger,
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
  const notificationSweep = startPurgeSweep(services.notificationPurge, config.notificationPurgeIntervalMs, (error) =>
    logger.warn({ err: error }, 'purging expired notifications failed'),
  );
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
    // Invalidations this process could not deliver while Redis was away go out first thing.
    redis.on('ready', () => void responseCache?.resendUnsent());
  }
  // Mail and SMS left pending (retries, or by a process that stopped) are picked up from here on.
  services.delivery.start();
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
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node does by default: answer only when no response of this connection has begun (a
    // pipelined request may still be in flight), and only to a client that can still read it.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) socket.write(parserErrorResponse(error));
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  // Keep-alive sockets become idle as their last response ends: they are closed as they do, and
  // whatever is still open after SHUTDOWN_TIMEOUT_MS is closed by force.
  let sweep: NodeJS.Timeout | undefined;
  let force: NodeJS.Timeout | undefined;
  const stopSweeping = () => {
    clearInterval(sweep);
    clearTimeout(force);
  };
  const steps: ShutdownStep[] = [
    // Open event streams never end on their own: end them first, so the HTTP close can finish.
    { name: 'notification streams', limitMs: 1000, run: async () => services.notificationStreams.closeAll() },
    { name: 'notification purge', limitMs: DATABASE_CLOSE_MS, run: () => notificationSweep.stop() },
    {
      name: 'http',
      limitMs: config.shutdownTimeoutMs + HTTP_CLOSE_GRACE_MS,
      run: async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.closeIdleConnections();
        force = setTimeout(() => {
          logger.warn({ shutdownTimeoutMs: config.shutdownTimeoutMs }, 'requests still in flight at SHUTDOWN_TIMEOUT_MS: closing their connections');
          server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        await closed;
        stopSweeping();
      },
      abandon: stopSweeping,
    },
    // Password-reset requests answered just before the signal are carried out (their outbox rows
    // written) before the delivery worker stops.
    { name: 'password reset requests', limitMs: 2_000, run: () => services.passwordReset.drain() },
    // Sends in progress finish (each bounded by DELIVERY_SEND_TIMEOUT_MS) before the database
    // closes; what is left pending is taken by another process's poller or on the next start.
    {
      name: 'delivery',
      limitMs: config.deliverySendTimeoutMs + 1_000,
      run: async () => {
        await services.delivery.stop();
        await services.accountAudit.settle();
      },
    },
    { name: 'database', limitMs: DATABASE_CLOSE_MS, run: () => database.close() },
    // The cache figures counted since the last flush go to Redis before its client closes.
    ...(responseCache ? [{ name: 'cache figures', limitMs: CACHE_FLUSH_MS, run: () => responseCache.close() }] : []),
    ...(notificationBus ? [{ name: 'notification bus', limitMs: REDIS_QUIT_MS, run: () => notificationBus.close() }] : []),
    ...(redis ? [redisStep(redis)] : []),
    { name: 'logs', limitMs: LOG_FLUSH_MS, run: () => logOutput.drain() },
  ];

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      clearInterval(promiseSweep);
      clearInterval(orphanSweep);
      // /readyz answers 503 from now on; connections already queued for accept (or sent by a
      // balancer that has not noticed yet) are still served during the drain.
      if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
      await runShutdownSteps(steps);
    })());
  const shutdownDeadlineMs = config.shutdownDrainMs + totalLimitMs(steps) + DEADLINE_MARGIN_MS;

  return { url, server, services, bootstrap, logger, logOutput, stop, shutdownDeadlineMs };
}

/** The response cache over its store: memory by default, Redis when configured, none when off. */
function createResponseCache(config: Config, redis: RedisClient | null, logger: Logger): ResponseCache | null {
  if (config.cacheStore === 'none') return null;
  const store = config.cacheStore === 'redis' && redis ? new RedisCacheStore(redis) : new MemoryCacheStore(config.cacheMaxBytes);
  return new ResponseCache(store, {
    prefix: store.shared ? `${config.redisPrefix}:` : '',
    maxEntryBytes: config.cacheMaxEntryBytes,
    itemTtlMs: config.cacheItemTtlSeconds * 1000,
    timeoutMs: config.cacheStoreTimeoutMs,
  }, logger, store.shared ? redis : null);
}

function redisStep(redis: RedisClient): ShutdownStep {
  const drop = () => {
    try {
      redis.destroy();
    } catch {
      // already closed
    }
  };
  return {
    name: 'redis',
    limitMs: REDIS_QUIT_MS,
    // A client that cannot quit cleanly (Redis is down, the client closed) has nothing to lose.
    run: () => (redis.isOpen ? redis.quit().then(() => undefined, drop) : Promise.resolve()),
    // A Redis that stopped answering never replies to QUIT: drop the socket instead.
    abandon: drop,
  };
}
