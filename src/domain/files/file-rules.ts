// What a file is allowed to be: its media type (read from the bytes where possible), a safe
// name, a free name among an item's files, and the type it is served with.
import { fileTypeFromFile, supportedMimeTypes } from 'file-type';
import sanitize from 'sanitize-filename';
import { Errors } from '../../errors/registry.ts';
import { MAX_FILE_NAME } from '../items/kinds.ts';
import type { PropertyDef } from '../items/type-definition.ts';

/** A file multer has written to the incoming directory. */
export interface UploadedFile {
  path: string;
  originalname: string;
  mimetype: string;
  size: number;
}

/** Types a browser would run when opened from a blob: URL of the API's client; served inert. */
const ACTIVE_CONTENT = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/(x-)?javascript|application\/ecmascript)$/;

/** The Content-Type a download is served with: the stored type, unless browsers would run it. */
export function servedMediaType(mediaType: string): string {
  return ACTIVE_CONTENT.test(mediaType) ? 'application/octet-stream' : mediaType;
}

/**
 * The media type of an upload: read from the bytes where file-type can; otherwise the declared
 * one, unless that is a binary format file-type would have recognised (a mislabelled file).
 */
export async function mediaTypeOf(file: UploadedFile, property: PropertyDef): Promise<string> {
  const sniffed = (await fileTypeFromFile(file.path).catch(() => undefined))?.mime;
  const declared = (file.mimetype || 'application/octet-stream').toLowerCase().split(';')[0].trim();
  if (!sniffed && declared !== 'application/octet-stream' && supportedMimeTypes.has(declared as never)) {
    throw Errors.unsupportedMediaType({ mediaType: `${declared} (the content is not ${declared})`, property: property.systemName });
  }
  const mediaType = (sniffed ?? declared).toLowerCase();
  if (!accepts(property.mediaTypes, mediaType)) throw Errors.unsupportedMediaType({ mediaType, property: property.systemName });
  return mediaType;
}

/** A client's file name → a safe one: no path, no control or reserved characters, bounded. */
export function safeFileName(original: string): string {
  const base = (original.split(/[\\/]/).pop() ?? '').normalize('NFC');
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 && base.length - dot <= 16 ? base.slice(dot) : '';
  // Shorten the stem, not the extension, to MAX_FILE_NAME characters and 240 UTF-8 bytes.
  let stem = (ext ? base.slice(0, dot) : base).slice(0, MAX_FILE_NAME - ext.length);
  while (Buffer.byteLength(stem + ext) > 240) stem = stem.slice(0, -1);
  const name = sanitize(stem + ext, { replacement: '_' }).replace(/^[.\s]+/, '').trim();
  return name || 'file';
}

/** `report.pdf` → `report (2).pdf` until the name is free among `taken`. */
export function freeName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 2; ; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function accepts(patterns: string[] | null, mediaType: string): boolean {
  if (!patterns) return true;
  return patterns.some((pattern) => (pattern.endsWith('/*') ? mediaType.startsWith(pattern.slice(0, -1)) : pattern === mediaType));
}
