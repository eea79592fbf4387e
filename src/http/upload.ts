// The multipart stage: only for POST /upload/... by an authenticated caller, files go straight
// to the storage's incoming directory (never into memory) within the configured limits; what
// the handler did not adopt is removed when the request ends. Multer's errors become 4xx.
import { randomBytes } from 'node:crypto';
import type { Context, Next } from 'koa';
import multer from '@koa/multer';
import { Errors } from '../errors/registry.ts';
import { discardUploads, type UploadedFile } from '../domain/files/files-service.ts';
import type { AuthState } from './authorize.ts';
import { API_ROOT } from './contract.ts';

interface MulterFailure {
  name?: string;
  code?: string;
  message?: string;
}

function uploadError(error: MulterFailure, maxBytes: number): Error {
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return Errors.fileTooLarge({ limit: maxBytes, name: (error as { field?: string }).field ?? 'file' });
    case 'LIMIT_FILE_COUNT':
      return Errors.invalidUpload({ reason: 'too many files in one request' });
    case 'LIMIT_UNEXPECTED_FILE':
      return Errors.invalidUpload({ reason: 'files must be sent in the field "file"' });
    default:
      return Errors.invalidUpload({ reason: error.message ?? 'malformed multipart body' });
  }
}

export function uploadStage(options: { incomingDir: string; maxBytes: number; maxFiles: number }) {
  const parse = multer({
    storage: multer.diskStorage({
      destination: options.incomingDir,
      filename: (_req, _file, done) => done(null, randomBytes(18).toString('base64url')),
    }),
    limits: { fileSize: options.maxBytes, files: options.maxFiles, fields: 20, fieldSize: 4096, parts: options.maxFiles + 20, headerPairs: 200 },
  }).array('file', options.maxFiles);
  const prefix = `${API_ROOT}/upload/`;

  return async function uploadStage(ctx: Context, next: Next) {
    const auth = ctx.state.auth as AuthState | undefined;
    // Anything else is left to routing and authorization, which answer before reading a byte.
    if (ctx.method !== 'POST' || !ctx.path.startsWith(prefix) || !ctx.is('multipart/form-data') || !auth?.principal) return next();
    try {
      await parse(ctx, async () => undefined);
    } catch (error) {
      await discardUploads((ctx as { files?: UploadedFile[] }).files);
      throw uploadError(error as MulterFailure, options.maxBytes);
    }
    const files = ((ctx as { files?: UploadedFile[] }).files ?? []) as UploadedFile[];
    ctx.state.uploads = files;
    try {
      await next();
    } finally {
      await discardUploads(files);
    }
  };
}
