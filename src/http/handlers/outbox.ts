// The operators' view of mail and SMS: the outbox (the delivery itself when nothing is
// configured), the account audit, and a test mail through the same outbox.
import { Errors } from '../../errors/registry.ts';
import { projectAuditEntry, projectOutboxMessage } from '../../projection/delivery.ts';
import type { Services } from '../../services.ts';
import type { OperationHandler } from '../types.ts';

export const listOutboxMessages: OperationHandler<'listOutboxMessages'> = async ({ query }, { services, tenant, principal }) => {
  const page = await services.outbox.readPage(tenant.id, { ...query, limit: query.limit ?? 50, offset: query.offset ?? 0 });
  const modes = services.delivery.modes();
  return {
    status: 200,
    body: {
      delivery: { mail: modes.mail === 'transport' ? 'smtp' : 'outbox', sms: modes.sms === 'transport' ? 'webhook' : 'outbox' },
      total: page.total,
      data: page.messages.map((m) => projectOutboxMessage(m, principal.timeZone)),
    },
  };
};

export const listAccountAudit: OperationHandler<'listAccountAudit'> = async ({ query }, { services, tenant, principal }) => {
  const page = await services.accountAudit.readPage(tenant.id, { ...query, limit: query.limit ?? 50, offset: query.offset ?? 0 });
  return { status: 200, body: { total: page.total, data: page.entries.map((e) => projectAuditEntry(e, principal.timeZone)) } };
};

export const sendTestMail: OperationHandler<'sendTestMail'> = async ({ body }, { services, tenant, principal, ip }) => {
  const id = await services.unitOfWork.write((_tx, work) =>
    services.outbox.enqueueMail(work, {
      tenantId: tenant.id,
      userId: principal.userId,
      to: body.to,
      subject: `Test mail from ${tenant.name}`,
      text: `This is a test mail sent by ${principal.login} through the jetstack-api outbox of tenant "${tenant.name}". If you read it, mail delivery works.`,
      purpose: 'test',
    }, { ip }),
  );
  return { status: 201, body: await readQueued(services, tenant.id, id, principal.timeZone) };
};

export const sendTestSms: OperationHandler<'sendTestSms'> = async ({ body }, { services, tenant, principal, ip }) => {
  const id = await services.unitOfWork.write((_tx, work) =>
    services.outbox.enqueueSms(work, {
      tenantId: tenant.id,
      userId: principal.userId,
      to: body.to,
      text: `Test SMS from ${tenant.name} (jetstack-api): SMS delivery works.`,
      purpose: 'test',
    }, { ip }),
  );
  return { status: 201, body: await readQueued(services, tenant.id, id, principal.timeZone) };
};

/** The message a test send just queued, as the outbox lists it. */
async function readQueued(services: Services, tenantId: number, id: number, timeZone: string) {
  const row = await services.outbox.readOne(tenantId, id);
  if (!row) throw Errors.notFound({ what: 'Outbox message', id });
  return projectOutboxMessage(row, timeZone);
}
