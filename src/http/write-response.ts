// The one writer of HTTP responses: status, headers and a body serialized once.
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { ResponseResult } from './types.ts';

export function writeResponse(ctx: Context, result: ResponseResult): void {
  ctx.status = result.status;
  if (result.headers) for (const name in result.headers) ctx.set(name, result.headers[name]);
  if (result.body === undefined || result.status === 204 || result.status === 304) {
    ctx.body = null;
    // Koa turns a null body into 204; keep the status the handler chose.
    ctx.status = result.status;
    return;
  }
  if (result.body instanceof Readable) {
    ctx.set('Content-Type', result.contentType ?? 'application/octet-stream');
    ctx.body = result.body;
    return;
  }
  // Content-Type is set as written (ctx.type would look each value up in the mime table).
  if (typeof result.body === 'string' && result.contentType) {
    ctx.set('Content-Type', result.contentType);
    ctx.body = result.body;
    return;
  }
  ctx.set('Content-Type', result.contentType ?? 'application/json; charset=utf-8');
  ctx.body = JSON.stringify(result.body);
}

/**
 * Headers added to a response already written (the cache stage's ETag and Cache-Control on a
 * computed 200): its status and body stay as they are, not set and measured a second time.
 */
export function addHeaders(ctx: Context, headers: Record<string, string>): void {
  for (const name in headers) ctx.set(name, headers[name]);
}
