// Request id, access log line, and the tenant resolved from the Host header.
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { IdentityResolver } from '../domain/identity/identity-resolver.ts';
import { Errors } from '../errors/registry.ts';

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

/**
 * A host name (letters, digits, `-`, `_`, dots) or a bracketed IPv6 literal, with an optional
 * port: the shape of every TenantHost (contract `Host`, at most 260 characters). Anything else
 * is refused before it reaches a memo or a query, so client text cannot fill memory.
 */
const VALID_HOST = /^(?:[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_.])?|\[[0-9a-f:.]{2,45}\])(?::[0-9]{1,5})?$/i;
const MAX_HOST_LENGTH = 260;

export function isValidHost(host: string): boolean {
  return host.length <= MAX_HOST_LENGTH && VALID_HOST.test(host);
}

/** Host → tenant. With TRUST_PROXY, Koa's `ctx.host` is X-Forwarded-Host: the same checks apply to it. */
export function resolveTenant(identity: IdentityResolver) {
  return async function tenantStage(ctx: Context, next: Next) {
    const host = ctx.host || 'localhost';
    if (!isValidHost(host)) throw Errors.invalidHost();
    // The tenant and its generations, read once: principals memo (identity), type definitions (types).
    const resolved = await identity.resolveRequest(host);
    ctx.state.tenant = resolved.tenant;
    ctx.state.identityGeneration = resolved.identity;
    ctx.state.typesGeneration = resolved.types;
    await next();
  };
}
