// Handler typing from the generated contract: a handler's input and its success results
// come from `operations`, so a status or body the contract does not allow fails to compile.
import type { Readable } from 'node:stream';
import type { operations } from '../../generated/api.d.ts';
import type { ReadUploads } from '../domain/files/files-service.ts';
import type { Principal } from '../domain/identity/principal.ts';
import type { TenantContext } from '../domain/identity/tenant.ts';
import type { Services } from '../services.ts';

export type OperationId = keyof operations;
type Op<K extends OperationId> = operations[K];

type JsonOf<C> = C extends { content: infer Content }
  ? Content extends { 'application/json': infer B }
    ? B
    : Content extends { 'text/html': infer H }
      ? H
      : Content extends { 'application/yaml': infer Y }
        ? Y
        : Content extends { '*/*': unknown } | { 'text/event-stream': unknown }
          ? Readable
          : never
  : undefined;

type Params<K extends OperationId, Where extends 'path' | 'query'> = Op<K>['parameters'] extends { [W in Where]?: infer P }
  ? [P] extends [never] | [undefined]
    ? Record<string, never>
    : NonNullable<P>
  : Record<string, never>;

export type RequestBody<K extends OperationId> = Op<K> extends { requestBody: infer R }
  ? R extends { content: { 'application/json': infer B } }
    ? B
    : never
  : Op<K> extends { requestBody?: infer R }
    ? R extends { content: { 'application/json': infer B } }
      ? B | undefined
      : undefined
    : undefined;

// 303: the account pages' forwards; 304: an operation whose contract documents it answers its
// own conditional requests (notifications).
type SuccessStatus<K extends OperationId> = Extract<keyof Op<K>['responses'], 200 | 201 | 204 | 303 | 304>;

export type HandlerResult<K extends OperationId> = {
  [S in SuccessStatus<K>]: {
    status: S;
    body: JsonOf<Op<K>['responses'][S]>;
    headers?: Record<string, string>;
    contentType?: string;
  };
}[SuccessStatus<K>];

export interface HandlerInput<K extends OperationId> {
  params: Params<K, 'path'>;
  query: Params<K, 'query'>;
  body: RequestBody<K>;
  /** Reads the files of a multipart upload request (see http/upload.ts). */
  readUploads?: ReadUploads;
  /** The request headers (lower-case names), for operations that document header parameters. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Who asks, where, and the services to ask: all a handler may use. */
export interface RequestScope {
  tenant: TenantContext;
  /** Null only on operations whose x-permission is `public` or `key-optional`. */
  principal: Principal | null;
  requestId: string;
  ip: string;
  services: Services;
  /** The tenant's type-definition generation read for this request (null: shared store down). */
  generation: number | null;
}

export interface AuthedScope extends RequestScope {
  principal: Principal;
}

export type OperationHandler<K extends OperationId> = (input: HandlerInput<K>, scope: AuthedScope) => Promise<HandlerResult<K>>;

export type HandlerMap = { [K in OperationId]: OperationHandler<K> };

/** What the one response writer writes. */
export interface ResponseResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}
