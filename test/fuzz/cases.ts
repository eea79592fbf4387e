// Seeded fuzz cases of one operation: valid requests built from its parameters and body schema
// (item bodies from the tenant's own schema of the collection in the path), then hostile ones:
// a valid request with one mutation, sent with any key, valid or not.
import fc from 'fast-check';
import type { FuzzOperation, JsonSchema } from './contract-operations.ts';
import type { AuthVariant, Fixture, PathTuple } from './fixture.ts';
import { hostileValue, mutate, transportMutation, valueMutation, type Mutation, type RequestParts } from './hostile.ts';
import { valueArbitrary } from './schema-arbitrary.ts';

export interface FuzzCase {
  parts: RequestParts;
  auth: AuthVariant;
  tuple: PathTuple | null;
  mutations: Mutation[];
  /** Hinted fields drew hostile values too (hostile cases by values). */
  hostileHints: boolean;
}

const ITEM_BODIES = new Set(['createItem', 'replaceItem', 'patchItem']);

function queryArbitrary(operation: FuzzOperation, fixture: Fixture): fc.Arbitrary<[string, string][]> {
  const entries = operation.parameters
    .filter((p) => p.in === 'query')
    .map((p) => {
      const value = valueArbitrary(p.schema, fixture.hints, p.name).map((v): [string, string][] => (Array.isArray(v) ? v : [v]).map((one) => [p.name, typeof one === 'string' ? one : JSON.stringify(one)]));
      return p.required ? value : fc.option(value, { freq: 2, nil: [] as [string, string][] });
    });
  return fc.tuple(...entries).map((lists) => lists.flat());
}

/** A generated value as path text; an object (a hint can be a hostile one) as its JSON, never String()'s throw. */
const pathText = (value: unknown): string => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

function pathArbitrary(operation: FuzzOperation, fixture: Fixture, tuple: PathTuple | null): fc.Arbitrary<Record<string, string>> {
  const model: Record<string, fc.Arbitrary<string>> = {};
  for (const p of operation.parameters.filter((param) => param.in === 'path')) {
    model[p.name] = tuple?.values[p.name] !== undefined ? fc.constant(tuple.values[p.name]) : valueArbitrary(p.schema, fixture.hints, p.name).map(pathText);
  }
  return fc.record(model);
}

function bodyArbitrary(operation: FuzzOperation, fixture: Fixture, mediaType: string | undefined, path: Record<string, string>): fc.Arbitrary<unknown> {
  if (!operation.body || !mediaType) return fc.constant(undefined);
  let schema: JsonSchema = operation.body.mediaTypes[mediaType];
  if (ITEM_BODIES.has(operation.operationId)) schema = fixture.itemSchema(path.collection ?? '', operation.operationId === 'patchItem') ?? schema;
  let body = valueArbitrary(schema, fixture.hints);
  const hint = fixture.hints[`@${operation.operationId}`];
  if (hint) body = fc.oneof(hint, body);
  return operation.body.required ? body : fc.option(body, { freq: 4, nil: undefined });
}

function validParts(operation: FuzzOperation, fixture: Fixture): fc.Arbitrary<{ parts: RequestParts; tuple: PathTuple | null }> {
  const tuples = fixture.tuples(operation);
  // Mostly rows of the populated tenants; sometimes values from the schema alone (unknown ids).
  const tuple = tuples.length ? fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...tuples) }, { weight: 1, arbitrary: fc.constant(null) }) : fc.constant(null);
  const mediaTypes = Object.keys(operation.body?.mediaTypes ?? {});
  return tuple.chain((picked) =>
    fc
      .record({
        path: pathArbitrary(operation, fixture, picked),
        query: queryArbitrary(operation, fixture),
        mediaType: mediaTypes.length ? fc.constantFrom(...mediaTypes) : fc.constant(undefined),
      })
      .chain(({ path, query, mediaType }) =>
        bodyArbitrary(operation, fixture, mediaType, path).map((body) => ({
          tuple: picked,
          parts: { method: operation.method, path, encoded: {}, query, headers: {}, body, mediaType: body === undefined ? undefined : mediaType },
        })),
      ),
  );
}

const withAuth = (parts: RequestParts, auth: AuthVariant): RequestParts => ({ ...parts, headers: { ...auth.headers, ...parts.headers } });

/** Valid requests with valid keys, or (hostile) mutated ones with any key. */
export function caseArbitrary(operation: FuzzOperation, fixture: Fixture, hostile: boolean): fc.Arbitrary<FuzzCase> {
  const queryNames = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const valid = fc.constantFrom(...fixture.validAuths);
  if (!hostile) return fc.tuple(validParts(operation, fixture), valid).map(([{ parts, tuple }, auth]) => ({ parts: withAuth(parts, auth), auth, tuple, mutations: [], hostileHints: false }));
  // Hostile values also stand in for the hinted ones (orderBy, filter params, item fields…).
  const poisoned: Fixture = { ...fixture, hints: Object.fromEntries(Object.entries(fixture.hints).map(([name, hint]) => [name, fc.oneof({ weight: 2, arbitrary: hint }, { weight: 1, arbitrary: hostileValue })])) };
  const anyAuth = fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: fc.constantFrom(...fixture.invalidAuths) });
  // Values reach the handlers' code, transport cases mostly the shared stages: weigh them so,
  // and keep them apart so that a class of failure names its cause (`via hints+query`).
  const byValues = fc.tuple(validParts(operation, poisoned), anyAuth, fc.array(valueMutation, { maxLength: 2 })).map(([{ parts, tuple }, auth, mutations]) => ({
    parts: mutations.reduce((acc, m) => mutate(acc, m, queryNames), withAuth(parts, auth)),
    auth,
    tuple,
    mutations,
    hostileHints: true,
  }));
  const byTransport = fc.tuple(validParts(operation, fixture), anyAuth, transportMutation).map(([{ parts, tuple }, auth, mutation]) => ({
    parts: mutate(withAuth(parts, auth), mutation, queryNames),
    auth,
    tuple,
    mutations: [mutation],
    hostileHints: false,
  }));
  return fc.oneof({ weight: 2, arbitrary: byValues }, { weight: 1, arbitrary: byTransport });
}
