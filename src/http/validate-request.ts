// The validate stage: the request against the matched operation's contract, after authorize.
// Text no database can store (400 INVALID_CHARACTER) first, then openapi-backend's compiled ajv
// validators (400 VALIDATION_FAILED naming every field); keeps the coerced input for dispatch.
import type { Context, Next } from 'koa';
import type { Operation } from 'openapi-backend';
import type { ErrorObject } from 'ajv';
import { Errors } from '../errors/registry.ts';
import type { ErrorDetail } from '../errors/define-error.ts';
import { findUnstorable } from '../lib/unstorable-text.ts';
import type { ReadUploads } from '../domain/files/files-service.ts';
import type { Contract } from './contract.ts';
import { matchedOperation } from './match-operation.ts';

/** What the handler receives: path and query coerced to their schema types, the body as parsed. */
export interface ValidatedInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  /** Reads the files of a multipart upload (the upload stage's reader), after the handler's checks. */
  readUploads?: ReadUploads;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

function validationDetails(errors: ErrorObject[]): ErrorDetail[] {
  return errors.map((error) => {
    const where = error.instancePath
      .replace(/^\/requestBody/, 'body')
      .replace(/^\/(query|path|header)/, '$1')
      .replace(/\//g, '.');
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    const extra = (error.params as { additionalProperty?: string }).additionalProperty;
    const path = [where || 'body', missing ?? extra].filter(Boolean).join('.');
    const message = extra ? `unknown property "${extra}"` : (error.message ?? 'is invalid');
    return { path, message };
  });
}

/** Query parameters declared as arrays: a single value is wrapped, as openapi-backend does. */
function arrayQueryNames(operation: Operation): Set<string> {
  const names = new Set<string>();
  for (const parameter of operation.parameters ?? []) {
    if (!('$ref' in parameter) && parameter.in === 'query' && (parameter.schema as { type?: string } | undefined)?.type === 'array') {
      names.add(parameter.name);
    }
  }
  return names;
}

interface RequestInput {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  header: Record<string, unknown>;
  cookie: Record<string, unknown>;
  requestBody?: unknown;
}

type CompiledValidator = ((data: RequestInput) => boolean) & { errors?: ErrorObject[] | null; schema?: { properties?: Record<string, unknown> } };

/**
 * Validates with openapi-backend's precompiled ajv validators, fed directly: its own
 * validateRequest re-parses the request with lodash deep clones on every call (a fifth of the
 * CPU of a small authenticated request). Coercion (coerceTypes) happens in place, so the
 * handler receives typed path and query values.
 */
function validateInput(contract: Contract, operation: Operation, input: RequestInput, bodyReadLater: boolean): ErrorDetail[] {
  // An operation without parameters or body has nothing a request could get wrong.
  if (!operation.requestBody && !operation.parameters?.length) return [];
  const validators = (contract.api.validator.getRequestValidatorsForOperation(operation.operationId!) ?? []) as CompiledValidator[];
  const errors: ErrorObject[] = [];
  for (const validate of validators) {
    if (bodyReadLater && validate.schema?.properties?.requestBody) continue;
    if (!validate(input) && validate.errors) errors.push(...validate.errors);
  }
  return errors.length ? validationDetails(errors) : [];
}

export function validateRequestStage(contract: Contract) {
  const arrays = new Map<Operation, Set<string>>();
  const arrayNames = (operation: Operation) => {
    let names = arrays.get(operation);
    if (!names) arrays.set(operation, (names = arrayQueryNames(operation)));
    return names;
  };
  return async function validateRequestStage(ctx: Context, next: Next) {
    const { operation, params } = matchedOperation(ctx);
    const body = (ctx.request as { body?: unknown }).body;
    // Before validation and any handler (POST /auth and /deauth included): text no database can
    // store never reaches Prisma. Headers need no check: Node reads them as bytes (latin1), so
    // they hold neither NUL nor surrogates; JSON inside a query parameter is checked once parsed.
    const unstorable = findUnstorable(params, 'path') ?? findUnstorable(ctx.query, 'query') ?? findUnstorable(body, 'body');
    if (unstorable) throw Errors.invalidCharacter(unstorable);
    const query: Record<string, unknown> = { ...ctx.query };
    for (const name of arrayNames(operation)) if (typeof query[name] === 'string') query[name] = [query[name]];
    const input: RequestInput = { path: { ...params }, query, header: ctx.headers, cookie: {} };
    if (operation.requestBody && body !== undefined) input.requestBody = body;
    // A multipart body is read by its handler after its checks (the upload stage's reader).
    const readUploads = ctx.state.readUploads as ReadUploads | undefined;
    const details = validateInput(contract, operation, input, readUploads !== undefined);
    if (details.length) throw Errors.validationFailed(undefined, { details });
    ctx.state.validated = { params: input.path, query: input.query, body, readUploads, headers: ctx.headers } satisfies ValidatedInput;
    await next();
  };
}

/** The validate stage's result, for dispatch. */
export function validatedInput(ctx: Context): ValidatedInput {
  const validated = ctx.state.validated as ValidatedInput | undefined;
  if (!validated) throw new Error('the validate stage has not run for this request');
  return validated;
}
