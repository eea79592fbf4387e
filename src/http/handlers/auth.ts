// POST /auth, GET /auth, POST /deauth (seed 004 "POST /api/v1/auth" and following).
import { formatWallClock } from '../../lib/dates.ts';
import { projectAuthToken } from '../../projection/identity.ts';
import type { OperationHandler } from '../types.ts';

export const createApiKey: OperationHandler<'createApiKey'> = async ({ body }, scope) => {
  const issued = await scope.services.apiKeys.createFromCredentials(scope.tenant, body, scope.principal, scope.ip);
  return { status: 200, body: { authToken: projectAuthToken(issued.row, issued.keyString, issued.timeZone) } };
};

export const getApiKeyStatus: OperationHandler<'getApiKeyStatus'> = async (_input, scope) => {
  const status = scope.services.apiKeys.status(scope.principal);
  return {
    status: 200,
    body: status.valid && status.validTo
      ? { status: 'valid', validTo: formatWallClock(status.validTo, scope.principal.timeZone) }
      : { status: 'invalid', validTo: '' },
  };
};

export const revokeApiKey: OperationHandler<'revokeApiKey'> = async ({ body }, scope) => {
  await scope.services.apiKeys.revokeKeyString(scope.tenant, body.key);
  return { status: 200, body: { message: 'API key deleted.' } };
};
