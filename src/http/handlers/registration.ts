// user.register (GET envelope, POST register), user.challenge, user.challengeRetry, and the
// verification link's page (GET shows a button, POST answers the mail_link method).
import { AppError } from '../../errors/define-error.ts';
import { Errors } from '../../errors/registry.ts';
import { projectAuthToken, projectUser } from '../../projection/identity.ts';
import { renderVerificationPage, VERIFICATION_PAGE_HEADERS, type VerificationPageState } from '../pages/verification-page.ts';
import type { OperationHandler, RequestScope } from '../types.ts';

// Normal POST fields arrive as text (`roles[]=3`) and a lone value without brackets; the form
// schemas admit digit strings and single values (openapi-backend coerces parameters, not bodies).
const formId = (value: unknown) => (typeof value === 'string' ? Number(value) : (value as number));
const formIds = (value: unknown) => (value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(formId));
const formList = <T>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

export const getRegistrationEnvelope: OperationHandler<'getRegistrationEnvelope'> = async (_input, scope) => ({
  status: 200,
  body: scope.services.registration.envelope(scope.tenant),
});

export const registerUser: OperationHandler<'registerUser'> = async ({ body }, scope) => {
  const input = {
    ...body,
    roles: formIds(body.roles),
    user_group: formIds(body.user_group),
    verify_account: body.verify_account && { ...body.verify_account, methods: formList(body.verify_account.methods) },
  };
  const { user, key, challenge } = await scope.services.registration.register(scope.tenant, input, scope.ip);
  const zone = scope.principal.timeZone;
  return {
    status: 200,
    body: {
      object: projectUser(user, zone),
      apiKey: key ? projectAuthToken(key.row, key.keyString, key.timeZone) : null,
      challenge: challenge ?? false,
    },
  };
};

export const answerChallenge: OperationHandler<'answerChallenge'> = async ({ body }, scope) => {
  const { methodDone, challengeCompleted } = await scope.services.challenges.answer(scope.tenant, { ...body, userId: formId(body.userId) }, scope.ip);
  return { status: 200, body: { methodDone, challengeCompleted } };
};

export const retryChallenge: OperationHandler<'retryChallenge'> = async ({ body }, scope) => {
  if (body.challengeId === undefined && body.userId === undefined && body.user_id === undefined) {
    throw Errors.validationFailed(undefined, { details: [{ path: 'body', message: 'must name the challenge: challengeId, userId or user_id' }] });
  }
  const result = await scope.services.challenges.retry(scope.tenant, { challengeId: body.challengeId, userId: body.userId === undefined ? undefined : formId(body.userId), login: body.user_id, method: body.method }, scope.ip);
  return { status: 200, body: result };
};

const page = (state: VerificationPageState) => ({
  status: 200 as const,
  body: renderVerificationPage(state),
  contentType: 'text/html; charset=utf-8',
  headers: { ...VERIFICATION_PAGE_HEADERS },
});

/** The link's fields, when all three are there and the user id is a number. */
function linkFields(fields: { user?: string; challenge?: string; secret?: string }) {
  const userId = Number(fields.user);
  if (!fields.challenge || !fields.secret || !Number.isInteger(userId) || userId < 1 || userId > 2_147_483_647) return null;
  return { userId, challengeId: fields.challenge, secret: fields.secret };
}

export const getVerificationPage: OperationHandler<'getVerificationPage'> = async ({ query }) => {
  const fields = linkFields(query);
  // Reads nothing and writes nothing: a scanner's GET or HEAD leaves the challenge as it was.
  return page(fields ? { kind: 'confirm', user: String(fields.userId), challenge: fields.challengeId, secret: fields.secret } : { kind: 'incomplete' });
};

export const confirmVerification: OperationHandler<'confirmVerification'> = async ({ body }, scope: RequestScope) => {
  const fields = linkFields(body ?? {});
  if (!fields) return page({ kind: 'incomplete' });
  try {
    const result = await scope.services.challenges.answer(scope.tenant, { ...fields, method: 'mail_link' }, scope.ip);
    if (result.challengeCompleted && result.redirectUrl) {
      return { status: 303, body: undefined, headers: { ...VERIFICATION_PAGE_HEADERS, Location: result.redirectUrl } };
    }
    return page({ kind: result.challengeCompleted ? 'verified' : result.methodDone ? 'method_done' : 'failed' });
  } catch (error) {
    if (error instanceof AppError && error.code === Errors.methodAlreadyDone.code) return page({ kind: 'already' });
    throw error;
  }
};
