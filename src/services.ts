// The domain services one server process uses, built once at boot and handed to handlers.
import type { Database } from './store/database.ts';
import { UnitOfWork } from './store/unit-of-work.ts';
import type { Generations } from './cache/shared-state.ts';
import type { ResponseCache } from './cache/response-cache.ts';
import { CacheInvalidation } from './cache/invalidation.ts';
import type { Limiters } from './rate-limit/limiters.ts';
import { IdentityResolver } from './domain/identity/identity-resolver.ts';
import { ApiKeys } from './domain/identity/api-keys.ts';
import { Users } from './domain/identity/users.ts';
import { Groups } from './domain/identity/groups.ts';
import { Roles } from './domain/identity/roles.ts';
import { Tenants } from './domain/identity/tenants.ts';
import type { Contract } from './http/contract.ts';
import { TypeRegistry } from './domain/items/type-registry.ts';
import { ItemsService } from './domain/items/items-service.ts';
import { TypesService } from './domain/items/types-service.ts';
import { TagsService } from './domain/tags/tags-service.ts';
import { TagAssignments } from './domain/tags/tag-assignments.ts';
import { FilesService, type FileLimits } from './domain/files/files-service.ts';
import type { FileStorage } from './store/files/file-storage.ts';
import { UploadReservations } from './store/files/upload-reservations.ts';
import type { Logger } from 'pino';
import { AccountAudit } from './domain/audit/account-audit.ts';
import { Outbox } from './delivery/outbox.ts';
import { DeliveryWorker } from './delivery/delivery-worker.ts';
import type { DeliverySetup } from './delivery/transports.ts';
import { PasswordReset } from './domain/accounts/password-reset.ts';
import { Challenges } from './domain/accounts/challenges.ts';
import { Registration } from './domain/accounts/registration.ts';
import { NotificationsService } from './domain/notifications/notifications-service.ts';
import { NotificationSender } from './domain/notifications/notification-send.ts';
import { NotificationPurge } from './domain/notifications/notification-purge.ts';
import { NotificationStreams } from './domain/notifications/notification-streams.ts';
import { LocalNotificationBus, type NotificationBus } from './domain/notifications/notification-bus.ts';

export interface Services {
  database: Database;
  unitOfWork: UnitOfWork;
  identity: IdentityResolver;
  apiKeys: ApiKeys;
  users: Users;
  groups: Groups;
  roles: Roles;
  tenants: Tenants;
  types: TypesService;
  items: ItemsService;
  tags: TagsService;
  tagAssignments: TagAssignments;
  files: FilesService;
  typeRegistry: TypeRegistry;
  limiters: Limiters;
  /** The response cache (its figures and purges); null when CACHE_STORE=none. */
  responseCache: ResponseCache | null;
  contract: Pick<Contract, 'jsonText' | 'yamlText'>;
  // Mail and SMS: the outbox (enqueue in a write), its worker (delivery after commit), the audit.
  outbox: Outbox;
  delivery: DeliveryWorker;
  accountAudit: AccountAudit;
  /** user.resetpassword and the reset page (src/domain/accounts/password-reset.ts). */
  passwordReset: PasswordReset;
  // Account registration and verification challenges (issue 9).
  registration: Registration;
  challenges: Challenges;
  // notifications (issue 10)
  notifications: NotificationsService;
  notificationSender: NotificationSender;
  notificationBus: NotificationBus;
  notificationPurge: NotificationPurge;
  notificationStreams: NotificationStreams;
}

export function createServices(options: {
  database: Database;
  generations: Generations;
  limiters: Limiters;
  responseCache: ResponseCache | null;
  unknownHostFallback: boolean;
  contract: Pick<Contract, 'jsonText' | 'yamlText'>;
  files: { storage: FileStorage; limits: FileLimits };
  /** Told about an after-commit hook that failed (its write committed and answers a success). */
  onHookError: (error: unknown) => void;
  /** Transports and retry settings (src/delivery/transports.ts); none: the outbox is the delivery. */
  delivery?: DeliverySetup;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** PUBLIC_BASE_URL: the base of links in mails (never a request's Host). */
  publicBaseUrl?: string;
  /** Wake-ups of live notification streams (Redis pub/sub across processes); default: this process only. */
  notificationBus?: NotificationBus;
  /** Heartbeat (and catch-up read) interval of live notification streams. */
  notificationHeartbeatMs?: number;
}): Services {
  const db = options.database.prisma;
  // Every write of every service goes through this one unit of work.
  const unitOfWork = new UnitOfWork(db, options.onHookError);
  const identity = new IdentityResolver(db, options.generations, options.unknownHostFallback);
  const typeRegistry = new TypeRegistry(db, options.generations);
  const reservations = new UploadReservations(db, unitOfWork, options.database.dialect);
  const files = new FilesService(db, unitOfWork, typeRegistry, options.files.storage, reservations, options.files.limits);
  const invalidation = new CacheInvalidation(options.responseCache);
  const items = new ItemsService(db, unitOfWork, typeRegistry, options.database.dialect, files, invalidation);
  const delivery = deliveryServices(options);
  const notificationBus = options.notificationBus ?? new LocalNotificationBus();
  const notifications = new NotificationsService(db, unitOfWork, notificationBus);
  const notificationSender = new NotificationSender(db, unitOfWork, notifications);
  return {
    notifications,
    notificationSender,
    notificationBus,
    notificationPurge: new NotificationPurge(db, unitOfWork, notifications),
    notificationStreams: new NotificationStreams(db, notificationBus, options.notificationHeartbeatMs ?? 15_000, options.onHookError),
    database: options.database,
    unitOfWork,
    identity,
    apiKeys: new ApiKeys(db, unitOfWork, identity, options.limiters.logins),
    users: new Users(db, unitOfWork, identity),
    groups: new Groups(db, unitOfWork, identity),
    roles: new Roles(db, unitOfWork, identity),
    tenants: new Tenants(db, unitOfWork, identity, (tenantId) => files.dropTenant(tenantId)),
    types: new TypesService(db, unitOfWork, typeRegistry, files),
    items,
    tags: new TagsService(db, unitOfWork, invalidation),
    tagAssignments: new TagAssignments(db, unitOfWork, items, invalidation),
    files,
    typeRegistry,
    limiters: options.limiters,
    responseCache: options.responseCache,
    contract: options.contract,
    ...delivery,
    passwordReset: passwordResetService(options, unitOfWork, identity, delivery, notificationSender),
    ...accountServices(db, unitOfWork, identity, delivery, options.publicBaseUrl ?? 'http://localhost:3000'),
  };
}

// Registration and verification challenges (issue 9) on top of the outbox and the audit.
function accountServices(db: Database['prisma'], unitOfWork: UnitOfWork, identity: IdentityResolver, delivered: { outbox: Outbox; accountAudit: AccountAudit }, publicBaseUrl: string) {
  const challenges = new Challenges(db, unitOfWork, identity, delivered.outbox, delivered.accountAudit, publicBaseUrl);
  return { challenges, registration: new Registration(db, unitOfWork, identity, challenges) };
}

function passwordResetService(options: Parameters<typeof createServices>[0], unitOfWork: UnitOfWork, identity: IdentityResolver, delivery: ReturnType<typeof deliveryServices>, notices: NotificationSender) {
  const logger = options.logger ?? { info() {}, warn() {}, error() {} };
  return new PasswordReset({
    db: options.database.prisma,
    unitOfWork,
    identity,
    outbox: delivery.outbox,
    audit: delivery.accountAudit,
    notices,
    publicBaseUrl: options.publicBaseUrl ?? 'http://localhost:3000',
    log: { warn: (details, message) => logger.warn(details, message), error: (details, message) => logger.error(details, message) },
  });
}

function deliveryServices(options: Parameters<typeof createServices>[0]) {
  const db = options.database.prisma;
  const logger = options.logger ?? { info() {}, warn() {}, error() {} };
  const setup = options.delivery ?? { mail: null, sms: null, options: { maxAttempts: 8, retryBaseMs: 5000, retryMaxDelayMs: 3_600_000, pollMs: 5000, sendTimeoutMs: 15_000 } };
  const accountAudit = new AccountAudit(db);
  const delivery = new DeliveryWorker(db, accountAudit, { mail: setup.mail, sms: setup.sms }, setup.options, logger);
  const outbox = new Outbox(db, options.database.dialect, accountAudit, delivery, (error) => logger.warn({ err: error }, 'audit entry of a refused send not written'));
  return { outbox, delivery, accountAudit };
}
