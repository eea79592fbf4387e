// The relation route is reserved by the contract: 501 for every method.
import { Errors } from '../../errors/registry.ts';
import type { OperationHandler } from '../types.ts';

const reserved = async (): Promise<never> => {
  throw Errors.notImplemented();
};

export const getItemRelation: OperationHandler<'getItemRelation'> = reserved;
export const createItemRelation: OperationHandler<'createItemRelation'> = reserved;
export const deleteItemRelation: OperationHandler<'deleteItemRelation'> = reserved;
