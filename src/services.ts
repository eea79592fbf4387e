// The domain services one server process uses, built once at boot and handed to handlers.
import type { Database } from './store/database.ts';
import type { Generations } from './cache/shared-state.ts';
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

export interface Services {
  database: Database;
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
  contract: Pick<Contract, 'jsonText' | 'yamlText'>;
}

export function createServices(options: {
  database: Database;
  generations: Generations;
  limiters: Limiters;
  unknownHostFallback: boolean;
  contract: Pick<Contract, 'jsonText' | 'yamlText'>;
  files: { storage: FileStorage; limits: FileLimits };
}): Services {
  const db = options.database.prisma;
  const identity = new IdentityResolver(db, options.generations, options.unknownHostFallback);
  const typeRegistry = new TypeRegistry(db, identity, options.generations.shared);
  const files = new FilesService(db, typeRegistry, options.files.storage, new UploadReservations(db, options.database.dialect), options.files.limits);
  const items = new ItemsService(db, typeRegistry, options.database.dialect, files);
  return {
    database: options.database,
    identity,
    apiKeys: new ApiKeys(db, identity, options.limiters.logins),
    users: new Users(db, identity),
    groups: new Groups(db, identity),
    roles: new Roles(db, identity),
    tenants: new Tenants(db, identity, (tenantId) => files.dropTenant(tenantId)),
    types: new TypesService(db, typeRegistry, files),
    items,
    tags: new TagsService(db),
    tagAssignments: new TagAssignments(db, items),
    files,
    typeRegistry,
    limiters: options.limiters,
    contract: options.contract,
  };
}
