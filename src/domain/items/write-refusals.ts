// The refusals of item writes that point at other data (a taken unique value, referencing
// items): each says no more than the caller may see.
import { Errors } from '../../errors/registry.ts';
import type { ActingScope } from '../acting-scope.ts';
import { mayShow } from './access.ts';
import type { PropertyDef, TypeDef } from './type-definition.ts';

/**
 * The refusal of a duplicate unique value. The refusal itself cannot be avoided (uniqueness
 * must hold), but a caller who may not show the type learns no more than "some unique value
 * you sent is taken": not which property, and never which item holds it.
 */
export function uniqueViolation(scope: ActingScope, type: TypeDef, properties: PropertyDef[]) {
  if (!mayShow(scope.principal, type)) return Errors.uniqueValueTaken();
  return Errors.uniqueViolation({ property: properties.map((p) => p.systemName).join(' or ') });
}

/** STILL_REFERENCED counting only the referencing items whose type the caller may show. */
export function stillReferenced(scope: ActingScope, refs: { itemId: number; type: TypeDef }[]) {
  const count = new Set(refs.filter((ref) => mayShow(scope.principal, ref.type)).map((ref) => ref.itemId)).size;
  return count > 0 ? Errors.stillReferenced({ count }) : Errors.stillReferencedHidden();
}
