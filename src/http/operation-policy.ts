// Each operation's policy as data read from openapi.yaml (x-permission, x-cache); the server
// refuses to start when an operation lacks one, so no route is exposed by omission.
import { isPermission, type Permission } from '../domain/identity/permissions.ts';

export type Access = 'public' | 'key-optional' | 'useApi' | Permission;
export type CacheClass = 'none' | 'list' | 'item';

export interface OperationPolicy {
  operationId: string;
  method: string;
  path: string;
  access: Access;
  cache: CacheClass;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const CACHE_CLASSES: CacheClass[] = ['none', 'list', 'item'];

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
      if (!cache || !CACHE_CLASSES.includes(cache as CacheClass)) problems.push(`${where} has no valid x-cache (got ${JSON.stringify(cache)})`);
      if (operationId && access && cache) {
        policies.set(operationId, { operationId, method, path, access: access as Access, cache: cache as CacheClass });
      }
    }
  }
  if (problems.length > 0) throw new Error(`openapi.yaml operation policies are incomplete:\n  - ${problems.join('\n  - ')}`);
  return policies;
}
