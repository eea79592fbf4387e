// Command endpoints /app/{module}.{action} of the foundation: backend.version, user.current.
import { readFileSync } from 'node:fs';
import { projectCurrentUser } from '../../projection/identity.ts';
import type { OperationHandler } from '../types.ts';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  jetstack: { releaseId: number; releaseTime: string; notes: string };
};

export const getBackendVersion: OperationHandler<'getBackendVersion'> = async () => ({
  status: 200,
  body: { id: pkg.jetstack.releaseId, code: pkg.version, notes: pkg.jetstack.notes, release_time: pkg.jetstack.releaseTime },
});

export const getCurrentUser: OperationHandler<'getCurrentUser'> = async (_input, scope) => ({
  status: 200,
  body: projectCurrentUser(scope.principal),
});
