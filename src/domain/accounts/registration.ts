// user.register: a user inside the tenant's registration envelope, in one write with its
// verification challenge and the challenge's queued messages (all or nothing).
import type { Db } from '../../store/database.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import type { ApiKey } from '../../../generated/prisma-sqlite/client.ts';
import { Errors } from '../../errors/registry.ts';
import { hashPassword } from '../../lib/crypto.ts';
import { parseInstant } from '../../lib/dates.ts';
import { DEFAULT_KEY_VALID_TO, issueKey } from '../identity/api-keys.ts';
import type { IdentityResolver } from '../identity/identity-resolver.ts';
import { identityWrite } from '../identity/identity-write.ts';
import { assertMayAssignRoles, assertOwnedIds } from '../identity/membership.ts';
import { effectiveRoles, WITH_EFFECTIVE_ROLES } from '../identity/principal.ts';
import type { RegistrationEnvelope, TenantContext } from '../identity/tenant.ts';
import type { Challenges, ChallengeSpec } from './challenges.ts';

export interface RegistrationInput {
  user_id: string;
  user_name: string;
  roles?: number[];
  user_group?: number | number[];
  password?: string;
  verify_account?: { methods: ChallengeSpec['methods']; phone?: string; redirect_url?: string };
}

const WITH_MEMBERSHIP = { roles: { select: { roleId: true } }, groups: { select: { groupId: true } } } as const;

/** An absolute http(s) URL, or null. */
export function parseRedirectUrl(value: string): URL | null {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? url : null;
  } catch {
    return null;
  }
}

/** The first value outside the envelope, as its refusal; empty lists allow nothing. */
function assertInsideEnvelope(envelope: RegistrationEnvelope, login: string, roles: number[], groups: number[]): void {
  const domain = login.slice(login.lastIndexOf('@') + 1);
  if (!envelope.allowedDomains.some((d) => d.toLowerCase() === domain)) throw Errors.registrationDomainNotAllowed({ domain });
  const role = roles.find((r) => !envelope.allowedRoles.includes(r));
  if (role !== undefined) throw Errors.registrationRoleNotAllowed({ role });
  const group = groups.find((g) => !envelope.allowedGroups.includes(g));
  if (group !== undefined) throw Errors.registrationGroupNotAllowed({ group });
}

function challengeSpec(verify: RegistrationInput['verify_account']): ChallengeSpec | null {
  if (!verify) return null;
  const details: { path: string; message: string }[] = [];
  if (verify.methods.includes('sms_code') && !verify.phone) details.push({ path: 'body.verify_account.phone', message: 'is required with sms_code (E.164, e.g. +420777123456)' });
  if (!verify.methods.includes('sms_code') && verify.phone) details.push({ path: 'body.verify_account.phone', message: 'is only used with sms_code' });
  const redirect = verify.redirect_url === undefined ? undefined : parseRedirectUrl(verify.redirect_url);
  if (redirect === null) details.push({ path: 'body.verify_account.redirect_url', message: 'must be an absolute http or https URL' });
  if (redirect && !verify.methods.includes('mail_link')) details.push({ path: 'body.verify_account.redirect_url', message: 'is only used with mail_link (the link page forwards to it)' });
  if (details.length) throw Errors.validationFailed(undefined, { details });
  return { methods: verify.methods, phone: verify.phone, redirectUrl: redirect?.toString() };
}

export class Registration {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly identity: IdentityResolver,
    private readonly challenges: Challenges,
  ) {}

  envelope(tenant: TenantContext): RegistrationEnvelope {
    return tenant.settings.registrationEnvelope;
  }

  async register(tenant: TenantContext, input: RegistrationInput, ip: string) {
    const login = input.user_id.trim().toLowerCase();
    const roles = input.roles ?? [];
    const groups = input.user_group === undefined ? [] : Array.isArray(input.user_group) ? input.user_group : [input.user_group];
    assertInsideEnvelope(tenant.settings.registrationEnvelope, login, roles, groups);
    const spec = challengeSpec(input.verify_account);
    // The envelope was checked when it was set; a role or group deleted since is a 400 here.
    await assertOwnedIds(this.db, 'role', tenant.id, roles, 'body.roles');
    await assertOwnedIds(this.db, 'group', tenant.id, groups, 'body.user_group');
    await assertMayAssignRoles(this.db, tenant.id, roles, false);
    if (groups.length) {
      const groupRoles = await this.db.groupRole.findMany({ where: { groupId: { in: groups } }, select: { roleId: true } });
      await assertMayAssignRoles(this.db, tenant.id, groupRoles.map((g) => g.roleId), false);
    }
    const passwordHash = input.password ? await hashPassword(input.password) : null;

    return identityWrite(this.unitOfWork, this.identity, { tenantId: tenant.id }, 'User', async (tx, work) => {
      const user = await tx.user.create({
        data: {
          tenantId: tenant.id,
          login,
          name: input.user_name,
          passwordHash,
          verified: spec === null,
          roles: { create: roles.map((roleId) => ({ roleId })) },
          groups: { create: groups.map((groupId) => ({ groupId })) },
        },
        include: WITH_MEMBERSHIP,
      });
      const challenge = spec ? await this.challenges.issue(work, tenant, user, spec, ip) : null;
      let key: { row: ApiKey; keyString: string; timeZone: string } | null = null;
      if (input.password && spec === null) {
        const withRoles = await tx.user.findUniqueOrThrow({ where: { id: user.id }, include: WITH_EFFECTIVE_ROLES });
        if (effectiveRoles(withRoles).permissions.has('useApi')) {
          const timeZone = user.timezone ?? tenant.settings.defaultTimeZone;
          const issued = await issueKey(tx as unknown as Db, tenant.id, user.id, parseInstant(DEFAULT_KEY_VALID_TO, timeZone)!, 'Registration');
          key = { ...issued, timeZone };
        }
      }
      return { user, key, challenge };
    });
  }
}
