// The multipart stage: for uploadFiles (POST /upload/...) by an authenticated caller it offers
// the handler a reader of the request's files. The handler checks the target, the caller and
// the limits first and only then reads; files go straight to the storage's incoming directory
// (never into memory), and what the handler did not adopt is removed when the request ends.
import { randomBytes } from 'node:crypto';
import type { Context, Next } from 'koa';
import multer from '@koa/multer';
import { Errors } from '../errors/registry.ts';
import { findUnstorable } from '../lib/unstorable-text.ts';
import { discardUploads, type ReadUploads } from '../domain/files/files-service.ts';
import type { UploadedFile } from '../domain/files/file-rules.ts';
import type { AuthState } from './authorize.ts';
import { matchedOperation } from './match-operation.ts';

/** Multer's limit errors and busboy's parse errors are the client's; anything else (disk, permissions) is ours. */
function uploadError(error: Error & { code?: string; syscall?: string }, maxBytes: number): Error {
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return Errors.fileTooLarge({ limit: maxBytes, name: 'file' });
    case 'LIMIT_FILE_COUNT':
      return Errors.invalidUpload({ reason: 'too many files in one request' });
    case 'LIMIT_UNEXPECTED_FILE':
      return Errors.invalidUpload({ reason: 'files must be sent in the field "file"' });
  }
  if (error.code?.startsWith('LIMIT_')) return Errors.invalidUpload({ reason: 'too many or too large parts' });
  // Multer's other refusals (a part without a field name, e.g. an RFC 5987 `name*=`) are the client's too.
  if (error.name === 'MulterError') return Errors.invalidUpload({ reason: error.message.slice(0, 100) });
  if (error.syscall || error.code) return error;
  return Errors.invalidUpload({ reason: `malformed multipart body (${error.message.slice(0, 100)})` });
}

export function uploadStage(options: { incomingDir: string; maxFiles: number }) {
  const storage = multer.diskStorage({
    destination: options.incomingDir,
    filename: (_req, _file, done) => done(null, randomBytes(18).toString('base64url')),
  });

  return async function uploadStage(ctx: Context, next: Next) {
    const auth = ctx.state.auth as AuthState | undefined;
    if (matchedOperation(ctx).operationId !== 'uploadFiles' || !ctx.is('multipart/form-data') || !auth?.principal) return next();
    const received: UploadedFile[] = [];
    const readFiles = async (maxBytes: number) => {
      const parse = multer({
        storage,
        // Browsers and fetch send file names as UTF-8.
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, files: options.maxFiles, fields: 20, fieldSize: 4096, parts: options.maxFiles + 20, headerPairs: 200 },
      } as multer.Options).array('file', options.maxFiles);
      try {
        await parse(ctx, async () => undefined);
      } catch (error) {
        await discardUploads((ctx as { files?: UploadedFile[] }).files);
        throw uploadError(error as Error, maxBytes);
      }
      const files = ((ctx as { files?: UploadedFile[] }).files ?? []) as UploadedFile[];
      received.push(...files);
      // RFC 5987 names and part charsets (`utf-16le`) can decode to lone surrogates, which the
      // boundary check of JSON bodies never saw: names are stored, so refuse them here.
      const unstorable =
        findUnstorable((ctx.request as { body?: unknown }).body, 'body') ??
        findUnstorable(files.map((file) => file.originalname), 'files');
      if (unstorable) throw Errors.invalidCharacter(unstorable);
      return files;
    };
    // Node ends a body at its Content-Length: no upload stores more than it declared.
    const read: ReadUploads = Object.assign(readFiles, { declaredBytes: ctx.request.length ?? null });
    ctx.state.readUploads = read;
    try {
      await next();
    } finally {
      await discardUploads(received);
    }
  };
}
