// Body validation against the type: ajv schemas compiled from the type definition (one per
// type and mode, rebuilt when the type changes, bounded: input-validators.ts), then conversion
// to stored form in the acting user's zone. Every failing field is reported at once.
import type { ErrorObject } from 'ajv';
import { Errors } from '../../errors/registry.ts';
import type { ErrorDetail } from '../../errors/define-error.ts';
import { FileChanges, FileToken, parseScalar, scalarSchema } from './kinds.ts';
import { SYSTEM_FIELDS, type PropertyDef, type TypeDef } from './type-definition.ts';
import { InputValidators } from './input-validators.ts';
import { MAX_VALUES_PER_ITEM, MAX_VALUES_PER_PROPERTY as MAX_VALUES } from './limits.ts';

export { MAX_INPUT_VALIDATORS } from './input-validators.ts';
export type InputMode = 'create' | 'replace' | 'patch';

function valueSchema(property: PropertyDef, allowNull: boolean): Record<string, unknown> {
  const scalar = scalarSchema(property, 'input');
  const value = property.multiple ? { type: 'array', maxItems: MAX_VALUES, items: scalar } : scalar;
  return allowNull ? { anyOf: [value, { type: 'null' }] } : value;
}

const FILE_TOKENS = { type: 'array', maxItems: MAX_VALUES, items: { type: 'string', minLength: 1, maxLength: 255 } };
/** PATCH of a multiple file property: promise ids to add, names of held files to remove. */
const FILE_CHANGES = { type: 'object', additionalProperties: false, minProperties: 1, properties: { add: FILE_TOKENS, remove: FILE_TOKENS } };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function inputSchema(type: TypeDef, mode: InputMode): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const property of type.properties) {
    properties[property.systemName] = valueSchema(property, !property.required);
    if (mode === 'patch' && property.kind === 'file' && property.multiple) {
      properties[property.systemName] = { anyOf: [properties[property.systemName], FILE_CHANGES] };
    }
    if (mode === 'patch' && property.kind !== 'file') {
      const additive = ['string', 'text', 'integer', 'number'].includes(property.kind) || property.multiple;
      if (additive) properties[`${property.systemName}+=`] = property.multiple ? valueSchema(property, false) : scalarSchema(property, 'input');
      if (property.multiple) properties[`${property.systemName}+==`] = valueSchema(property, false);
    }
  }
  const required = mode === 'patch' ? [] : type.properties.filter((p) => p.required && p.defaultValue === null).map((p) => p.systemName);
  return { type: 'object', properties, required, additionalProperties: false };
}

/** One per process: validators depend only on the definition, whichever server compiled them. */
const validators = new InputValidators<InputMode>(inputSchema);

/** How many validators are compiled and held (tests check the bound). */
export function inputValidatorCount(): number {
  return validators.size;
}

/** Values an item holds over all its properties (each is one index row). */
function countValues(data: Record<string, unknown>): number {
  let count = 0;
  for (const value of Object.values(data)) {
    if (value === undefined || value === null) continue;
    count += Array.isArray(value) ? value.length : 1;
  }
  return count;
}

/** 400 TOO_MANY_VALUES when an item (or the body that would make it) holds too many values. */
function assertValueCount(data: Record<string, unknown>): void {
  const count = countValues(data);
  if (count > MAX_VALUES_PER_ITEM) throw Errors.tooManyValues({ count, limit: MAX_VALUES_PER_ITEM });
}

function details(errors: ErrorObject[]): ErrorDetail[] {
  const seen = new Set<string>();
  const out: ErrorDetail[] = [];
  for (const error of errors) {
    const params = error.params as { missingProperty?: string; additionalProperty?: string };
    const field = params.missingProperty ?? params.additionalProperty ?? error.instancePath.split('/')[1] ?? '';
    const message = params.additionalProperty ? 'is not a property of this type' : params.missingProperty ? 'is required' : (error.message ?? 'is invalid');
    const path = `body.${field}`;
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, message });
  }
  return out;
}

/** A body without the fields clients may send but never set (id, uuid, system fields). */
export function withoutSystemFields(body: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...body };
  for (const field of SYSTEM_FIELDS) delete rest[field];
  return rest;
}

/**
 * Validates `body` for `mode` and converts every value to stored form. Keys keep their
 * operators (`name+=`). Throws VALIDATION_FAILED naming every failing field.
 */
export function readInput(type: TypeDef, mode: InputMode, rawBody: unknown, zone: string): Record<string, unknown> {
  if (typeof rawBody !== 'object' || rawBody === null || Array.isArray(rawBody)) {
    throw Errors.validationFailed(undefined, { details: [{ path: 'body', message: 'must be a JSON object' }] });
  }
  const body = withoutSystemFields(rawBody as Record<string, unknown>);
  // Counted before any per-value work: an over-wide body costs no validation or conversion.
  assertValueCount(body);
  const validate = validators.get(type, mode);
  // Shape problems and value problems (impossible dates, unsafe integers) are reported together.
  const problems: ErrorDetail[] = validate(body) ? [] : details(validate.errors ?? []);
  const failed = new Set(problems.map((p) => p.path));
  const stored: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const property = type.bySystemName.get(key.replace(/\+=?=$/, ''));
    if (!property || failed.has(`body.${key}`)) continue;
    if (value === null) {
      stored[key] = null;
      continue;
    }
    if (property.kind === 'file' && isPlainObject(value)) {
      const changes = value as { add?: string[]; remove?: string[] };
      stored[key] = new FileChanges((changes.add ?? []).map((token) => new FileToken(token)), changes.remove ?? []);
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    const converted: unknown[] = [];
    for (const [index, item] of values.entries()) {
      const parsed = parseScalar(property, item, zone);
      if (parsed.ok) converted.push(parsed.value);
      else problems.push({ path: `body.${key}${Array.isArray(value) ? `[${index}]` : ''}`, message: parsed.message });
    }
    stored[key] = Array.isArray(value) ? converted : converted[0];
  }
  if (problems.length) throw Errors.validationFailed(undefined, { details: problems });
  return stored;
}
