// The delivery worker against a real database (SQLite; PostgreSQL when DATABASE_URL is set) with
// transports the test controls: a claimed row is sent once even when two workers race for it,
// a failure reschedules with doubling delays and gives up after the last attempt, and stop()
// waits for the send in progress and leaves later rows pending for another process.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { applyMigrations } from '../../../src/store/migrate.ts';
import { UnitOfWork } from '../../../src/store/unit-of-work.ts';
import { AccountAudit } from '../../../src/domain/audit/account-audit.ts';
import { DeliveryWorker, type DeliveryOptions } from '../../../src/delivery/delivery-worker.ts';
import { Outbox } from '../../../src/delivery/outbox.ts';
import type { MailToSend, MailTransport } from '../../../src/delivery/mail-transport.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

const OPTIONS: DeliveryOptions = { maxAttempts: 3, retryBaseMs: 1000, retryMaxDelayMs: 60_000, pollMs: 60_000, sendTimeoutMs: 1000 };
const quiet = { info() {}, warn() {}, error() {} };

/** A transport that records sends, fails while `failing` > 0, and takes `delayMs`. */
function fakeMail(options: { delayMs?: number; failing?: number } = {}) {
  const sent: MailToSend[] = [];
  let failing = options.failing ?? 0;
  const transport: MailTransport = {
    async send(mail) {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
      if (failing > 0) {
        failing -= 1;
        throw new Error('451 4.3.0 try again later');
      }
      sent.push(mail);
    },
    close() {},
  };
  return { transport, sent };
}

describe('delivery/delivery-worker', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let database: Database;
  let tenantId: number;
  let audit: AccountAudit;

  before(async () => {
    testDb = await createTestDatabase();
    await applyMigrations(testDb.url);
    database = await openDatabase({ databaseUrl: testDb.url });
    tenantId = (await database.prisma.tenant.create({ data: { slug: `t-${randomBytes(4).toString('hex')}`, name: 't', securityKey: 'k'.repeat(32) } })).id;
    audit = new AccountAudit(database.prisma);
  });
  after(async () => {
    await database?.close();
    await testDb?.drop();
  });

  /** Enqueues one mail through the outbox (transport on), without delivering it. */
  async function pendingMail(to: string): Promise<number> {
    const held = { hasTransport: () => true, deliverSoon: () => undefined };
    const outbox = new Outbox(database.prisma, database.dialect, audit, held);
    const unit = new UnitOfWork(database.prisma, () => undefined);
    return unit.write((_tx, work) => outbox.enqueueMail(work, { tenantId, userId: null, to, subject: 's', text: 'body 654321', purpose: 'test' }));
  }
  const row = (id: number) => database.prisma.outboxMessage.findUniqueOrThrow({ where: { id } });

  it('two workers racing for one due row: one claim wins, the message is sent once', async () => {
    const id = await pendingMail('race@example.test');
    const one = fakeMail({ delayMs: 50 });
    const two = fakeMail({ delayMs: 50 });
    const w1 = new DeliveryWorker(database.prisma, audit, { mail: one.transport, sms: null }, OPTIONS, quiet);
    const w2 = new DeliveryWorker(database.prisma, audit, { mail: two.transport, sms: null }, OPTIONS, quiet);
    w1.deliverSoon(id);
    w2.deliverSoon(id);
    await Promise.all([w1.stop(), w2.stop()]);
    expect(one.sent.length + two.sent.length).to.equal(1);
    expect(await row(id)).to.include({ status: 'sent', attempts: 1, text: null });
  });

  it('a failure leaves the row pending with the reply, the next attempt after the base delay, doubling', async () => {
    const id = await pendingMail('retry@example.test');
    const mail = fakeMail({ failing: 2 });
    const worker = new DeliveryWorker(database.prisma, audit, { mail: mail.transport, sms: null }, OPTIONS, quiet);
    const before = Date.now();
    worker.deliverSoon(id);
    await worker.stop();
    const first = await row(id);
    expect(first).to.include({ status: 'pending', attempts: 1, lastError: '451 4.3.0 try again later', text: 'body 654321' });
    expect(first.nextAttemptAt!.getTime() - before).to.be.within(900, 1500);
    // Due again: the second failure doubles the delay.
    await database.prisma.outboxMessage.update({ where: { id }, data: { nextAttemptAt: new Date() } });
    const again = new DeliveryWorker(database.prisma, audit, { mail: mail.transport, sms: null }, OPTIONS, quiet);
    const second = Date.now();
    await again.poll();
    await again.stop();
    const after = await row(id);
    expect(after).to.include({ status: 'pending', attempts: 2 });
    expect(after.nextAttemptAt!.getTime() - second).to.be.within(1900, 2600);
  });

  it('gives up after the last attempt: status failed, a final send_failed entry', async () => {
    const id = await pendingMail('never@example.test');
    const mail = fakeMail({ failing: 99 });
    for (let attempt = 1; attempt <= OPTIONS.maxAttempts; attempt++) {
      await database.prisma.outboxMessage.update({ where: { id }, data: { nextAttemptAt: new Date() } });
      const worker = new DeliveryWorker(database.prisma, audit, { mail: mail.transport, sms: null }, OPTIONS, quiet);
      await worker.poll();
      await worker.stop();
    }
    expect(await row(id)).to.include({ status: 'failed', attempts: 3, nextAttemptAt: null });
    const finals = await database.prisma.accountAuditEntry.findMany({ where: { event: 'send_failed', detail: { contains: `"outboxId":${id},` } } });
    expect(finals.map((e) => JSON.parse(e.detail).final)).to.deep.equal([false, false, true]);
    expect(finals.map((e) => e.detail).join()).not.to.include('654321');
  });

  it('stop() waits for the send in progress; after it, nothing new is sent and the row stays pending', async () => {
    const first = await pendingMail('slow@example.test');
    const mail = fakeMail({ delayMs: 300 });
    const worker = new DeliveryWorker(database.prisma, audit, { mail: mail.transport, sms: null }, OPTIONS, quiet);
    worker.deliverSoon(first);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.stop();
    expect(mail.sent.map((m) => m.to)).to.deep.equal(['slow@example.test']);
    expect((await row(first)).status).to.equal('sent');
    const later = await pendingMail('later@example.test');
    worker.deliverSoon(later);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(mail.sent).to.have.length(1);
    expect(await row(later)).to.include({ status: 'pending', attempts: 0 });
  });

  it('a send that never answers fails at the send timeout and is rescheduled; stop() does not hang on it', async () => {
    const id = await pendingMail('hangs@example.test');
    const hanging: MailTransport = { send: () => new Promise(() => undefined), close() {} };
    const worker = new DeliveryWorker(database.prisma, audit, { mail: hanging, sms: null }, { ...OPTIONS, sendTimeoutMs: 150 }, quiet);
    const started = Date.now();
    worker.deliverSoon(id);
    await worker.stop();
    expect(Date.now() - started).to.be.below(2_000);
    expect(await row(id)).to.include({ status: 'pending', attempts: 1, lastError: 'no answer within 150 ms' });
  });

  it('a claim whose lease lapsed (its process died mid-send) is taken again by the poller', async () => {
    const id = await pendingMail('orphan@example.test');
    await database.prisma.outboxMessage.update({ where: { id }, data: { status: 'sending', attempts: 1, nextAttemptAt: new Date(Date.now() - 1) } });
    const mail = fakeMail();
    const worker = new DeliveryWorker(database.prisma, audit, { mail: mail.transport, sms: null }, OPTIONS, quiet);
    await worker.poll();
    await worker.stop();
    expect(mail.sent.map((m) => m.to)).to.include('orphan@example.test');
    expect(await row(id)).to.include({ status: 'sent', attempts: 2 });
  });
});

describe('delivery/outbox: a refused send leaves no row, even when the caller commits anyway', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let database: Database;

  before(async () => {
    testDb = await createTestDatabase();
    await applyMigrations(testDb.url);
    database = await openDatabase({ databaseUrl: testDb.url });
  });
  after(async () => {
    await database?.close();
    await testDb?.drop();
  });

  it('answers DESTINATION_QUOTA_EXCEEDED and the write that caught it commits without the message', async () => {
    const tenant = await database.prisma.tenant.create({
      data: { slug: `t-${randomBytes(4).toString('hex')}`, name: 't', securityKey: 'k'.repeat(32), deliverySettings: JSON.stringify({ mail: { perDestinationHourly: 1 } }) },
    });
    const audit = new AccountAudit(database.prisma);
    const outbox = new Outbox(database.prisma, database.dialect, audit, { hasTransport: () => false, deliverSoon: () => undefined });
    const unit = new UnitOfWork(database.prisma, () => undefined);
    const mail = { tenantId: tenant.id, userId: null, to: 'one@example.test', subject: 's', text: 't', purpose: 'test' };
    await unit.write((_tx, work) => outbox.enqueueMail(work, mail));
    const code = await unit.write(async (_tx, work) => {
      try {
        await outbox.enqueueMail(work, mail);
        return 'sent';
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    expect(code).to.equal('DESTINATION_QUOTA_EXCEEDED');
    expect(await database.prisma.outboxMessage.count({ where: { tenantId: tenant.id } })).to.equal(1);
    await audit.settle();
    expect(await database.prisma.accountAuditEntry.count({ where: { tenantId: tenant.id, event: 'throttle' } })).to.equal(1);
  });
});
