// The operation policy, enforced: a principal that may act now, useApi, and the permission
// the operation declares. The only place that turns "who" into allowed or 403.
import { Errors } from '../errors/registry.ts';
import { assertUsable, type Principal } from '../domain/identity/principal.ts';
import type { TenantContext } from '../domain/identity/tenant.ts';
import type { AppError } from '../errors/define-error.ts';
import type { OperationPolicy } from './operation-policy.ts';

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

function usable(principal: Principal, now: Date): boolean {
  try {
    assertUsable(principal, now);
    return principal.permissions.has('useApi');
  } catch {
    return false;
  }
}
