// Compiled input validators: one per type and mode, for the type's current version only, in a
// bounded LRU. Each validator has its own ajv instance, because ajv keeps everything it ever
// compiled (its schema cache and generated code scope) for the instance's lifetime: dropping
// the instance is the only way to free an edited type's old validator.
import { Ajv, type ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import type { TypeDef } from './type-definition.ts';

/** Most validators held at once (three modes per type in use). */
export const MAX_INPUT_VALIDATORS = 1500;
/**
 * Their total weight, one unit per property: compiled code grows with the property count
 * (~2 KB per property and mode, measured), so 20,000 units hold about 40 MB whether the
 * tenants' types are many and small or few and wide.
 */
export const MAX_INPUT_VALIDATOR_WEIGHT = 20_000;

interface Entry {
  version: string;
  /** Its share of MAX_INPUT_VALIDATOR_WEIGHT: the type's property count. */
  weight: number;
  validate: ValidateFunction;
}

export class InputValidators<Mode extends string> {
  private readonly entries: LRUCache<string, Entry>;

  constructor(
    private readonly schemaFor: (type: TypeDef, mode: Mode) => Record<string, unknown>,
    limits: { max: number; maxWeight: number } = { max: MAX_INPUT_VALIDATORS, maxWeight: MAX_INPUT_VALIDATOR_WEIGHT },
  ) {
    this.entries = new LRUCache<string, Entry>({
      max: limits.max,
      maxSize: limits.maxWeight,
      sizeCalculation: (entry) => entry.weight,
    });
  }

  /** The validator of the type's current version; an older version's is replaced, not kept. */
  get(type: TypeDef, mode: Mode): ValidateFunction {
    const key = `${type.id}|${mode}`;
    const cached = this.entries.get(key);
    if (cached?.version === type.version) return cached.validate;
    const ajv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false, addUsedSchema: false });
    const validate = ajv.compile(this.schemaFor(type, mode));
    this.entries.set(key, { version: type.version, weight: Math.max(1, type.properties.length), validate });
    return validate;
  }

  get size(): number {
    return this.entries.size;
  }
}
