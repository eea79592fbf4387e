// The one writer of HTTP responses: status, headers and a body serialized once.
import type { Context } from 'koa';
import type { ResponseResult } from './types.ts';

export function writeResponse(ctx: Context, result: ResponseResult): void {
  ctx.status = result.status;
  for (const [name, value] of Object.entries(result.headers ?? {})) ctx.set(name, value);
  if (result.body === undefined || result.status === 204 || result.status === 304) {
    ctx.body = null;
    // Koa turns a null body into 204; keep the status the handler chose.
    ctx.status = result.status;
    return;
  }
  if (typeof result.body === 'string' && result.contentType) {
    ctx.type = result.contentType;
    ctx.body = result.body;
    return;
  }
  ctx.type = result.contentType ?? 'application/json; charset=utf-8';
  ctx.body = JSON.stringify(result.body);
}
