// Each operation's policy as data read from openapi.yaml (x-permission, x-cache); the server
// refuses to start when an operation lacks one, so no route is exposed by omission.
import { isPermission, type Permission } from '../domain/identity/permissions.ts';
import type { OperationId } from './types.ts';

export type Access = 'public' | 'key-optional' | 'useApi' | Permission;

/**
 * An operation's `x-cache` class, the response cache's input (ARCHITECTURE.md §5): `none` is
 * never cached; `list` answers (lists, searches) depend on a whole type; `item` answers on one
 * item (get one, get-by). Any other value in openapi.yaml stops the server and spec:validate.
 */
export const CACHE_CLASSES = ['none', 'list', 'item'] as const;
export type CacheClass = (typeof CACHE_CLASSES)[number];

export function isCacheClass(value: unknown): value is CacheClass {
  return CACHE_CLASSES.includes(value as CacheClass);
}

export interface OperationPolicy {
  operationId: OperationId;
  method: string;
  path: string;
  access: Access;
  cache: CacheClass;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface Document {
  paths?: Record<string, Record<string, { operationId?: string; 'x-permission'?: string; 'x-cache'?: string }>>;
}

export function readOperationPolicies(document: Document): Map<string, OperationPolicy> {
  const policies = new Map<string, OperationPolicy>();
  const problems: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const { operationId, 'x-permission': access, 'x-cache': cache } = operation;
      if (!operationId) problems.push(`${where} has no operationId`);
      if (!access || !(['public', 'key-optional', 'useApi'].includes(access) || isPermission(access))) {
        problems.push(`${where} has no valid x-permission (got ${JSON.stringify(access)})`);
      }
      if (!isCacheClass(cache)) problems.push(`${where} has no valid x-cache (got ${JSON.stringify(cache)})`);
      if (operationId && access && isCacheClass(cache)) {
        // The generated OperationId union is the same list (both come from openapi.yaml).
        policies.set(operationId, { operationId: operationId as OperationId, method, path, access: access as Access, cache });
      }
    }
  }
  if (problems.length > 0) throw new Error(`openapi.yaml operation policies are incomplete:\n  - ${problems.join('\n  - ')}`);
  return policies;
}
