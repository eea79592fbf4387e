// Every operation of openapi.yaml as the fuzz drives it: method, path template, parameters and
// request body schema (dereferenced by openapi-backend), its access policy, and the SEARCH and
// QUERY forms of each path marked `x-search-operation` as operations of their own.
import type { Operation } from 'openapi-backend';
import { API_ROOT, loadContract, type Contract } from '../../src/http/contract.ts';
import type { Access } from '../../src/http/operation-policy.ts';

export type JsonSchema = Record<string, any>;

export interface FuzzParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface FuzzOperation {
  /** operationId, or `searchItems@SEARCH` for an alias method. */
  name: string;
  operationId: string;
  method: string;
  /** The contract's template, e.g. `/collection/{collection}/{item}` (without the API root). */
  template: string;
  parameters: FuzzParameter[];
  body: { required: boolean; mediaTypes: Record<string, JsonSchema> } | null;
  access: Access;
  /** A 2xx needs a valid key (every access but `public` and `key-optional`). */
  secured: boolean;
  documented: string[];
}

let loaded: Promise<{ contract: Contract; operations: FuzzOperation[] }> | null = null;

function toFuzzOperation(contract: Contract, operation: Operation, method: string, template: string, name: string): FuzzOperation {
  const policy = contract.policies.get(operation.operationId!)!;
  const content = (operation.requestBody as { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content;
  return {
    name,
    operationId: operation.operationId!,
    method,
    template,
    parameters: (operation.parameters ?? []).map((p) => p as unknown as FuzzParameter),
    body: content
      ? { required: Boolean((operation.requestBody as { required?: boolean }).required), mediaTypes: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, media.schema ?? {}])) }
      : null,
    access: policy.access,
    secured: policy.access !== 'public' && policy.access !== 'key-optional',
    documented: Object.keys(operation.responses ?? {}),
  };
}

/** The contract (loaded once) and its operations, SEARCH/QUERY aliases after their POST forms. */
export function contractOperations(): Promise<{ contract: Contract; operations: FuzzOperation[] }> {
  loaded ??= (async () => {
    const contract = await loadContract();
    const operations: FuzzOperation[] = [];
    for (const operation of contract.api.getOperations()) {
      operations.push(toFuzzOperation(contract, operation, operation.method.toUpperCase(), operation.path, operation.operationId!));
    }
    for (const [template, item] of Object.entries(contract.document.paths ?? {})) {
      const target = (item as { 'x-search-operation'?: string })['x-search-operation'];
      if (!target) continue;
      const operation = contract.matcher.operationById(target);
      for (const method of ['SEARCH', 'QUERY']) operations.push(toFuzzOperation(contract, operation, method, template, `${target}@${method}`));
    }
    return { contract, operations };
  })();
  return loaded;
}

/** `/collection/{collection}` with values → `/api/v1/collection/fz_main` (values already encoded). */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return API_ROOT + template.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? `{${name}}`);
}
