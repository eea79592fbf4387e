// Every operation's handler, keyed by operationId: a missing one is a compile error.
import type { HandlerMap } from '../types.ts';
import * as auth from './auth.ts';
import * as commands from './commands.ts';
import * as relations from './relations.ts';
import * as meta from './meta.ts';
import * as adminIdentity from './admin-identity.ts';
import * as adminTenants from './admin-tenants.ts';
import * as adminTypes from './admin-types.ts';
import * as collection from './collection.ts';
import * as schema from './schema.ts';
import * as tags from './tags.ts';
import * as files from './files.ts';
import * as cache from './cache.ts';
import * as outbox from './outbox.ts';
import * as passwordReset from './password-reset.ts';
import * as registration from './registration.ts';

import * as notifications from './notifications.ts';

export const handlers: HandlerMap = { ...auth, ...commands, ...relations, ...meta, ...adminIdentity, ...adminTenants, ...adminTypes, ...collection, ...schema, ...tags, ...files, ...cache, ...outbox, ...passwordReset, ...registration, ...notifications };
