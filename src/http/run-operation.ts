// Route + validate + authorize + handler: match the operation, check the request against the
// contract, enforce the operation's policy, call the typed handler, keep its result for the writer.
import type { Context } from 'koa';
import type { Operation } from 'openapi-backend';
import type { ErrorObject } from 'ajv';
import { Errors } from '../errors/registry.ts';
import type { ErrorDetail } from '../errors/define-error.ts';
import { authorize, type AuthState } from './authorize.ts';
import type { Contract } from './contract.ts';
import type { Services } from '../services.ts';
import type { AuthedScope, HandlerMap, OperationId, ResponseResult } from './types.ts';

/** Methods routed as another: HEAD is answered like GET (Koa drops the body). */
export function routingMethod(method: string): string {
  return method === 'HEAD' ? 'get' : method.toLowerCase();
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

function coercePathParams(operation: Operation, params: Record<string, string>): Record<string, string | number> {
  const coerced: Record<string, string | number> = { ...params };
  for (const parameter of operation.parameters ?? []) {
    if ('$ref' in parameter || parameter.in !== 'path') continue;
    const schema = parameter.schema as { type?: string } | undefined;
    const raw = params[parameter.name];
    if (schema?.type === 'integer' && raw !== undefined && /^-?\d{1,15}$/.test(raw)) coerced[parameter.name] = Number(raw);
  }
  return coerced;
}

export function runOperation(contract: Contract, handlers: HandlerMap, services: Services) {
  return async function runOperationStage(ctx: Context): Promise<ResponseResult> {
    const method = routingMethod(ctx.method);
    const { operation, params } = contract.matcher.match(method, ctx.path);
    const operationId = operation.operationId as OperationId;
    const policy = contract.policies.get(operationId)!;
    const principal = authorize(policy, ctx.state.auth as AuthState, ctx.state.tenant, new Date());

    const body = (ctx.request as { body?: unknown }).body;
    const validation = contract.api.validateRequest(
      { method, path: ctx.path, query: ctx.query as Record<string, string | string[]>, headers: ctx.headers as Record<string, string | string[]>, body },
      operation,
    );
    if (!validation.valid) throw Errors.validationFailed(undefined, { details: validationDetails(validation.errors ?? []) });

    const scope = { tenant: ctx.state.tenant, principal, requestId: ctx.state.requestId, ip: ctx.ip, services } as AuthedScope;
    const handler = handlers[operationId] as unknown as (input: unknown, scope: AuthedScope) => Promise<ResponseResult>;
    return handler({ params: coercePathParams(operation, params), query: validation.coerced.query ?? {}, body }, scope);
  };
}
