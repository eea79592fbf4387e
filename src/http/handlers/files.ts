// Uploads (promise ids) and downloads of files attached to items.
import contentDisposition from 'content-disposition';
import { servedMediaType } from '../../domain/files/file-rules.ts';
import type { OperationHandler } from '../types.ts';

export const uploadFiles: OperationHandler<'uploadFiles'> = async ({ params, readUploads }, scope) => ({
  status: 200,
  body: await scope.services.files.upload(scope, params.typeId, params.propertyId, readUploads),
});

export const downloadFile: OperationHandler<'downloadFile'> = async ({ params }, scope) => {
  const { entry, stream } = await scope.services.files.open(scope, params.collection, params.item, params.property, params.name);
  return {
    status: 200,
    body: stream,
    contentType: servedMediaType(entry.mediaType),
    headers: {
      'Content-Length': String(entry.size),
      'Content-Disposition': contentDisposition(entry.name),
      'X-Content-Type-Options': 'nosniff',
      // Opened in a browser anyway, the file runs nothing and loads nothing.
      'Content-Security-Policy': "sandbox; default-src 'none'",
    },
  };
};
