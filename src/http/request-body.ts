// Request bodies and their Content-Encoding. The body parser (co-body, inflating through
// `inflation`) takes gzip, deflate and br, but answers any other coding with an unregistered 415,
// lets zlib's errors on corrupt data escape as 500s, and waits forever when a client aborts a
// compressed body (raw-body listens for 'aborted' on the inflating stream, which never emits it).
// These two stages close those gaps; what a client sends as a body never ends as a 500. A body
// no stage reads (GET, HEAD, a refused route) is read to its end before the answer (readToEnd).
import type { IncomingMessage } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import { Errors } from '../errors/registry.ts';

/** The refusal of a body the client stopped sending before its end. */
const closedEarly = () => Errors.invalidBody({ reason: 'the client closed the request before its body was complete' });

/** What the body parser inflates (RFC 9110 §8.4.1: coding names are case-insensitive). */
export const CONTENT_CODINGS = ['gzip', 'deflate', 'br'];

/**
 * Refuses a Content-Encoding the body cannot be read with (a list of codings is not supported),
 * and any coding on a multipart body, which the upload reader takes as it comes. Normalizes the
 * name to lower case, as the parser compares it exactly. GET and HEAD bodies are never read.
 */
export function contentEncodingStage(bodyMethods: readonly string[]) {
  return async function contentEncodingStage(ctx: Context, next: Next) {
    const header = ctx.get('content-encoding');
    if (!header || !bodyMethods.includes(ctx.method)) return next();
    const coding = header.trim().toLowerCase();
    if (coding === 'identity' || coding === '') {
      delete ctx.req.headers['content-encoding'];
      return next();
    }
    if (!CONTENT_CODINGS.includes(coding) || ctx.is('multipart/form-data')) {
      throw Errors.unsupportedContentEncoding({ encoding: header.slice(0, 100) }, { headers: { 'Accept-Encoding': CONTENT_CODINGS.join(', ') } });
    }
    ctx.req.headers['content-encoding'] = coding;
    return next();
  };
}

/**
 * Runs the body parser with two guards for compressed bodies: data the decoder rejects is the
 * client's (400 INVALID_BODY, not the 500 a bare zlib error becomes), and a request closed before
 * its body was complete fails at once instead of waiting for an end that never comes.
 */
export function guardBodyReading(parseBody: Middleware) {
  return async function bodyStage(ctx: Context, next: Next) {
    const coding = ctx.req.headers['content-encoding'];
    if (!coding) return parseBody(ctx, next);
    let parsed = false;
    let onClose = () => undefined as void;
    const aborted = new Promise<never>((_, reject) => {
      onClose = () => {
        if (!ctx.req.complete) reject(closedEarly());
      };
      ctx.req.once('close', onClose);
    });
    try {
      await Promise.race([parseBody(ctx, async () => void (parsed = true)), aborted]);
    } catch (error) {
      throw isDecoderError(error) ? Errors.invalidBody({ reason: `its ${coding} data is corrupt or truncated` }) : error;
    } finally {
      ctx.req.off('close', onClose);
    }
    // The parser answers by itself (499) when the request was closed before it started.
    if (parsed) await next();
  };
}

/** zlib's and brotli's errors: no HTTP status, a zlib errno (negative). */
function isDecoderError(error: unknown): boolean {
  const e = error as { status?: unknown; errno?: unknown; code?: unknown };
  return e instanceof Error && e.status === undefined && typeof e.errno === 'number' && typeof e.code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(e.code);
}

/** Whether the request carries body bytes (a positive Content-Length or a chunked body). */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || Boolean(req.headers['transfer-encoding']);
}

/**
 * Reads a body nobody will use to its end, keeping nothing, and resolves with its size.
 * Answering while the client is still sending makes the server close a socket with unread data,
 * and the TCP reset that follows can destroy the answer before the client reads it; so a body is
 * read before any answer that does not need it. The cost is the bytes' transfer alone (bounded
 * by Node's requestTimeout).
 */
export function readToEnd(req: IncomingMessage): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => void (bytes += chunk.length));
    req.once('end', () => resolve(bytes));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(closedEarly());
    });
  });
}

/**
 * A GET or HEAD body is meaningless (RFC 9110 §9.3.1) and never parsed, but it is read to its end
 * and dropped before the request goes on (readToEnd); one larger than the body limit is refused
 * once read.
 */
export function discardIgnoredBody(limit: number) {
  return async function discardIgnoredBodyStage(ctx: Context, next: Next) {
    if (!hasBody(ctx.req)) return next();
    const received = await readToEnd(ctx.req);
    if (received > limit) throw Errors.invalidBody({ reason: `a ${ctx.method} request carries no body, and this one exceeds ${limit} bytes` });
    return next();
  };
}
