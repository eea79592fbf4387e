// A self-contained HTML page describing the contract (no external assets: works offline).
import { escapeHtml } from '../lib/html.ts';
interface Schema { $ref?: string; type?: string | string[]; description?: string }
interface Parameter { name: string; in: string; required?: boolean; description?: string; schema?: Schema }
interface Operation {
  operationId: string; summary?: string; description?: string; tags?: string[];
  parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string }>; 'x-permission'?: string;
}
interface Document {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
}

const escape = escapeHtml;
const code = (text: string) => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\n\n/g, '<br><br>');
const schemaName = (schema?: Schema) => (schema?.$ref ? schema.$ref.split('/').pop() : schema?.type ? String(schema.type) : '');
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

export function renderDocsPage(document: Document): string {
  const sections = (document.tags ?? []).map((tag) => {
    const rows: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      const shared = (item.parameters as Parameter[] | undefined) ?? [];
      for (const method of METHODS) {
        const operation = item[method] as Operation | undefined;
        if (!operation?.tags?.includes(tag.name)) continue;
        const parameters = [...shared, ...(operation.parameters ?? [])]
          .map((p) => `<li><code>${escape(p.name)}</code> (${escape(p.in)}${p.required ? ', required' : ''}) ${code(p.description ?? '')}</li>`)
          .join('');
        const body = Object.entries(operation.requestBody?.content ?? {})
          .map(([type, media]) => `<code>${escape(type)}</code> ${escape(schemaName(media.schema))}`)
          .join(', ');
        const responses = Object.entries(operation.responses ?? {})
          .map(([status, response]) => `<li><b>${escape(status)}</b> ${escape(response.description)}</li>`)
          .join('');
        rows.push(`<article id="${escape(operation.operationId)}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>/api/v1${escape(path)}</code> — ${escape(operation.summary)}</h3>
<p>${code(operation.description ?? '')}</p>
<p class="meta">operationId <code>${escape(operation.operationId)}</code> · permission <code>${escape(operation['x-permission'])}</code></p>
${parameters ? `<h4>Parameters</h4><ul>${parameters}</ul>` : ''}
${body ? `<h4>Request body</h4><p>${body}</p>` : ''}
<h4>Responses</h4><ul>${responses}</ul>
</article>`);
      }
    }
    return `<section><h2>${escape(tag.name)}</h2><p>${code(tag.description ?? '')}</p>${rows.join('\n')}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(document.info.title)} ${escape(document.info.version)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1d232a}
code{background:#f1f3f5;padding:0 .25em;border-radius:3px}
article{border:1px solid #dde1e5;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
h3{font-size:1rem;margin:.5rem 0}.m{display:inline-block;min-width:4.2em;color:#fff;border-radius:3px;text-align:center;font-size:.8rem;padding:.1em .3em}
.get{background:#2b7a4b}.post{background:#1f5fa8}.put,.patch{background:#a86b1f}.delete{background:#a8321f}.meta{color:#5c6670;font-size:.85rem}
</style></head>
<body><h1>${escape(document.info.title)} <small>${escape(document.info.version)}</small></h1>
<p>${code(document.info.description ?? '')}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> · <a href="/api/v1/openapi.yaml">openapi.yaml</a></p>
${sections.join('\n')}
</body></html>`;
}
