// Fixtures for account verification tests: a tenant whose envelope admits a domain, a role and
// a group; a registrar key; reading codes and links from received mail; and a clock moved by
// shifting a challenge's stored times into the past (the same on every process and database).
import { expect } from 'chai';
import type { TestServer } from './server.ts';
import { aTenant, type TestTenant } from './tenants.ts';
import { aRole, aUser, type TestUser } from './principals.ts';

export interface VerificationTenant {
  tenant: TestTenant;
  domain: string;
  apiRole: number;
  plainRole: number;
  group: number;
  registrar: TestUser;
}

let counter = 0;

export async function aVerificationTenant(server: TestServer, settings: Record<string, unknown> = {}): Promise<VerificationTenant> {
  const tenant = await aTenant(server);
  const opts = { key: tenant.admin.key, host: tenant.host };
  const domain = `reg${++counter}.example.com`;
  const apiRole = (await aRole(server, ['useApi', 'profile'], opts)).id;
  const plainRole = (await aRole(server, ['profile'], opts)).id;
  const group = await server.request('POST', '/api/v1/admin/groups', { ...opts, body: { name: `group-${counter}`, roles: [plainRole] } });
  expect(group.status, group.text).to.equal(201);
  const registrar = await aUser(server, ['useApi', 'apiUserRegistration'], opts);
  const patched = await server.request('PATCH', '/api/v1/admin/settings', {
    ...opts,
    body: { registrationEnvelope: { allowedDomains: [domain], allowedRoles: [apiRole, plainRole], allowedGroups: [group.body.id] }, ...settings },
  });
  expect(patched.status, patched.text).to.equal(200);
  return { tenant, domain, apiRole, plainRole, group: group.body.id, registrar };
}

export function codeIn(text: string): string {
  const match = /code \(valid \d+ minutes\): (\d{6,10})/.exec(text) ?? /^(\d{6,10}) is your/m.exec(text);
  expect(match, `no code in: ${text}`).to.not.equal(null);
  return match![1];
}

export function linkIn(text: string): URL {
  const match = /(https?:\/\/\S+\/api\/v1\/verify-account\?\S+)/.exec(text);
  expect(match, `no link in: ${text}`).to.not.equal(null);
  return new URL(match![1]);
}

/** Moves the challenge `seconds` into the past: its cooldown, its sends and its secrets' expiry. */
export async function rewind(server: TestServer, publicId: string, seconds: number): Promise<void> {
  const db = server.running.services.database.prisma;
  const challenge = await db.verificationChallenge.findUniqueOrThrow({ where: { publicId }, include: { secrets: true } });
  const back = (d: Date) => new Date(d.getTime() - seconds * 1000);
  await db.verificationChallenge.update({ where: { id: challenge.id }, data: { nextSendAt: back(challenge.nextSendAt), lastSentAt: back(challenge.lastSentAt) } });
  for (const secret of challenge.secrets) {
    await db.verificationSecret.update({ where: { id: secret.id }, data: { expiresAt: back(secret.expiresAt) } });
  }
}

let users = 0;
export const aLogin = (domain: string) => `person${++users}-${Date.now().toString(36)}@${domain}`;
