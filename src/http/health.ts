// /healthz (the process answers) and /readyz (database and Redis reachable, not shutting down).
import type { Context, Next } from 'koa';

export type ReadinessCheck = () => Promise<Record<string, boolean>>;

export function health(readiness: ReadinessCheck, isShuttingDown: () => boolean) {
  return async function healthStage(ctx: Context, next: Next) {
    if (ctx.path === '/healthz' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const checks = await readiness();
      const ready = !isShuttingDown() && Object.values(checks).every(Boolean);
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'unavailable', checks: { ...checks, accepting: !isShuttingDown() } };
      return;
    }
    await next();
  };
}
