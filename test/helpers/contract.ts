// Every response a test receives is checked against openapi.yaml: the status must be
// documented for the matched operation, and body and headers must match its schemas.
// Responses outside any operation (unknown route, 405) must carry the Error schema.
import { Ajv } from 'ajv';
import { loadContract, type Contract } from '../../src/http/contract.ts';
import { matchRequest } from '../../src/http/match-operation.ts';
import { AppError } from '../../src/errors/define-error.ts';

let contractPromise: Promise<Contract> | null = null;
let errorValidator: ((body: unknown) => boolean) & { errors?: unknown } | null = null;

export interface SeenResponse {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export class ContractViolation extends Error {}

export async function assertMatchesContract(response: SeenResponse): Promise<void> {
  contractPromise ??= loadContract();
  const contract = await contractPromise;
  const where = `${response.method} ${response.path} → ${response.status}`;
  if (!response.path.startsWith('/api/v1')) return;
  let operation;
  try {
    operation = matchRequest(contract, response.method, response.path).operation;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
  }
  if (!operation || response.method === 'OPTIONS') {
    if (response.method === 'OPTIONS' || response.method === 'HEAD') return;
    errorValidator ??= new Ajv({ strict: false }).compile(contract.document.components!.schemas!.Error as object);
    if (!errorValidator(response.body)) {
      throw new ContractViolation(`${where}: unrouted response is not an Error body: ${JSON.stringify(errorValidator.errors)}`);
    }
    return;
  }
  const documented = Object.keys(operation.responses ?? {});
  if (!documented.includes(String(response.status))) {
    throw new ContractViolation(`${where}: status not documented for ${operation.operationId} (documented: ${documented.join(', ')})`);
  }
  if (response.method !== 'HEAD' && response.status !== 204 && response.status !== 304) {
    const body = contract.api.validateResponse(response.body, operation, response.status);
    if (body.errors?.length) {
      throw new ContractViolation(`${where}: body violates ${operation.operationId}: ${JSON.stringify(body.errors)}`);
    }
  }
  const headers = contract.api.validateResponseHeaders(response.headers, operation, { statusCode: response.status, setMatchType: 'superset' as never });
  if (headers.errors?.length) {
    throw new ContractViolation(`${where}: headers violate ${operation.operationId}: ${JSON.stringify(headers.errors)}`);
  }
}
