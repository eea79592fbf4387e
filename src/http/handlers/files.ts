// Uploads (promise ids) and downloads of files attached to items.
import contentDisposition from 'content-disposition';
import type { OperationHandler } from '../types.ts';

export const uploadFiles: OperationHandler<'uploadFiles'> = async ({ params, uploads }, scope) => ({
  status: 200,
  body: await scope.services.files.upload(scope, params.typeId, params.propertyId, uploads ?? []),
});

export const downloadFile: OperationHandler<'downloadFile'> = async ({ params }, scope) => {
  const { entry, stream } = await scope.services.files.open(scope, params.collection, params.item, params.property, params.name);
  return {
    status: 200,
    body: stream,
    contentType: entry.mediaType,
    headers: {
      'Content-Length': String(entry.size),
      'Content-Disposition': contentDisposition(entry.name),
      'X-Content-Type-Options': 'nosniff',
    },
  };
};
