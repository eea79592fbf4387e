// JSON Schema (the subset openapi.yaml and the tenant schemas use) → a fast-check arbitrary of
// valid values. A field whose name has a hint (ids, property names, dates of the populated
// tenant) draws from the hint most of the time, so generated requests reach real rows.
import fc from 'fast-check';
import type { JsonSchema } from './contract-operations.ts';

export type Hints = Record<string, fc.Arbitrary<unknown>>;

const SMALL = 6;

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  if (schema.format === 'email') return fc.emailAddress().filter((s) => s.length <= (schema.maxLength ?? 320));
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') return fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.format === 'date') return fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (schema.pattern) {
    return fc.stringMatching(new RegExp(schema.pattern), { size: 'xsmall' }).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' }).filter((s) => s.length <= (schema.maxLength ?? Infinity));
}

function objectArbitrary(schema: JsonSchema, hints: Hints, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set<string>(schema.required ?? []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) model[name] = valueArbitrary(property, hints, name, depth + 1);
  for (const name of required) model[name] ??= fc.jsonValue({ maxDepth: 1 });
  const record = fc.record(model, { requiredKeys: [...required] });
  const min = schema.minProperties ?? 0;
  return min > 0 ? record.filter((value) => Object.keys(value).length >= min) : record;
}

/** Valid values of `schema`; `name` is the field's name (for hints). */
export function valueArbitrary(schema: JsonSchema, hints: Hints, name = '', depth = 0): fc.Arbitrary<unknown> {
  const fromSchema = schemaArbitrary(schema, hints, depth);
  // An enum is its own pool (a Filter's `type` is an operator, not a type id).
  const hint = schema.enum ? undefined : hints[name];
  return hint ? fc.oneof({ weight: 4, arbitrary: hint }, { weight: 1, arbitrary: fromSchema }) : fromSchema;
}

function schemaArbitrary(schema: JsonSchema, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const choices = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(choices)) return fc.oneof(...choices.map((choice: JsonSchema) => schemaArbitrary(choice, hints, depth)));
  if (Array.isArray(schema.allOf)) return schemaArbitrary(Object.assign({}, ...schema.allOf), hints, depth);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type: string) => schemaArbitrary({ ...schema, type }, hints, depth)));
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, Math.max(schema.minimum ?? 0, 0) + 1000) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = schemaArbitrary(schema.items ?? {}, hints, depth + 1);
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? SMALL, SMALL)) };
      return schema.uniqueItems ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(items, constraints);
    }
    case 'object':
      return objectArbitrary(schema, hints, depth);
    default:
      // `{}` (any value) or a schema with only properties.
      return schema.properties ? objectArbitrary(schema, hints, depth) : fc.jsonValue({ maxDepth: depth > 2 ? 0 : 2 });
  }
}
