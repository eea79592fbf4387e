// Type definitions → the contract's ItemType shape (input form of defaults).
import type { components } from '../../generated/api.d.ts';
import { propertyAsShown, type TypeDef } from '../domain/items/type-definition.ts';

export function projectType(type: TypeDef): components['schemas']['ItemType'] {
  return {
    id: type.id,
    systemName: type.systemName,
    name: type.name,
    readLog: type.readLog,
    properties: type.properties.map(propertyAsShown),
  };
}
