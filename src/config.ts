// Environment → validated, typed configuration. Every variable is documented in the README.

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  /** Prefix of every key this deployment writes to Redis (several deployments can share one). */
  redisPrefix: string;
  /** The response cache's store: memory (default), redis (default when REDIS_URL is set), none (off). */
  cacheStore: 'memory' | 'redis' | 'none';
  /** The memory store's byte cap (LRU beyond it). */
  cacheMaxBytes: number;
  /** Answers larger than this are not stored. */
  cacheMaxEntryBytes: number;
  /** How long a single item's answer lives when no write makes it unreachable first. */
  cacheItemTtlSeconds: number;
  /** A store that answers slower than this counts as a miss (answered uncached). */
  cacheStoreTimeoutMs: number;
  adminEmail: string | null;
  adminPassword: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON lines, or human-readable ones; `auto`: human-readable only when stdout is a terminal. */
  logFormat: 'auto' | 'json' | 'pretty';
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** How many trusted proxies append to X-Forwarded-For (the client is that many from the right). */
  trustProxyHops: number;
  unknownHostFallback: boolean;
  corsOrigin: string;
  authRateLimitPerIp: number;
  /** Attempts on one login from one address per window (then 429). */
  authRateLimitPerLogin: number;
  /** Attempts on one login from all addresses per window; beyond, attempts are slowed. */
  authRateLimitPerLoginGlobal: number;
  /** The wait added to each attempt on a login past its global ceiling. */
  authLoginSlowdownMs: number;
  authRateLimitWindowSeconds: number;
  keyRateLimitPerMinute: number;
  shutdownTimeoutMs: number;
  /** How long to keep accepting after SIGTERM (readiness already 503), for load balancers to notice. */
  shutdownDrainMs: number;
  /** Where uploaded files are kept (local file storage). */
  filesDir: string;
  /** Largest uploaded file, in bytes. */
  uploadMaxBytes: number;
  /** Most files in one upload request. */
  uploadMaxFiles: number;
  /** How long an upload promise id stays usable. */
  filePromiseTtlSeconds: number;
  /** Most bytes one user may hold in unused uploads (and uploads in progress). */
  uploadPendingMaxBytes: number;
  /** Most uploads one user may have in progress at once (across processes). */
  uploadConcurrentPerUser: number;
  // Mail and SMS delivery (src/delivery/): with neither transport set, the outbox is the delivery.
  /** The base URL of links in mails and pages (never the request's Host); no trailing slash. */
  publicBaseUrl: string;
  /** smtp:// or smtps:// URL of the mail server (credentials in it); null: mail stays in the outbox. */
  smtpUrl: string | null;
  /** The From of every mail. */
  mailFrom: string;
  /** Where SMS are POSTed as signed JSON; null: SMS stay in the outbox. */
  smsWebhookUrl: string | null;
  /** The HMAC-SHA256 key of the webhook's signature header. */
  smsWebhookSecret: string | null;
  /** Attempts per message before it is marked failed. */
  deliveryMaxAttempts: number;
  /** The first retry's delay; each further one doubles, up to deliveryRetryMaxDelayMs. */
  deliveryRetryBaseMs: number;
  deliveryRetryMaxDelayMs: number;
  /** How often a process looks for due messages (retries, and those another process left). */
  deliveryPollMs: number;
  /** How long one send may take; a claim lapses after twice this, so another process may retry. */
  deliverySendTimeoutMs: number;
  /** Heartbeat and catch-up read interval of notification streams (NOTIFICATION_HEARTBEAT_MS). */
  notificationHeartbeatMs: number;
  /** How often expired notifications are purged (NOTIFICATION_PURGE_INTERVAL_MS). */
  notificationPurgeIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean) => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };

  const databaseUrl = read('DATABASE_URL') ?? 'file:./data/jetstack.db';
  if (!/^(file:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), got "${databaseUrl}"`);
  }
  const redisUrl = read('REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REDIS_URL must start with redis:// or rediss://, got "${redisUrl}"`);
  }
  const cacheStore = (read('CACHE_STORE') ?? (redisUrl ? 'redis' : 'memory')) as Config['cacheStore'];
  if (!['memory', 'redis', 'none'].includes(cacheStore)) problems.push(`CACHE_STORE must be memory, redis or none, got "${cacheStore}"`);
  if (cacheStore === 'redis' && !redisUrl) problems.push('CACHE_STORE=redis needs REDIS_URL');
  const adminEmail = read('ADMIN_EMAIL') ?? null;
  if (adminEmail !== null && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) problems.push(`ADMIN_EMAIL must be an e-mail address, got "${adminEmail}"`);
  const adminPassword = read('ADMIN_PASSWORD') ?? null;
  if (adminPassword !== null && adminPassword.length < 8) problems.push('ADMIN_PASSWORD must have at least 8 characters');
  const logLevel = (read('LOG_LEVEL') ?? 'info') as Config['logLevel'];
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${logLevel}"`);
  }
  const logFormat = (read('LOG_FORMAT')?.toLowerCase() ?? 'auto') as Config['logFormat'];
  if (!['auto', 'json', 'pretty'].includes(logFormat)) problems.push(`LOG_FORMAT must be one of auto, json, pretty, got "${logFormat}"`);

  const config: Config = {
    port: int('PORT', 3000, 0, 65535),
    host: read('HOST') ?? '127.0.0.1',
    databaseUrl,
    redisUrl,
    redisPrefix: read('REDIS_PREFIX') ?? 'jetstack',
    cacheStore,
    cacheMaxBytes: int('CACHE_MAX_BYTES', 256 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    cacheMaxEntryBytes: int('CACHE_MAX_ENTRY_BYTES', 1024 * 1024, 1, 512 * 1024 * 1024),
    cacheItemTtlSeconds: int('CACHE_ITEM_TTL_SECONDS', 3600, 1, 7 * 86_400),
    cacheStoreTimeoutMs: int('CACHE_STORE_TIMEOUT_MS', 50, 1, 60_000),
    adminEmail,
    adminPassword,
    logLevel,
    logFormat,
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    trustProxy: bool('TRUST_PROXY', false),
    trustProxyHops: int('TRUST_PROXY_HOPS', 1, 1, 20),
    unknownHostFallback: bool('UNKNOWN_HOST_FALLBACK', true),
    corsOrigin: read('CORS_ORIGIN') ?? '*',
    authRateLimitPerIp: int('AUTH_RATE_LIMIT_PER_IP', 30, 1, 1_000_000),
    authRateLimitPerLogin: int('AUTH_RATE_LIMIT_PER_LOGIN', 10, 1, 1_000_000),
    authRateLimitPerLoginGlobal: int('AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL', 100, 1, 1_000_000),
    authLoginSlowdownMs: int('AUTH_LOGIN_SLOWDOWN_MS', 1000, 0, 60_000),
    authRateLimitWindowSeconds: int('AUTH_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    keyRateLimitPerMinute: int('KEY_RATE_LIMIT_PER_MINUTE', 6000, 0, 1_000_000_000),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    shutdownDrainMs: int('SHUTDOWN_DRAIN_MS', 0, 0, 600_000),
    filesDir: read('FILES_DIR') ?? './data/files',
    uploadMaxBytes: int('UPLOAD_MAX_BYTES', 10 * 1024 * 1024, 1, 2 * 1024 * 1024 * 1024 - 1),
    uploadMaxFiles: int('UPLOAD_MAX_FILES', 10, 1, 1000),
    filePromiseTtlSeconds: int('FILE_PROMISE_TTL_SECONDS', 3600, 1, 30 * 86_400),
    uploadPendingMaxBytes: int('UPLOAD_PENDING_MAX_BYTES', 200 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    uploadConcurrentPerUser: int('UPLOAD_CONCURRENT_PER_USER', 3, 1, 1000),
    ...deliveryConfig(read, int, problems, Number(read('PORT') ?? 3000)),
    // notifications (issue 10, docs/notifications.md)
    notificationHeartbeatMs: int('NOTIFICATION_HEARTBEAT_MS', 15_000, 100, 600_000),
    notificationPurgeIntervalMs: int('NOTIFICATION_PURGE_INTERVAL_MS', 60_000, 100, 86_400_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The delivery variables (SMTP, SMS webhook, public base URL, retries); problems are appended. */
function deliveryConfig(
  read: (name: string) => string | undefined,
  int: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
  port: number,
) {
  const url = (name: string, schemes: string[]) => {
    const raw = read(name);
    if (raw === undefined) return null;
    let parsed: URL | null = null;
    try {
      parsed = new URL(raw);
    } catch {
      // reported below
    }
    if (!parsed || !schemes.includes(parsed.protocol)) {
      problems.push(`${name} must be a ${schemes.map((s) => `${s}//`).join(' or ')} URL`);
      return null;
    }
    return raw;
  };
  const publicBaseUrl = (url('PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const smtpUrl = url('SMTP_URL', ['smtp:', 'smtps:']);
  const smsWebhookUrl = url('SMS_WEBHOOK_URL', ['http:', 'https:']);
  const smsWebhookSecret = read('SMS_WEBHOOK_SECRET') ?? null;
  if (smsWebhookUrl && (!smsWebhookSecret || smsWebhookSecret.length < 16)) problems.push('SMS_WEBHOOK_URL needs SMS_WEBHOOK_SECRET of at least 16 characters');
  const mailFrom = read('MAIL_FROM') ?? 'jetstack <no-reply@localhost>';
  if (!/@/.test(mailFrom)) problems.push(`MAIL_FROM must hold an e-mail address, got "${mailFrom}"`);
  return {
    publicBaseUrl,
    smtpUrl,
    mailFrom,
    smsWebhookUrl,
    smsWebhookSecret,
    deliveryMaxAttempts: int('DELIVERY_MAX_ATTEMPTS', 8, 1, 100),
    deliveryRetryBaseMs: int('DELIVERY_RETRY_BASE_MS', 5_000, 10, 3_600_000),
    deliveryRetryMaxDelayMs: int('DELIVERY_RETRY_MAX_DELAY_MS', 3_600_000, 10, 86_400_000),
    deliveryPollMs: int('DELIVERY_POLL_MS', 5_000, 10, 3_600_000),
    deliverySendTimeoutMs: int('DELIVERY_SEND_TIMEOUT_MS', 15_000, 100, 600_000),
  };
}
