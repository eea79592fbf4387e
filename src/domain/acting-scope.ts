// Who acts, in which tenant, under which shared configuration generation: what every domain
// service is given (the HTTP scope is a superset of it, so handlers pass theirs as it is).
import type { Principal } from './identity/principal.ts';
import type { TenantContext } from './identity/tenant.ts';

export interface ActingScope {
  tenant: TenantContext;
  principal: Principal;
  /** The tenant's type-definition generation read for this request (null: shared store down). */
  generation: number | null;
}
