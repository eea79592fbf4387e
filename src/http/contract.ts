// The contract at run time: openapi.yaml loaded once, its operations matched and validated
// through openapi-backend, and each operation's policy read from its x- extensions.
import { readFileSync } from 'node:fs';
import { OpenAPIBackend, type Document, type Operation } from 'openapi-backend';
import { parse as parseYaml } from 'yaml';
import addFormats from 'ajv-formats';
import { readOperationPolicies, type OperationPolicy } from './operation-policy.ts';
import { OperationMatcher } from './operation-matcher.ts';

export const API_ROOT = '/api/v1';
export const CONTRACT_PATH = new URL('../../openapi.yaml', import.meta.url);

export interface Contract {
  api: OpenAPIBackend;
  matcher: OperationMatcher<Operation>;
  /** Paths whose SEARCH (and QUERY) requests run another operation (`x-search-operation`). */
  searchMatcher: OperationMatcher<Operation>;
  policies: Map<string, OperationPolicy>;
  document: Document;
  yamlText: string;
  jsonText: string;
}

export async function loadContract(): Promise<Contract> {
  const yamlText = readFileSync(CONTRACT_PATH, 'utf8');
  const document = parseYaml(yamlText) as Document;
  const policies = readOperationPolicies(document as never);
  const api = new OpenAPIBackend({
    definition: structuredClone(document),
    apiRoot: API_ROOT,
    strict: true,
    validate: true,
    // `quick`: dereference synchronously and compile an operation's request validators on its
    // first request (about 10 ms each) instead of every request and response validator of every
    // operation up front, which took 5–6 s of each start; the server never validates responses.
    quick: true,
    coerceTypes: true,
    ajvOpts: { allErrors: true, strict: false },
    customizeAjv: (ajv) => {
      addFormats.default(ajv);
      return ajv;
    },
  });
  // openapi-backend checks documents against its bundled 3.0 meta-schema and, on a 3.1
  // document, logs a warning and starts with zero operations. The contract is validated
  // with swagger-parser in CI (npm run spec:validate) instead.
  api.validateDefinition = () => api.definition;
  await api.init();
  const operations = api.getOperations();
  for (const operation of operations) {
    if (!operation.operationId || !policies.has(operation.operationId)) {
      throw new Error(`Operation ${operation.method.toUpperCase()} ${operation.path} has no policy`);
    }
  }
  const searchAliases: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const target = (item as { 'x-search-operation'?: string })['x-search-operation'];
    if (!target) continue;
    const operation = operations.find((o) => o.operationId === target);
    if (!operation) throw new Error(`x-search-operation of ${path} names unknown operation ${target}`);
    searchAliases.push({ ...operation, path, method: 'search' });
  }
  return {
    api,
    matcher: new OperationMatcher(operations, API_ROOT),
    searchMatcher: new OperationMatcher(searchAliases, API_ROOT),
    policies,
    document,
    yamlText,
    jsonText: JSON.stringify(document),
  };
}
