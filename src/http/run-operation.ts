// Route + validate + authorize + handler: match the operation, check the request against the
// contract, enforce the operation's policy, call the typed handler, keep its result for the writer.
import type { Context } from 'koa';
import type { Operation } from 'openapi-backend';
import type { ErrorObject } from 'ajv';
import { Errors } from '../errors/registry.ts';
import type { ErrorDetail } from '../errors/define-error.ts';
import { findUnstorable } from '../lib/unstorable-text.ts';
import { authorize, type AuthState } from './authorize.ts';
import { API_ROOT, type Contract } from './contract.ts';
import type { Match } from './operation-matcher.ts';
import type { Services } from '../services.ts';
import type { ReadUploads } from '../domain/files/files-service.ts';
import type { AuthedScope, HandlerMap, OperationId, ResponseResult } from './types.ts';

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

function validationDetails(errors: ErrorObject[]): ErrorDetail[] {
  return errors.map((error) => {
    const where = error.instancePath
      .replace(/^\/requestBody/, 'body')
      .replace(/^\/(query|path|header)/, '$1')
      .replace(/\//g, '.');
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    const extra = (error.params as { additionalProperty?: string }).additionalProperty;
    const path = [where || 'body', missing ?? extra].filter(Boolean).join('.');
    const message = extra ? `unknown property "${extra}"` : (error.message ?? 'is invalid');
    return { path, message };
  });
}

/** Query parameters declared as arrays: a single value is wrapped, as openapi-backend does. */
function arrayQueryNames(operation: Operation): Set<string> {
  const names = new Set<string>();
  for (const parameter of operation.parameters ?? []) {
    if (!('$ref' in parameter) && parameter.in === 'query' && (parameter.schema as { type?: string } | undefined)?.type === 'array') {
      names.add(parameter.name);
    }
  }
  return names;
}

interface RequestInput {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  header: Record<string, unknown>;
  cookie: Record<string, unknown>;
  requestBody?: unknown;
}

type CompiledValidator = ((data: RequestInput) => boolean) & { errors?: ErrorObject[] | null; schema?: { properties?: Record<string, unknown> } };

/**
 * Validates with openapi-backend's precompiled ajv validators, fed directly: its own
 * validateRequest re-parses the request with lodash deep clones on every call (a fifth of the
 * CPU of a small authenticated request). Coercion (coerceTypes) happens in place, so the
 * handler receives typed path and query values.
 */
function validateInput(contract: Contract, operation: Operation, input: RequestInput, bodyReadLater: boolean): ErrorDetail[] {
  // An operation without parameters or body has nothing a request could get wrong.
  if (!operation.requestBody && !operation.parameters?.length) return [];
  const validators = (contract.api.validator.getRequestValidatorsForOperation(operation.operationId!) ?? []) as CompiledValidator[];
  const errors: ErrorObject[] = [];
  for (const validate of validators) {
    if (bodyReadLater && validate.schema?.properties?.requestBody) continue;
    if (!validate(input) && validate.errors) errors.push(...validate.errors);
  }
  return errors.length ? validationDetails(errors) : [];
}

export function runOperation(contract: Contract, handlers: HandlerMap, services: Services) {
  const arrays = new Map<Operation, Set<string>>();
  const arrayNames = (operation: Operation) => {
    let names = arrays.get(operation);
    if (!names) arrays.set(operation, (names = arrayQueryNames(operation)));
    return names;
  };
  return async function runOperationStage(ctx: Context): Promise<ResponseResult> {
    const { operation, params } = matchRequest(contract, ctx.method, ctx.path);
    const operationId = operation.operationId as OperationId;
    const policy = contract.policies.get(operationId)!;
    const principal = authorize(policy, ctx.state.auth as AuthState, ctx.state.tenant, new Date());

    const body = (ctx.request as { body?: unknown }).body;
    // Before validation and any handler (POST /auth and /deauth included): text no database can
    // store never reaches Prisma. Headers need no check: Node reads them as bytes (latin1), so
    // they hold neither NUL nor surrogates; JSON inside a query parameter is checked once parsed.
    const unstorable = findUnstorable(params, 'path') ?? findUnstorable(ctx.query, 'query') ?? findUnstorable(body, 'body');
    if (unstorable) throw Errors.invalidCharacter(unstorable);
    const query: Record<string, unknown> = { ...ctx.query };
    for (const name of arrayNames(operation)) if (typeof query[name] === 'string') query[name] = [query[name]];
    const input: RequestInput = { path: { ...params }, query, header: ctx.headers, cookie: {} };
    if (operation.requestBody && body !== undefined) input.requestBody = body;
    // A multipart body is read by its handler after its checks (the upload stage's reader).
    const readUploads = ctx.state.readUploads as ReadUploads | undefined;
    const details = validateInput(contract, operation, input, readUploads !== undefined);
    if (details.length) throw Errors.validationFailed(undefined, { details });

    const scope = { tenant: ctx.state.tenant, principal, requestId: ctx.state.requestId, ip: ctx.ip, services, generation: ctx.state.identityGeneration } as AuthedScope;
    const handler = handlers[operationId] as unknown as (input: unknown, scope: AuthedScope) => Promise<ResponseResult>;
    return handler({ params: input.path, query: input.query, body, readUploads }, scope);
  };
}
