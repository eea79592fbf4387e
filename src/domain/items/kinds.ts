// Per-kind conversions: input (JSON, user's zone) → stored form → index value and output.
// Stored forms: strings for string/text/enum, numbers, booleans, ISO UTC strings for
// datetime, `YYYY-MM-DD` / `YYYY-MM` calendar strings for date/month, item ids for references.
import { createHash } from 'node:crypto';
import { formatInstant, parseInstant } from '../../lib/dates.ts';
import type { PropertyDef, PropertyKind } from './type-definition.ts';

/** Longest value of each text kind; index rows keep at most INDEXED_TEXT characters. */
export const MAX_STRING = 500;
export const MAX_TEXT = 65_535;
export const INDEXED_TEXT = 500;
const PREFIX_OF_LONG_TEXT = 480;

/**
 * The indexed form of a text value: itself up to INDEXED_TEXT characters; beyond, a prefix and
 * a hash of the whole, so equality stays exact, prefixes still sort, and PostgreSQL's b-tree
 * row limit is never reached. Filter params go through the same function.
 */
export function indexedText(value: string): string {
  if (value.length <= INDEXED_TEXT) return value;
  return `${value.slice(0, PREFIX_OF_LONG_TEXT)}\u0001${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

/** The longest startsWith param the indexed prefix can answer exactly. */
export const MAX_PREFIX_PARAM = PREFIX_OF_LONG_TEXT;

const DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const MONTH = /^(\d{4})-(\d{2})/;

function validCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * A file property's input value before it is bound: an upload promise id, or the name of a
 * file the item already holds. Items-service turns tokens into FileEntry values in the write.
 */
export class FileToken {
  constructor(readonly token: string) {}
}

/** PATCH of a multiple file property: `{ add: [promiseIds], remove: [names] }`. */
export class FileChanges {
  constructor(
    readonly add: FileToken[],
    readonly remove: string[],
  ) {}
}

/** The stored form of an attached file (the bytes live in file storage, see ItemFile). */
export interface FileEntry {
  name: string;
  size: number;
  mediaType: string;
}

export const MAX_FILE_NAME = 200;

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };
const fail = (message: string): Parsed => ({ ok: false, message });
const ok = (value: unknown): Parsed => ({ ok: true, value });

/** One scalar value of `property` as sent by a client → its stored form. */
export function parseScalar(property: PropertyDef, input: unknown, zone: string): Parsed {
  switch (property.kind) {
    case 'string':
    case 'text': {
      if (typeof input !== 'string') return fail('must be a string');
      const max = property.kind === 'string' ? MAX_STRING : MAX_TEXT;
      return input.length > max ? fail(`must be at most ${max} characters`) : ok(input);
    }
    case 'integer':
      return typeof input === 'number' && Number.isSafeInteger(input) ? ok(input) : fail('must be an integer');
    case 'number':
      return typeof input === 'number' && Number.isFinite(input) ? ok(input) : fail('must be a number');
    case 'boolean':
      return typeof input === 'boolean' ? ok(input) : fail('must be true or false');
    case 'datetime': {
      if (typeof input !== 'string') return fail('must be an ISO 8601 date-time');
      const instant = parseInstant(input, zone);
      return instant ? ok(instant.toISOString()) : fail('must be an ISO 8601 date-time');
    }
    case 'date': {
      // A datetime keeps its date portion as written: calendar values never shift.
      const match = typeof input === 'string' ? DATE.exec(input) : null;
      if (!match || (input as string).length > 40 || !validCalendarDate(+match[1], +match[2], +match[3])) return fail('must be a date YYYY-MM-DD');
      if ((input as string).length > 10 && !parseInstant(input as string, 'UTC')) return fail('must be a date YYYY-MM-DD');
      return ok(match[0]);
    }
    case 'month': {
      const match = typeof input === 'string' ? MONTH.exec(input) : null;
      if (!match || (input as string).length > 40 || +match[2] < 1 || +match[2] > 12) return fail('must be a month YYYY-MM');
      if ((input as string).length > 7 && !DATE.test(input as string)) return fail('must be a month YYYY-MM');
      return ok(match[0]);
    }
    case 'enum':
      return typeof input === 'string' && property.enumValues.includes(input)
        ? ok(input)
        : fail(`must be one of ${property.enumValues.join(', ')}`);
    case 'reference':
      return typeof input === 'number' && Number.isSafeInteger(input) && input > 0 && input <= 2_147_483_647 ? ok(input) : fail('must be an item id');
    case 'file':
      return typeof input === 'string' && input.length > 0 && input.length <= 255 ? ok(new FileToken(input)) : fail('must be an upload promise id or a file name');
  }
}

/** The name a file value is indexed and filtered by. */
function fileName(stored: unknown): string {
  if (stored instanceof FileToken) return stored.token;
  return (stored as FileEntry).name;
}

export interface IndexValue {
  text: string | null;
  num: number | null;
  folded: string | null;
}

/** The value an ItemValue row holds for a stored scalar. */
export function indexValue(kind: PropertyKind, stored: unknown): IndexValue {
  switch (kind) {
    case 'string':
    case 'text':
    case 'enum':
      return { text: indexedText(String(stored)), num: null, folded: String(stored).toLowerCase() };
    case 'date':
    case 'month':
      return { text: String(stored), num: null, folded: null };
    case 'file':
      return { text: fileName(stored), num: null, folded: fileName(stored).toLowerCase() };
    case 'integer':
    case 'number':
    case 'reference':
      return { text: null, num: Number(stored), folded: null };
    case 'boolean':
      return { text: null, num: stored ? 1 : 0, folded: null };
    case 'datetime':
      return { text: null, num: Date.parse(String(stored)), folded: null };
  }
}

/** Which ItemValue column a kind is indexed in. */
export function indexColumn(kind: PropertyKind): 'text' | 'num' {
  return ['string', 'text', 'enum', 'date', 'month', 'file'].includes(kind) ? 'text' : 'num';
}

/** A stored scalar → the response form (instants in the acting user's zone). */
export function outputScalar(kind: PropertyKind, stored: unknown, zone: string): unknown {
  return kind === 'datetime' ? formatInstant(new Date(String(stored)), zone) : stored;
}

const ISO_LIKE = '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

/**
 * JSON Schema of one scalar: as clients may send it (`input`, checked by ajv before
 * conversion: naive datetimes, datetimes for dates) or as the API returns it (`output`, for
 * /schema and the tenant OpenAPI).
 */
export function scalarSchema(property: PropertyDef, purpose: 'input' | 'output'): Record<string, unknown> {
  const input = purpose === 'input';
  switch (property.kind) {
    case 'string':
      return { type: 'string', maxLength: MAX_STRING };
    case 'text':
      return { type: 'string', maxLength: MAX_TEXT };
    case 'integer':
      return { type: 'integer' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'datetime':
      return input ? { type: 'string', pattern: ISO_LIKE } : { type: 'string', format: 'date-time' };
    case 'date':
      return input ? { type: 'string', pattern: ISO_LIKE } : { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
    case 'month':
      return { type: 'string', pattern: input ? '^\\d{4}-\\d{2}' : '^\\d{4}-\\d{2}$' };
    case 'enum':
      return { type: 'string', enum: property.enumValues };
    case 'reference':
      return input ? { type: 'integer', minimum: 1 } : { type: 'integer', description: `Id of an item of type ${property.referenceType}` };
    case 'file':
      return input
        ? { type: 'string', minLength: 1, maxLength: 255 }
        : {
            type: 'object',
            required: ['name', 'size', 'mediaType', 'url'],
            additionalProperties: false,
            properties: { name: { type: 'string' }, size: { type: 'integer' }, mediaType: { type: 'string' }, url: { type: 'string' } },
          };
  }
}

/** JSON Schema of one scalar as the API returns it (for /schema and the tenant OpenAPI). */
export function outputSchema(property: PropertyDef): Record<string, unknown> {
  return { title: property.name, ...scalarSchema(property, 'output') };
}
