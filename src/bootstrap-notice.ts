// The one-time notice printed when the root tenant and its operator were just created.
import type { BootstrapResult } from './domain/identity/bootstrap.ts';

export function bootstrapNotice({ tenantSlug, adminEmail, adminPassword, apiKey }: BootstrapResult, url: string | null): string {
  return [
    '',
    '  First start: created the root tenant and its operator.',
    `  tenant:   ${tenantSlug} (answers every host not mapped to another tenant)`,
    `  login:    ${adminEmail}`,
    `  password: ${adminPassword ?? '(from ADMIN_PASSWORD)'}`,
    `  API key:  ${apiKey}`,
    ...(url ? [`  Try:      curl -H 'key: ${apiKey}' ${url}/api/v1/app/user.current`] : []),
    '',
  ].join('\n');
}
