// The dispatch stage: the matched operation's typed handler, called with the validated input and
// the request's scope; its result goes to the one writer. The last stage: nothing runs after it.
import type { Context } from 'koa';
import type { Services } from '../services.ts';
import { authorizedPrincipal } from './authorize.ts';
import { matchedOperation } from './match-operation.ts';
import { validatedInput } from './validate-request.ts';
import { writeResponse } from './write-response.ts';
import type { AuthedScope, HandlerMap, ResponseResult } from './types.ts';

type AnyHandler = (input: unknown, scope: AuthedScope) => Promise<ResponseResult>;

export function dispatchStage(handlers: HandlerMap, services: Services) {
  return async function dispatchStage(ctx: Context) {
    const { operationId } = matchedOperation(ctx);
    // Typed per operation in HandlerMap; here, where the operation is only known at run time,
    // every handler is the same shape. A null principal reaches only public and key-optional ones.
    const scope = {
      tenant: ctx.state.tenant,
      principal: authorizedPrincipal(ctx),
      requestId: ctx.state.requestId,
      ip: ctx.ip,
      services,
      generation: ctx.state.typesGeneration,
    } as AuthedScope;
    const handler = handlers[operationId] as unknown as AnyHandler;
    writeResponse(ctx, await handler(validatedInput(ctx), scope));
  };
}
