// The request pipeline, in order (see src/README.md); nothing else lives here.
import Koa from 'koa';
import cors from '@koa/cors';
import { bodyParser } from '@koa/bodyparser';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Services } from './services.ts';
import type { Contract } from './http/contract.ts';
import { requestLog, resolveTenant } from './http/request-context.ts';
import { errorBoundary } from './http/error-boundary.ts';
import { health, type ReadinessCheck } from './http/health.ts';
import { rateLimit } from './http/rate-limit.ts';
import { authenticate } from './http/authenticate.ts';
import { matchOperationStage } from './http/match-operation.ts';
import { authorizeStage } from './http/authorize.ts';
import { validateRequestStage } from './http/validate-request.ts';
import { dispatchStage } from './http/dispatch.ts';
import { responseCacheStage } from './http/response-cache-stage.ts';
import { uploadStage } from './http/upload.ts';
import { writeResponse } from './http/write-response.ts';
import { contentEncodingStage, discardIgnoredBody, guardBodyReading } from './http/request-body.ts';
import { handlers } from './http/handlers/index.ts';

export const ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'key', 'x-api-key', 'x-custom-auth-headers', 'If-None-Match', 'Cache-Control', 'Pragma', 'Idempotency-Key', 'Last-Event-ID'];
export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'SEARCH', 'QUERY', 'OPTIONS'];
const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'SEARCH', 'QUERY'];

export interface AppOptions {
  config: Config;
  logger: Logger;
  contract: Contract;
  services: Services;
  readiness: ReadinessCheck;
  isShuttingDown: () => boolean;
}

export function buildApp({ config, logger, contract, services, readiness, isShuttingDown }: AppOptions): Koa {
  // Behind TRUST_PROXY_HOPS trusted proxies, each appending to X-Forwarded-For, the client is
  // the hops-th address from the right: what is left of it the client wrote and proves nothing.
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: config.trustProxy ? config.trustProxyHops : 0 });
  app.silent = true;

  app.use(requestLog(logger, isShuttingDown));
  app.use(errorBoundary(logger, config.bodyLimitBytes));
  app.use(health(readiness, isShuttingDown));
  app.use(resolveTenant(services.identity));
  app.use(cors({ origin: config.corsOrigin, allowHeaders: ALLOWED_HEADERS, allowMethods: ALLOWED_METHODS, exposeHeaders: ['ETag', 'X-Cache', 'Retry-After', 'x-request-id', 'X-Unread-Count', 'X-Poll-Interval', 'Idempotent-Replayed', 'Allow'], maxAge: 600 }));
  app.use(async function optionsStage(ctx, next) {
    // A preflight was answered by CORS above; a plain OPTIONS gets the methods the API routes.
    if (ctx.method !== 'OPTIONS') return next();
    writeResponse(ctx, { status: 204, headers: { Allow: ALLOWED_METHODS.join(', ') } });
  });
  app.use(rateLimit(services.limiters));
  app.use(authenticate(services.identity));
  // From here on the operation and its policy (x-permission, x-cache) are known: matchedOperation(ctx).
  app.use(matchOperationStage(contract));
  const parseBody = guardBodyReading(bodyParser({
    enableTypes: ['json', 'form'],
    jsonLimit: config.bodyLimitBytes,
    formLimit: config.bodyLimitBytes,
    parsedMethods: BODY_METHODS,
    encoding: 'utf-8',
  }));
  app.use(contentEncodingStage(BODY_METHODS));
  app.use(uploadStage({ incomingDir: services.files.incomingDir, maxFiles: config.uploadMaxFiles }));
  const discardBody = discardIgnoredBody(config.bodyLimitBytes);
  app.use(function bodyStage(ctx, next) {
    // GET and HEAD (most traffic) carry no body: skip the parser's checks altogether.
    return BODY_METHODS.includes(ctx.method) ? parseBody(ctx, next) : discardBody(ctx, next);
  });
  // The response cache: it needs the match's policy.cache and the parsed SEARCH body (both part
  // of the key); a hit answers here and skips authorize's twin, validation, the handler and the
  // database. It authorizes first (authorize is pure), so no hit answers what would be a 403.
  app.use(responseCacheStage(services.responseCache, services.typeRegistry));
  app.use(authorizeStage());
  app.use(validateRequestStage(contract));
  app.use(dispatchStage(handlers, services));
  return app;
}
