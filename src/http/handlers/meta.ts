// The contract served as JSON and YAML, and a readable HTML page rendered from it.
import type { OperationHandler } from '../types.ts';
import { renderDocsPage } from '../docs-page.ts';

let docsPage: string | null = null;

export const getOpenApiJson: OperationHandler<'getOpenApiJson'> = async (_input, scope) => ({
  status: 200,
  body: JSON.parse(scope.services.contract.jsonText) as Record<string, never>,
});

export const getOpenApiYaml: OperationHandler<'getOpenApiYaml'> = async (_input, scope) => ({
  status: 200,
  body: scope.services.contract.yamlText,
  contentType: 'application/yaml; charset=utf-8',
});

export const getApiDocs: OperationHandler<'getApiDocs'> = async (_input, scope) => {
  docsPage ??= renderDocsPage(JSON.parse(scope.services.contract.jsonText));
  return { status: 200, body: docsPage, contentType: 'text/html; charset=utf-8' };
};
