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
  const notificationBus = options.notificationBus ?? new LocalNotificationBus();
  const notifications = new NotificationsService(db, unitOfWork, notificationBus);
  return {
    notifications,
    notificationSender: new NotificationSender(db, unitOfWork, notifications),
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
  };
}
