// The authorize stage: the matched operation's x-permission, enforced (a principal that may act
// now, useApi, and the permission the operation declares). The only place that turns "who" into
// allowed or 403.
import type { Context, Next } from 'koa';
import { Errors } from '../errors/registry.ts';
import { assertUsable, type Principal } from '../domain/identity/principal.ts';
import type { TenantContext } from '../domain/identity/tenant.ts';
import type { AppError } from '../errors/define-error.ts';
import type { OperationPolicy } from './operation-policy.ts';
import { matchedOperation } from './match-operation.ts';

export interface AuthState {
  /** A key was sent. */
  keySent: boolean;
  principal: Principal | null;
  /** Why the sent key did not give a principal. */
  authError: AppError | null;
}

/** Returns the principal the handler acts as (null for public and key-optional access). */
export function authorize(policy: OperationPolicy, auth: AuthState, tenant: TenantContext, now: Date): Principal | null {
  if (policy.access === 'public') return null;
  if (policy.access === 'key-optional') return auth.principal && usable(auth.principal, now) ? auth.principal : null;
  if (!auth.keySent) throw Errors.apiKeyMissing();
  if (auth.authError || !auth.principal) throw auth.authError ?? Errors.apiKeyInvalid();
  const principal = auth.principal;
  assertUsable(principal, now);
  if (!principal.permissions.has('useApi')) throw Errors.permissionDenied({ permission: 'useApi' });
  if (policy.access !== 'useApi') {
    const held = principal.permissions.has(policy.access) && (policy.access !== 'manageTenants' || tenant.isRoot);
    if (!held) throw Errors.permissionDenied({ permission: policy.access });
  }
  return principal;
}

/**
 * The matched operation's access decision for this request, made once: the response cache
 * stage asks first (no hit may answer what would be a 403), the authorize stage reuses it.
 */
export function authorizeRequest(ctx: Context): Principal | null {
  const decided = ctx.state.authorized as Authorized | undefined;
  if (decided) return decided.principal;
  const { policy } = matchedOperation(ctx);
  const principal = authorize(policy, ctx.state.auth as AuthState, ctx.state.tenant as TenantContext, new Date());
  ctx.state.authorized = { principal } satisfies Authorized;
  return principal;
}

/** Puts the principal the handler acts as on ctx.state (read it with `authorizedPrincipal`). */
export function authorizeStage() {
  return async function authorizeStage(ctx: Context, next: Next) {
    authorizeRequest(ctx);
    await next();
  };
}

interface Authorized {
  principal: Principal | null;
}

/** The authorize stage's result: null for public and key-optional access without a usable key. */
export function authorizedPrincipal(ctx: Context): Principal | null {
  const authorized = ctx.state.authorized as Authorized | undefined;
  if (!authorized) throw new Error('the authorize stage has not run for this request');
  return authorized.principal;
}

function usable(principal: Principal, now: Date): boolean {
  try {
    assertUsable(principal, now);
    return principal.permissions.has('useApi');
  } catch {
    return false;
  }
}
