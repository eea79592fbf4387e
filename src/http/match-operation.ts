// The match stage: request → the contract's operation, its decoded path parameters and its
// policy (x-permission, x-cache), kept on ctx.state for every later stage; the one place of
// 404 ROUTE_NOT_FOUND, 405 METHOD_NOT_ALLOWED, 400 INVALID_PATH and 400 SEARCH_NOT_ALLOWED.
import type { Context, Next } from 'koa';
import type { Operation } from 'openapi-backend';
import { Errors } from '../errors/registry.ts';
import { API_ROOT, type Contract } from './contract.ts';
import type { Match } from './operation-matcher.ts';
import type { OperationPolicy } from './operation-policy.ts';
import { hasBody, readToEnd } from './request-body.ts';
import type { OperationId } from './types.ts';

/** What every stage after the match knows about the request's operation. */
export interface MatchedOperation {
  /** openapi-backend's operation (for a SEARCH or QUERY: the operation its path aliases). */
  operation: Operation;
  operationId: OperationId;
  /** Path parameters, percent-decoded, not yet coerced (validation does that). */
  params: Record<string, string>;
  /** x-permission (authorize) and x-cache (the response cache). */
  policy: OperationPolicy;
}

/** Methods routed as another: HEAD is answered like GET (Koa drops the body). */
export function routingMethod(method: string): string {
  return method === 'HEAD' ? 'get' : method.toLowerCase();
}

const SEARCH_METHODS = new Set(['SEARCH', 'QUERY']);

/**
 * The operation for a request. SEARCH and QUERY are not OpenAPI methods: a path marked with
 * `x-search-operation` runs that operation (its POST alias), and SEARCH anywhere else under
 * a collection (an {item} or /get-by/ path) is refused as the seed requires.
 */
export function matchRequest(contract: Contract, method: string, path: string): Match<Operation> {
  if (!SEARCH_METHODS.has(method)) return contract.matcher.match(routingMethod(method), path);
  try {
    const alias = contract.searchMatcher.match('search', path);
    return { operation: contract.matcher.operationById(alias.operation.operationId!), params: alias.params };
  } catch (error) {
    if (path.startsWith(`${API_ROOT}/collection/`)) throw Errors.searchNotAllowed();
    throw error;
  }
}

/** The request's operation with its policy; throws the routing refusals of matchRequest. */
export function matchOperation(contract: Contract, method: string, path: string): MatchedOperation {
  const { operation, params } = matchRequest(contract, method, path);
  const operationId = operation.operationId as OperationId;
  // loadContract refuses to start when an operation has no policy.
  return { operation, operationId, params, policy: contract.policies.get(operationId)! };
}

export function matchOperationStage(contract: Contract) {
  return async function matchOperationStage(ctx: Context, next: Next) {
    let matched: MatchedOperation;
    try {
      matched = matchOperation(contract, ctx.method, ctx.path);
    } catch (error) {
      // Refused before any stage read the body: read it to its end first, or the refusal can be
      // lost to a TCP reset (request-body.ts readToEnd). Its content no longer matters.
      if (hasBody(ctx.req)) await readToEnd(ctx.req);
      throw error;
    }
    ctx.state.matched = matched;
    await next();
  };
}

/** The match stage's result, for the stages after it. */
export function matchedOperation(ctx: Context): MatchedOperation {
  const matched = ctx.state.matched as MatchedOperation | undefined;
  if (!matched) throw new Error('the match stage has not run for this request');
  return matched;
}
