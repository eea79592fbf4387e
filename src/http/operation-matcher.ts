// Request → operation, built once at boot from openapi-backend's operation list.
// openapi-backend's own matchOperation rebuilds its list and regexes on every request
// (toolchain notes: most of its cost); this does the same matching with the work done once:
// static paths by map lookup, templates by precompiled regexes, most specific first.
import { Errors } from '../errors/registry.ts';

export interface MatchableOperation {
  operationId?: string;
  path: string;
  method: string;
}

interface Template<O> {
  pattern: RegExp;
  names: string[];
  specificity: number;
  byMethod: Map<string, O>;
}

export interface Match<O> {
  operation: O;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw Errors.invalidPath({ segment: raw.slice(0, 100) });
  }
}

export class OperationMatcher<O extends MatchableOperation> {
  private readonly exact = new Map<string, Map<string, O>>();
  private readonly templates: Template<O>[] = [];
  private readonly byId = new Map<string, O>();

  constructor(
    operations: O[],
    private readonly apiRoot: string,
  ) {
    const templates = new Map<string, Template<O>>();
    for (const operation of operations) {
      if (operation.operationId) this.byId.set(operation.operationId, operation);
      if (!operation.path.includes('{')) {
        const methods = this.exact.get(operation.path) ?? new Map<string, O>();
        methods.set(operation.method, operation);
        this.exact.set(operation.path, methods);
        continue;
      }
      let template = templates.get(operation.path);
      if (!template) {
        const names: string[] = [];
        const source = operation.path
          .split(/(\{[^}]+\})/)
          .map((part) => {
            const name = /^\{([^}]+)\}$/.exec(part)?.[1];
            if (name) {
              names.push(name);
              return '([^/]+)';
            }
            return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('');
        template = { pattern: new RegExp(`^${source}$`), names, specificity: operation.path.replace(/\{[^}]+\}/g, '').length, byMethod: new Map() };
        templates.set(operation.path, template);
      }
      template.byMethod.set(operation.method, operation);
    }
    this.templates = [...templates.values()].sort((a, b) => b.specificity - a.specificity);
  }

  operationById(operationId: string): O {
    const operation = this.byId.get(operationId);
    if (!operation) throw new Error(`unknown operation ${operationId}`);
    return operation;
  }

  /** Throws ROUTE_NOT_FOUND, METHOD_NOT_ALLOWED or INVALID_PATH; `method` is lower case. */
  match(method: string, rawPath: string): Match<O> {
    // On every request: plain loops, no closures (tsx wraps each closure it creates).
    const path = this.relative(rawPath);
    if (path === null) throw Errors.routeNotFound({ method: method.toUpperCase(), path: rawPath });
    const exact = this.exact.get(path);
    if (exact) {
      const operation = exact.get(method);
      if (operation) return { operation, params: {} };
    }
    let pathMatched = exact !== undefined;
    for (const template of this.templates) {
      const found = template.pattern.exec(path);
      if (!found) continue;
      pathMatched = true;
      const operation = template.byMethod.get(method);
      if (!operation) continue;
      const params: Record<string, string> = {};
      for (let index = 0; index < template.names.length; index++) {
        params[template.names[index]] = decodeSegment(found[index + 1]);
      }
      return { operation, params };
    }
    if (pathMatched) throw Errors.methodNotAllowed({ method: method.toUpperCase(), path: rawPath });
    throw Errors.routeNotFound({ method: method.toUpperCase(), path: rawPath });
  }

  private relative(rawPath: string): string | null {
    const root = this.apiRoot.replace(/\/$/, '');
    if (rawPath !== root && !rawPath.startsWith(`${root}/`)) return null;
    let path = rawPath.slice(root.length) || '/';
    while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    return path;
  }
}
