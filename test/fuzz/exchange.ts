// One fuzz request on the wire (written from its parts, sent raw with node:http so malformed
// transport is possible) and the checks on its answer: no 5xx, a status and body the contract
// documents (the contract test helper), `message` and `code` on every 4xx, and no 2xx to a
// request whose key may not act, lacks the operation's permission or names another tenant's rows.
import { request as httpRequest } from 'node:http';
import { matchRequest } from '../../src/http/match-operation.ts';
import { AppError } from '../../src/errors/define-error.ts';
import type { Contract } from '../../src/http/contract.ts';
import { assertMatchesContract, ContractViolation } from '../helpers/contract.ts';
import { fillTemplate } from './contract-operations.ts';
import { toJsonText, type RequestParts } from './hostile.ts';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: unknown;
  /** No answer (reset, timeout): itself a problem. */
  error?: string;
}

/** What the request's key may do: whether it is live for the request's tenant, and its permissions. */
export interface Expectation {
  keyValid: boolean;
  permissions: ReadonlySet<string>;
  /** The path names rows of another tenant than the one the request's host selects. */
  crossTenant: boolean;
}

export interface Problem {
  kind: string;
  message: string;
}

/** encodeURIComponent, but a lone surrogate goes out as its (invalid) UTF-8-like bytes. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value].map((ch) => (/[\ud800-\udfff]/.test(ch) ? `%${[0xed, 0xa0 | ((ch.charCodeAt(0) >> 6) & 0x1f), 0x80 | (ch.charCodeAt(0) & 0x3f)].map((b) => b.toString(16)).join('%')}` : encodeURIComponent(ch))).join('');
  }
}

function multipart(body: unknown): { type: string; bytes: Buffer } {
  const boundary = 'fuzzboundary7MA4YWxkTrZu0gW';
  const parts: Buffer[] = [];
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.entries(body) : [['file', body]];
  for (const [name, value] of fields) {
    const values = Array.isArray(value) ? value : [value];
    values.forEach((content, i) => {
      const text = typeof content === 'string' ? content : toJsonText(content);
      const fileName = name === 'file' ? (typeof content === 'string' && content && content.length < 200 ? content : `f${i}.txt`) : null;
      const disposition = `form-data; name="${encode(String(name))}"${fileName === null ? '' : `; filename="${fileName.replace(/["\r\n]/g, encodeURIComponent)}"`}`;
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`));
    });
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { type: `multipart/form-data; boundary=${boundary}`, bytes: Buffer.concat(parts) };
}

export function writeRequest(template: string, parts: RequestParts): FuzzRequest {
  const values = Object.fromEntries(Object.entries(parts.path).map(([k, v]) => [k, encode(v)]));
  const path = fillTemplate(template, { ...values, ...parts.encoded });
  const query = parts.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  const headers = { ...parts.headers };
  let body = parts.raw;
  if (!body && parts.body !== undefined && parts.mediaType) {
    if (parts.mediaType === 'multipart/form-data') {
      const encoded = multipart(parts.body);
      headers['content-type'] = encoded.type;
      body = encoded.bytes;
    } else if (parts.mediaType === 'application/x-www-form-urlencoded') {
      const flat = typeof parts.body === 'object' && parts.body !== null ? Object.entries(parts.body) : [['value', parts.body]];
      headers['content-type'] = parts.mediaType;
      body = Buffer.from(flat.map(([k, v]) => `${encode(String(k))}=${encode(typeof v === 'string' ? v : toJsonText(v))}`).join('&'));
    } else {
      headers['content-type'] = parts.mediaType;
      body = Buffer.from(toJsonText(parts.body));
    }
  }
  // Node's client frames a GET body only when told its length (else the bytes read as a second request).
  if (body) headers['content-length'] = String(body.length);
  return { method: parts.method, path: query ? `${path}?${query}` : path, headers, body };
}

/** One connection per request: a malformed request (or Node's 431) closing its socket cannot reset the next. */
export function send(baseUrl: string, req: FuzzRequest, timeoutMs = 20_000): Promise<FuzzResponse> {
  return new Promise((resolve) => {
    const failed = (error: Error) => resolve({ status: 0, headers: {}, text: '', body: undefined, error: `${error.name}: ${error.message}` });
    let outgoing;
    try {
      outgoing = httpRequest(new URL(req.path, baseUrl), { method: req.method, headers: req.headers, timeout: timeoutMs, agent: false }, (res) => {
        const headersOf = () => Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
        // An event stream never ends by itself (its heartbeats keep the socket busy): its status
        // and headers are the answer; the connection is closed once they have arrived.
        if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          resolve({ status: res.statusCode ?? 0, headers: headersOf(), text: '', body: undefined });
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', failed);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = headersOf();
          let body: unknown = text;
          if ((headers['content-type'] ?? '').includes('json') && text) {
            try {
              body = JSON.parse(text);
            } catch (error) {
              return resolve({ status: res.statusCode ?? 0, headers, text, body: text, error: `unparseable JSON body: ${(error as Error).message}` });
            }
          }
          resolve({ status: res.statusCode ?? 0, headers, text, body });
        });
      });
    } catch (error) {
      return failed(error as Error);
    }
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    outgoing.on('error', failed);
    outgoing.end(req.body);
  });
}

/** Every rule the answer breaks (none: a good answer). */
export async function problemsOf(contract: Contract, req: FuzzRequest, res: FuzzResponse, expect: Expectation): Promise<Problem[]> {
  if (res.error && res.status === 0) return [{ kind: 'no answer', message: res.error }];
  const problems: Problem[] = [];
  if (res.error) problems.push({ kind: 'bad body', message: res.error });
  const pathname = new URL(req.path, 'http://x').pathname;
  let operation;
  try {
    operation = matchRequest(contract, req.method, pathname).operation;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
  }
  const policy = operation ? contract.policies.get(operation.operationId!)! : null;
  const documented = Object.keys(operation?.responses ?? {});
  if (res.status >= 500 && !(res.status === 501 && documented.includes('501'))) problems.push({ kind: '5xx', message: `answered ${res.status}` });
  try {
    await assertMatchesContract({ method: req.method, path: pathname, status: res.status, headers: res.headers, body: res.body });
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error;
    problems.push({ kind: 'contract', message: error.message.slice(0, 600) });
  }
  const body = res.body as { message?: unknown; code?: unknown } | null;
  // A HEAD answer has no body to carry them.
  if (res.status >= 400 && res.status < 500 && req.method !== 'HEAD' && (typeof body?.message !== 'string' || typeof body?.code !== 'string')) {
    problems.push({ kind: '4xx without message and code', message: res.text.slice(0, 200) || '(empty body)' });
  }
  if (res.status >= 200 && res.status < 300 && policy) {
    if (policy.access !== 'public' && policy.access !== 'key-optional') {
      if (!expect.keyValid) problems.push({ kind: 'auth bypass', message: `${policy.operationId} (${policy.access}) answered ${res.status} without a valid key` });
      else if (!expect.permissions.has('useApi') || (policy.access !== 'useApi' && !expect.permissions.has(policy.access))) {
        problems.push({ kind: 'permission bypass', message: `${policy.operationId} needs ${policy.access}; the key's user lacks it` });
      }
    }
    if (expect.crossTenant) problems.push({ kind: 'tenant leak', message: `${policy.operationId} answered ${res.status} for another tenant's row` });
  }
  return problems;
}
