// Validates openapi.yaml with swagger-parser (structure, $refs) and checks the policy extensions.
import SwaggerParser from '@apidevtools/swagger-parser';
import { readOperationPolicies } from '../../src/http/operation-policy.ts';

const file = new URL('../../openapi.yaml', import.meta.url).pathname;
try {
  const api = await SwaggerParser.validate(file);
  const policies = readOperationPolicies(api as never);
  console.log(`openapi.yaml is valid: ${policies.size} operations, each with x-permission and x-cache`);
} catch (error) {
  console.error(`openapi.yaml is invalid: ${(error as Error).message}`);
  process.exit(1);
}
