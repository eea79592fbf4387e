// The only place that maps errors to HTTP: registry errors as they are (their body bounded),
// body-parser and Koa errors to registry codes, a database that cannot answer to 503
// DATABASE_UNAVAILABLE, anything else to 500 INTERNAL, logged once with the request id.
import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { AppError } from '../errors/define-error.ts';
import { Errors } from '../errors/registry.ts';
import { boundDetails, boundText, MAX_MESSAGE } from '../errors/bounded-details.ts';
import { databaseUnavailable, isDatabaseUnavailable } from '../store/translate-prisma-error.ts';
import { writeResponse } from './write-response.ts';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  limit?: number;
  expose?: boolean;
  message?: string;
}

export function toAppError(error: unknown, bodyLimit: number): AppError {
  if (error instanceof AppError) return error;
  // Any query on the way may meet a database that is down: none of them is the request's fault.
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  const http = error as HttpLikeError;
  const status = http?.status ?? http?.statusCode;
  if (http?.type === 'entity.too.large' || status === 413) return Errors.payloadTooLarge({ limit: http.limit ?? bodyLimit });
  if (http?.type === 'entity.parse.failed' || (status === 400 && /json/i.test(http.message ?? ''))) return Errors.invalidJson();
  if (typeof status === 'number' && status >= 400 && status < 500 && http.expose !== false) {
    return new AppError(status, 'INVALID_BODY', `The request body could not be read: ${http.message ?? 'bad request'}`);
  }
  return Errors.internal();
}

export function errorBoundary(logger: Logger, bodyLimit: number) {
  return async function errorBoundaryStage(ctx: Context, next: Next) {
    try {
      await next();
    } catch (error) {
      const appError = toAppError(error, bodyLimit);
      const requestId = String(ctx.state.requestId ?? '');
      if (appError.code === Errors.databaseUnavailable.code || appError.code === Errors.cacheUnavailable.code) {
        // One line per refused request, without the stack: an outage must not flood the log.
        const what = appError.code === Errors.databaseUnavailable.code ? 'database unavailable' : 'cache store unavailable';
        logger.warn({ requestId, method: ctx.method, path: ctx.path, reason: reasonOf(error) }, what);
      } else if (appError.status >= 500) {
        logger.error({ err: error, requestId, method: ctx.method, path: ctx.path }, 'request failed');
      }
      writeResponse(ctx, {
        status: appError.status,
        headers: appError.headers,
        body: {
          message: boundText(appError.message, MAX_MESSAGE),
          code: appError.code,
          ...(requestId ? { requestId } : {}),
          ...(appError.details?.length ? { details: boundDetails(appError.details) } : {}),
        },
      });
    }
  };
}

function reasonOf(error: unknown): string {
  const message = (error as { message?: unknown })?.message;
  return typeof message === 'string' ? (message.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '') : String(error);
}

/**
 * The raw response to bytes Node's HTTP parser refused before any request existed (its
 * 'clientError'): the statuses Node itself would send, with an Error body instead of none.
 */
export function parserErrorResponse(error: NodeJS.ErrnoException): string {
  const appError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? Errors.headersTooLarge()
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? Errors.requestTimeout()
        : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? Errors.payloadTooLarge({ limit: 16 * 1024 })
          : Errors.malformedRequest();
  const body = JSON.stringify({ message: appError.message, code: appError.code });
  return [
    `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
