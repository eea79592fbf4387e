// Type definitions → the contract's ItemType shape (input form of defaults).
import type { components } from '../../generated/api.d.ts';
import type { TypeDef } from '../domain/items/type-definition.ts';

export function projectType(type: TypeDef): components['schemas']['ItemType'] {
  return {
    id: type.id,
    systemName: type.systemName,
    name: type.name,
    readLog: type.readLog,
    properties: type.properties.map((p) => ({
      id: p.id,
      systemName: p.systemName,
      name: p.name,
      kind: p.kind,
      required: p.required,
      unique: p.unique,
      multiple: p.multiple,
      default: p.defaultValue,
      ...(p.kind === 'enum' ? { enumValues: p.enumValues } : {}),
      ...(p.referenceType ? { referenceType: p.referenceType } : {}),
      ...(p.mediaTypes ? { mediaTypes: p.mediaTypes } : {}),
      ...(p.maxFileSize ? { maxFileSize: p.maxFileSize } : {}),
    })),
  };
}
