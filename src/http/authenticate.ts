// Reads the API key (key, x-api-key or Authorization: Bearer) and resolves the principal.
// It never rejects by itself: the operation policy decides (public routes take bad keys).
import type { Context, Next } from 'koa';
import { AppError } from '../errors/define-error.ts';
import type { IdentityResolver } from '../domain/identity/identity-resolver.ts';
import type { AuthState } from './authorize.ts';

export function readApiKey(ctx: Context): string | null {
  const direct = ctx.get('key') || ctx.get('x-api-key');
  if (direct) return direct.trim();
  const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
  return bearer ? bearer[1].trim() : null;
}

export function authenticate(identity: IdentityResolver) {
  return async function authenticateStage(ctx: Context, next: Next) {
    const key = readApiKey(ctx);
    const auth: AuthState = { keySent: Boolean(key), principal: null, authError: null };
    if (key) {
      try {
        auth.principal = await identity.principalForKey(ctx.state.tenant, key, ctx.state.identityGeneration);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        auth.authError = error;
      }
    }
    ctx.state.auth = auth;
    await next();
  };
}
