// The outbox and its worker inside a running server: a mail enqueued in a write is delivered over
// real SMTP after commit, never for a write that rolled back, retried when the server refuses and
// delivered once; with no transport it stays in the outbox (status stored) with its body.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startMailSink, type MailSink } from '../helpers/mail-sink.ts';
import { waitUntil } from '../helpers/expectations.ts';

const ROOT_TENANT = 1;

async function enqueue(server: TestServer, to: string, options: { fail?: boolean } = {}) {
  const { unitOfWork, outbox } = server.running.services;
  return unitOfWork.write(async (_tx, work) => {
    const id = await outbox.enqueueMail(work, { tenantId: ROOT_TENANT, userId: null, to, subject: 'Your code', text: 'code 123456', purpose: 'test' }, { ip: '127.0.0.9' });
    if (options.fail) throw new Error('the write fails after enqueueing');
    return id;
  });
}

describe('outbox: mail enqueued in a write', function () {
  this.timeout(60_000);

  describe('with SMTP_URL set', () => {
    let sink: MailSink;
    let server: TestServer;
    before(async () => {
      sink = await startMailSink();
      server = await startTestServer({ SMTP_URL: sink.url, MAIL_FROM: 'Jetstack <no-reply@example.test>', DELIVERY_RETRY_BASE_MS: '100', DELIVERY_POLL_MS: '100' });
    });
    after(async () => {
      await server?.stop();
      await sink?.close();
    });

    it('is delivered over SMTP after commit, its body then erased from the row', async () => {
      const id = await enqueue(server, 'first@example.test');
      const mail = await sink.waitFor('first@example.test');
      expect(mail.subject).to.equal('Your code');
      expect(mail.text.trim()).to.equal('code 123456');
      expect(mail.from).to.equal('no-reply@example.test');
      const db = server.running.services.database.prisma;
      const row = await waitUntil(() => db.outboxMessage.findUniqueOrThrow({ where: { id } }), (r) => r.status === 'sent');
      expect(row).to.include({ status: 'sent', attempts: 1, text: null, html: null });
      const events = await db.accountAuditEntry.findMany({ where: { tenantId: ROOT_TENANT }, orderBy: { id: 'asc' } });
      expect(events.map((e) => [e.event, e.method, e.ip])).to.deep.include.members([['send', 'mail', '127.0.0.9'], ['delivered', 'mail', null]]);
      expect(events.map((e) => e.detail).join()).not.to.include('123456');
    });

    it('is never sent when the write rolls back', async () => {
      let failed = false;
      await enqueue(server, 'rolled-back@example.test', { fail: true }).catch(() => (failed = true));
      expect(failed).to.equal(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sink.messagesTo('rolled-back@example.test')).to.have.length(0);
      const rows = await server.running.services.database.prisma.outboxMessage.count({ where: { destination: 'rolled-back@example.test' } });
      expect(rows).to.equal(0);
    });

    it('is retried when the SMTP server refuses with 451, and delivered exactly once', async () => {
      sink.refuseNext(2);
      const id = await enqueue(server, 'retried@example.test');
      await sink.waitFor('retried@example.test');
      const db = server.running.services.database.prisma;
      const row = await waitUntil(() => db.outboxMessage.findUniqueOrThrow({ where: { id } }), (r) => r.status === 'sent');
      expect(row.status).to.equal('sent');
      expect(row.attempts).to.equal(3);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sink.messagesTo('retried@example.test')).to.have.length(1);
      const failures = await db.accountAuditEntry.count({ where: { event: 'send_failed', detail: { contains: `"outboxId":${id},` } } });
      expect(failures).to.equal(2);
    });
  });

  describe('with nothing configured', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => server?.stop());

    it('keeps the message in the outbox, status stored, body kept', async () => {
      const id = await enqueue(server, 'kept@example.test');
      const row = await server.running.services.database.prisma.outboxMessage.findUniqueOrThrow({ where: { id } });
      expect(row).to.include({ status: 'stored', attempts: 0, text: 'code 123456', channel: 'mail', destination: 'kept@example.test', purpose: 'test' });
    });
  });
});
