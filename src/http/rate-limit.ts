// Rate limits before authentication: per key on every call, per IP on POST /auth.
// (Per login on POST /auth is counted by the key service, which reads the login.) The IP is
// Koa's ctx.ip: behind TRUST_PROXY, the address the trusted proxy appended (see app.ts).
import type { Context, Next } from 'koa';
import type { Limiters } from '../rate-limit/limiters.ts';
import { addressKey } from '../rate-limit/client-address.ts';
import { readApiKey } from './authenticate.ts';
import { API_ROOT } from './contract.ts';

export function rateLimit(limiters: Limiters) {
  const authPath = `${API_ROOT}/auth`;
  return async function rateLimitStage(ctx: Context, next: Next) {
    if (ctx.method === 'POST' && ctx.path.replace(/\/+$/, '') === authPath) {
      await limiters.authPerIp.consume(addressKey(ctx.ip));
    }
    const key = limiters.perKey ? readApiKey(ctx) : null;
    if (key && limiters.perKey) {
      // The public id part names the key; a malformed key is limited under its own text.
      await limiters.perKey.consume(`${ctx.state.tenant.id}:${key.split(':')[0].slice(0, 64)}`);
    }
    await next();
  };
}
