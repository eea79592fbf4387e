// First start on an empty database: the root tenant, an operator user and a ready API key.
import type { Db } from '../../store/database.ts';
import { randomToken } from '../../lib/crypto.ts';
import { issueKey } from './api-keys.ts';
import type { Tenants } from './tenants.ts';
import { AppError } from '../../errors/define-error.ts';

export interface BootstrapResult {
  tenantSlug: string;
  adminEmail: string;
  /** Only when generated here: it is printed once and never stored in clear. */
  adminPassword: string | null;
  apiKey: string;
}

export async function bootstrapIfEmpty(
  db: Db,
  tenants: Tenants,
  admin: { email: string | null; password: string | null },
): Promise<BootstrapResult | null> {
  if ((await db.tenant.count()) > 0) return null;
  const adminEmail = (admin.email ?? 'admin@example.com').toLowerCase();
  const generatedPassword = admin.password ? null : randomToken(18);
  let tenant;
  try {
    tenant = await tenants.create(
      { slug: 'default', name: 'Default tenant', admin: { login: adminEmail, name: 'Administrator', password: admin.password ?? generatedPassword! } },
      { isRoot: true },
    );
  } catch (error) {
    // Another process starting on the same empty database won the race: it prints the key.
    if (error instanceof AppError && error.code === 'CONFLICT') return null;
    throw error;
  }
  const user = await db.user.findUniqueOrThrow({ where: { tenantId_login: { tenantId: tenant.id, login: adminEmail } } });
  const { keyString } = await issueKey(db, tenant.id, user.id, new Date('9999-12-31T00:00:00Z'), 'Created at first start');
  return { tenantSlug: tenant.slug, adminEmail, adminPassword: generatedPassword, apiKey: keyString };
}
