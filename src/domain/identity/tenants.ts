// Tenants: hosts, settings and their first operator. Managed from the root tenant.
import type { Db } from '../../store/database.ts';
import { Errors } from '../../errors/registry.ts';
import { hashPassword, randomToken } from '../../lib/crypto.ts';
import { isValidTimeZone } from '../../lib/dates.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { identityWrite } from './identity-write.ts';
import { SYSTEM_PERMISSIONS } from './permissions.ts';
import { assertOwnedIds } from './membership.ts';
import { mergePasswordResetSettings, parseNotificationSettings, parsePasswordResetSettings, parseVerificationSettings, passwordResetProblems, type NotificationSettings, type PasswordResetSettings, type RegistrationEnvelope, type TenantSettings, type VerificationSettings } from './tenant.ts';
import { mergeDeliverySettings, parseDeliverySettings, type DeliverySettingsInput } from '../../delivery/delivery-settings.ts';

/** The JSON settings (deliverySettings, passwordReset, verification, notifications) are merged over the stored ones: the fields given replace them. */
export type SettingsInput = Partial<Omit<TenantSettings, 'deliverySettings' | 'passwordReset' | 'verification' | 'notifications'>> & {
  notifications?: Partial<NotificationSettings>;
  deliverySettings?: DeliverySettingsInput;
  passwordReset?: Partial<PasswordResetSettings>;
  verification?: Partial<VerificationSettings>;
};

export interface TenantInput {
  slug?: string;
  name?: string;
  hosts?: string[];
  settings?: SettingsInput;
  admin?: { login: string; name?: string; password: string };
}

/** Every permission but manageTenants: what a tenant's own operator role carries. */
export const OPERATOR_PERMISSIONS = SYSTEM_PERMISSIONS.filter((p) => p !== 'manageTenants');

const WITH_HOSTS = { hosts: { orderBy: { host: 'asc' } } } as const;

/** The JSON settings columns a patch merges over: the fields given replace the stored ones. */
interface StoredSettings {
  deliverySettings: string;
  passwordResetSettings: string;
  verificationSettings: string;
  notificationSettings: string;
}

const NO_STORED_SETTINGS: StoredSettings = { deliverySettings: '{}', passwordResetSettings: '{}', verificationSettings: '{}', notificationSettings: '{}' };

function settingsData(settings: SettingsInput | undefined, stored: StoredSettings = NO_STORED_SETTINGS) {
  if (!settings) return {};
  if (settings.defaultTimeZone !== undefined && !isValidTimeZone(settings.defaultTimeZone)) {
    throw Errors.validationFailed(undefined, { details: [{ path: 'body.settings.defaultTimeZone', message: 'must be an IANA time zone' }] });
  }
  const { registrationEnvelope, verification, deliverySettings, passwordReset, notifications, ...rest } = settings;
  const resetProblems = passwordReset ? passwordResetProblems(passwordReset) : [];
  if (resetProblems.length) throw Errors.validationFailed(undefined, { details: resetProblems });
  return {
    ...rest,
    ...(notifications ? { notificationSettings: JSON.stringify({ ...parseNotificationSettings(stored.notificationSettings), ...notifications }) } : {}),
    ...(verification ? { verificationSettings: JSON.stringify({ ...parseVerificationSettings(stored.verificationSettings), ...verification }) } : {}),
    ...(registrationEnvelope ? { registrationEnvelope: JSON.stringify(registrationEnvelope satisfies RegistrationEnvelope) } : {}),
    ...(deliverySettings ? { deliverySettings: JSON.stringify(mergeDeliverySettings(parseDeliverySettings(stored.deliverySettings), deliverySettings)) } : {}),
    ...(passwordReset ? { passwordResetSettings: mergePasswordResetSettings(parsePasswordResetSettings(stored.passwordResetSettings), passwordReset) } : {}),
  };
}

export class Tenants {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly identity: IdentityResolver,
    /** What else goes with a deleted tenant (its stored files), once its deletion has committed. */
    private readonly afterDelete: (tenantId: number) => Promise<void> = async () => undefined,
  ) {}

  list() {
    return this.db.tenant.findMany({ include: WITH_HOSTS, orderBy: { id: 'asc' } });
  }

  async get(id: number) {
    const tenant = await this.db.tenant.findUnique({ where: { id }, include: WITH_HOSTS });
    if (!tenant) throw Errors.notFound({ what: 'Tenant', id });
    return tenant;
  }

  /** Creates the tenant, its hosts and, when asked, an operator role and user: all or nothing. */
  async create(input: TenantInput & { slug: string; name: string }, options: { isRoot?: boolean } = {}) {
    const settings = settingsData(input.settings);
    const envelope = input.settings?.registrationEnvelope;
    if (envelope?.allowedRoles.length || envelope?.allowedGroups.length) {
      // A new tenant has no roles or groups yet: any id would name another tenant's.
      throw Errors.validationFailed(undefined, {
        details: [{ path: 'body.settings.registrationEnvelope', message: 'a new tenant has no roles or groups to allow yet' }],
      });
    }
    const passwordHash = input.admin ? await hashPassword(input.admin.password) : null;
    return identityWrite(this.unitOfWork, this.identity, { hosts: true }, 'Tenant', async (tx) => {
      const created = await tx.tenant.create({
        data: {
          slug: input.slug,
          name: input.name,
          isRoot: options.isRoot ?? false,
          securityKey: randomToken(32),
          ...settings,
          hosts: { create: (input.hosts ?? []).map((host) => ({ host: host.toLowerCase() })) },
        },
      });
      if (input.admin) {
        const permissions = options.isRoot ? [...SYSTEM_PERMISSIONS] : OPERATOR_PERMISSIONS;
        const role = await tx.role.create({ data: { tenantId: created.id, name: 'Operator', permissions: JSON.stringify(permissions) } });
        await tx.user.create({
          data: {
            tenantId: created.id,
            login: input.admin.login.toLowerCase(),
            name: input.admin.name ?? 'Administrator',
            passwordHash,
            roles: { create: [{ roleId: role.id }] },
          },
        });
      }
      return tx.tenant.findUniqueOrThrow({ where: { id: created.id }, include: WITH_HOSTS });
    });
  }

  async update(id: number, input: TenantInput) {
    const current = await this.get(id);
    const settings = settingsData(input.settings, current);
    const envelope = input.settings?.registrationEnvelope;
    await assertOwnedIds(this.db, 'role', id, envelope?.allowedRoles, 'body.registrationEnvelope.allowedRoles');
    await assertOwnedIds(this.db, 'group', id, envelope?.allowedGroups, 'body.registrationEnvelope.allowedGroups');
    return identityWrite(this.unitOfWork, this.identity, { hosts: true, tenantId: id }, 'Tenant', async (tx) => {
      if (input.hosts) {
        await tx.tenantHost.deleteMany({ where: { tenantId: id } });
        await tx.tenantHost.createMany({ data: input.hosts.map((host) => ({ tenantId: id, host: host.toLowerCase() })) });
      }
      return tx.tenant.update({
        where: { id },
        data: { ...(input.name ? { name: input.name } : {}), ...settings },
        include: WITH_HOSTS,
      });
    });
  }

  async delete(id: number) {
    const tenant = await this.get(id);
    if (tenant.isRoot) throw Errors.badRequest({ message: 'The root tenant cannot be deleted' });
    await identityWrite(this.unitOfWork, this.identity, { hosts: true, tenantId: id }, 'Tenant', async (tx, work) => {
      await tx.tenant.delete({ where: { id } });
      work.afterCommit(() => this.afterDelete(id));
    });
  }
}
