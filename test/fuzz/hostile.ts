// Hostile inputs and the mutations that put them into an otherwise valid request: wrong types,
// missing fields, huge and deep values, lone surrogates, NUL, numbers at and past the safe
// range, prototype names, SQL and path-traversal text, and malformed transport (bad JSON,
// corrupt Content-Encoding, odd media types and charsets, duplicated query keys, huge headers).
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

/** A JSON number JavaScript cannot hold (1e400, 2^64…), written into the body text as is. */
const raw = (text: string) => `\u0001raw:${text}`;

export function toJsonText(value: unknown): string {
  return JSON.stringify(value)?.replace(/"\\u0001raw:([^"]*)"/g, '$1') ?? 'undefined';
}

function nested(depth: number, leaf: unknown, asArray: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

// Grouped so that each kind is drawn as often as the others (prototype names are few but matter).
const STRING_KINDS: Record<string, string[]> = {
  size: ['', ' ', '\t\n', 'a'.repeat(5_000), 'é'.repeat(70_000)],
  unicode: ['\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\udbff\udbff', '\ufeffbom', '\u202egnp.exe', '🤖'.repeat(300), 'Ｉｎｔｅｒｎａｌ', 'İı'],
  prototype: ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'],
  injection: ["' OR '1'='1", "1'; DROP TABLE \"Item\"; --", '1 UNION SELECT * FROM "User"', '%', '_', '\\', '"', "'", '`', '$1', '?', '${7*7}', '{{7*7}}', '<script>alert(1)</script>', 'javascript:alert(1)', 'a\r\nSet-Cookie: x=1'],
  path: ['../../../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd', 'a/../../b', 'CON', '.', '..', '~'],
  numeric: ['NaN', 'Infinity', '-Infinity', '-0', '1e308', '1e400', '9007199254740992', '9007199254740993', '-9007199254740993', '2147483647', '2147483648', '-2147483649', '18446744073709551616', '0x1F', '1.5', ' 1', '1 ', '+1', '00001', '1,2', '[]', '{}', 'null', 'true', 'undefined'],
  dates: ['2026-13-45', '0000-00-00T00:00:00Z', '9999-12-31T23:59:59+14:00', '2026-02-30', 'yesterday', '-271821-04-20', '+275760-09-13T00:00:00Z'],
};

const VALUE_KINDS: Record<string, unknown[]> = {
  numbers: [0, -1, -0, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, 5e-324, 1e21, raw('1e400'), raw('-1e400'), raw('1e-400'), raw('123456789012345678901234567890'), raw('9007199254740993')],
  shapes: [null, true, false, [], {}, [null], [[]], [{}], ['a', 1, null, true]],
  big: [Array.from({ length: 40_000 }, (_, i) => i + 1), Array.from({ length: 2_000 }, () => 'x'.repeat(20)), nested(2_000, 1, true), nested(2_000, 1, false), nested(60, 'deep', false)],
  prototype: [JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'), { toString: 'x', valueOf: 1, hasOwnProperty: null }],
};

export const hostileString = fc.oneof(...Object.values(STRING_KINDS).map((kind) => fc.constantFrom(...kind)));
export const hostileValue = fc.oneof({ weight: 3, arbitrary: hostileString }, ...Object.values(VALUE_KINDS).map((kind) => ({ weight: 1, arbitrary: fc.constantFrom(...kind) })));

/** What a request is made of before it is written; mutations change one part. */
export interface RequestParts {
  method: string;
  /** Path parameter values, not yet encoded; `encoded` ones are sent as they are. */
  path: Record<string, string>;
  encoded: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string | string[]>;
  body?: unknown;
  mediaType?: string;
  /** A body written as is (transport cases), with its content type in `headers`. */
  raw?: Buffer;
}

const MALFORMED_JSON = ['{', '{"a":}', '[1,]', "{'a':1}", 'NaN', '{"a":1}{"b":2}', '{"a":"\\x41"}', '{"a":"\\ud800"}', '"\\udc00"', '\u0000', '{"a":1,"a":2}', ' '];
const ODD_TYPES = ['text/plain', 'application/xml', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json; charset=x-nope', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/*', ';;;', 'application/vnd.api+json', 'application/json-patch+json'];
const CORRUPT_BYTES = [Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), Buffer.from('{"a":"\u00e9"}', 'latin1')];

/** Bodies whose Content-Encoding lies, is corrupt or unknown. */
function encodedBodies(json: string): [string, Buffer][] {
  const body = Buffer.from(json);
  return [
    ['gzip', Buffer.from('definitely not gzip')],
    ['gzip', gzipSync(body).subarray(0, 12)],
    ['deflate', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0x00])],
    ['br', Buffer.from([0x1b, 0xff, 0xff, 0xff])],
    ['br', brotliCompressSync(body).subarray(1)],
    ['gzip, deflate', gzipSync(body)],
    ['zstd', body],
    ['identity', body],
    ['deflate', deflateSync(Buffer.alloc(3_000_000, 32))],
  ];
}

// `sharpField` three times: it aims the values that broke code before at the fields that exist.
const VALUE_MUTATIONS = ['sharpField', 'sharpField', 'sharpField', 'bodyField', 'bodyFieldDrop', 'bodyWhole', 'bodyExtraField', 'query', 'queryDuplicate', 'queryUnknown', 'pathParam', 'pathRaw'] as const;
/** Prototype names, lone surrogates, NUL and numbers at and past the safe range. */
export const SHARP: unknown[] = ['constructor', '__proto__', 'toString', 'hasOwnProperty', '\ud800', 'a\udc00', '\u0000', raw('1e400'), raw('9007199254740993'), 2 ** 53, 1e308, -1e308, Array.from({ length: 33_000 }, (_, i) => i + 1)];
// In a URL a long list only meets Node's 64 KiB head limit (431): its sharp form is in bodies.
const asText = (value: unknown) => (typeof value === 'string' ? value.replace(/^\u0001raw:/, '') : Array.isArray(value) ? value.slice(0, 50).join(',') : String(value));
const TRANSPORT_MUTATIONS = ['malformedJson', 'corruptBytes', 'contentType', 'contentEncoding', 'hugeBody', 'hugeHeader', 'oddHost', 'method'] as const;
export type MutationKind = (typeof VALUE_MUTATIONS)[number] | (typeof TRANSPORT_MUTATIONS)[number];

const mutationOf = (kinds: readonly MutationKind[]) => fc.record({ kind: fc.constantFrom(...kinds), pick: fc.nat(10_000), value: hostileValue, text: hostileString });
/** Changes of values: parameters, fields, the body's shape. */
export const valueMutation = mutationOf(VALUE_MUTATIONS);
/** Changes of the transport: body bytes, media type, encoding, headers, method. */
export const transportMutation = mutationOf(TRANSPORT_MUTATIONS);
export type Mutation = typeof valueMutation extends fc.Arbitrary<infer T> ? T : never;

/** JSON paths into a value (objects and arrays, a few levels down). */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length > 4 || typeof value !== 'object' || value === null) return out;
  for (const [key, child] of Object.entries(value).slice(0, 20)) {
    const at = [...prefix, Array.isArray(value) ? Number(key) : key];
    out.push(at);
    pathsOf(child, at, out);
  }
  return out;
}

function setAt(root: unknown, at: (string | number)[], value: unknown, drop = false): unknown {
  // JSON, not structuredClone: the 2,000-deep values overflow structuredClone's stack.
  const copy = JSON.parse(JSON.stringify(root)) as Record<string | number, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  if (drop) delete node[at[at.length - 1]];
  else Object.defineProperty(node, at[at.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const pickFrom = <T>(list: T[], pick: number): T => list[pick % list.length];

/** Where `sharpField` can aim: each query entry, path parameter and body field of `parts`. */
export function sharpTargets(parts: RequestParts) {
  return [...parts.query.map((_, i) => ['query', i] as const), ...Object.keys(parts.path).map((name) => ['path', name] as const), ...pathsOf(parts.body).map((at) => ['body', at] as const)];
}

/** `parts` with one hostile change; `queryNames` are the operation's declared query parameters. */
export function mutate(parts: RequestParts, m: Mutation, queryNames: string[]): RequestParts {
  const next: RequestParts = { ...parts, path: { ...parts.path }, encoded: { ...parts.encoded }, query: [...parts.query], headers: { ...parts.headers } };
  const pathNames = Object.keys(parts.path);
  const jsonText = toJsonText(parts.body ?? {});
  const rawBody = (bytes: Buffer, type = 'application/json') => {
    next.raw = bytes;
    next.headers['content-type'] = type;
  };
  switch (m.kind) {
    case 'bodyField': {
      const paths = pathsOf(parts.body);
      if (paths.length) next.body = setAt(parts.body, pickFrom(paths, m.pick), m.value);
      else next.body = m.value;
      break;
    }
    case 'sharpField': {
      // One existing query parameter, path parameter or body field (any depth) gets a sharp value.
      const targets = sharpTargets(parts);
      if (!targets.length) break;
      const sharp = pickFrom(SHARP, Math.floor(m.pick / targets.length));
      const [where, at] = pickFrom(targets, m.pick);
      if (where === 'query') next.query[at] = [next.query[at][0], asText(sharp)];
      else if (where === 'path') next.path[at] = asText(sharp);
      else next.body = setAt(parts.body, at, sharp);
      break;
    }
    case 'bodyFieldDrop': {
      const paths = pathsOf(parts.body);
      if (paths.length) next.body = setAt(parts.body, pickFrom(paths, m.pick), undefined, true);
      break;
    }
    case 'bodyWhole':
      next.body = m.value;
      break;
    case 'bodyExtraField':
      next.body = setAt(typeof parts.body === 'object' && parts.body !== null ? parts.body : {}, [m.text], m.value);
      break;
    case 'query':
      next.query = next.query.filter(([name]) => name !== pickFrom(queryNames.length ? queryNames : ['q'], m.pick));
      next.query.push([pickFrom(queryNames.length ? queryNames : ['q'], m.pick), m.text]);
      break;
    case 'queryDuplicate': {
      const name = pickFrom(queryNames.length ? queryNames : ['page'], m.pick);
      next.query.push([name, m.text], [name, String(m.pick)]);
      break;
    }
    case 'queryUnknown':
      next.query.push([m.text || '__proto__', String(m.pick)], ['__proto__[x]', '1'], ['constructor', 'x']);
      break;
    case 'pathParam':
      if (pathNames.length) next.path[pickFrom(pathNames, m.pick)] = m.text;
      break;
    case 'pathRaw':
      if (pathNames.length) next.encoded[pickFrom(pathNames, m.pick)] = pickFrom(['%', '%%', '%zz', '%00', '%2e%2e', '..%2f..%2fetc', '%C0%AE', '%ED%A0%80', '%FF', '%F0%9F', '%2F', '+'], m.pick);
      break;
    case 'malformedJson':
      rawBody(Buffer.from(pickFrom(MALFORMED_JSON, m.pick)));
      break;
    case 'corruptBytes':
      rawBody(pickFrom(CORRUPT_BYTES, m.pick));
      break;
    case 'contentType':
      rawBody(Buffer.from(jsonText), pickFrom(ODD_TYPES, m.pick));
      break;
    case 'contentEncoding': {
      const [encoding, bytes] = pickFrom(encodedBodies(jsonText), m.pick);
      rawBody(bytes);
      next.headers['content-encoding'] = encoding;
      break;
    }
    case 'hugeBody':
      rawBody(Buffer.from(toJsonText({ x: 'y'.repeat(1_100_000) })));
      break;
    case 'hugeHeader':
      next.headers[pickFrom(['x-filler', 'key', 'cookie', 'user-agent'], m.pick)] = 'h'.repeat(pickFrom([9_000, 17_000, 70_000], m.pick));
      break;
    case 'oddHost':
      next.headers.host = pickFrom(['', 'UNKNOWN.EXAMPLE', 'a..b', '[::1]:99999', '..', 'x'.repeat(300), 'localhost:0', 'exa mple'], m.pick);
      break;
    case 'method':
      next.method = pickFrom(['HEAD', 'OPTIONS', 'SEARCH', 'QUERY', 'PROPFIND', 'TRACE', 'PURGE'], m.pick);
      break;
  }
  return next;
}
