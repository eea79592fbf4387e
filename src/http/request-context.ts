// Request id, access log line, and the tenant resolved from the Host header.
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { IdentityResolver } from '../domain/identity/identity-resolver.ts';

const SAFE_REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Request id, one access-log line per request, and Connection: close while shutting down. */
export function requestLog(logger: Logger, isShuttingDown: () => boolean) {
  return async function requestLogStage(ctx: Context, next: Next) {
    const inbound = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('x-request-id', requestId);
    // While shutting down, responses ask clients to close their keep-alive connections.
    if (isShuttingDown()) ctx.set('Connection', 'close');
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 100) / 100, tenant: ctx.state.tenant?.slug }, 'request');
    }
  };
}

export function resolveTenant(identity: IdentityResolver) {
  return async function tenantStage(ctx: Context, next: Next) {
    const generation = await identity.currentGeneration();
    ctx.state.identityGeneration = generation;
    ctx.state.tenant = await identity.tenantForHost(ctx.host || 'localhost', generation);
    await next();
  };
}
