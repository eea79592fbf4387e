// What the server logs about mail and SMS (debug level, in process, SQLite or PostgreSQL): ids,
// channels, attempts and a transport's reply, never a message body, the SMTP password or the
// SMS webhook secret, including when a send fails and is retried.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { ADMIN, request } from '../helpers/server.ts';
import { startMailSink, type MailSink } from '../helpers/mail-sink.ts';
import { startSmsSink, type SmsSink } from '../helpers/sms-sink.ts';

describe('delivery logs hold no body or transport secret', function () {
  this.timeout(60_000);
  const SMTP_PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
  const lines: string[] = [];
  let database: TestDatabase;
  let mail: MailSink;
  let sms: SmsSink;
  let running: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    mail = await startMailSink({ username: 'mailer', password: SMTP_PASSWORD });
    sms = await startSmsSink();
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `jt-dlog-${randomBytes(4).toString('hex')}`,
      PORT: '0',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SMTP_URL: mail.url,
      SMS_WEBHOOK_URL: sms.url,
      SMS_WEBHOOK_SECRET: sms.secret,
      DELIVERY_RETRY_BASE_MS: '50',
      DELIVERY_POLL_MS: '50',
      FILES_DIR: `${database.file ?? '/tmp/jt-dlog'}-files`,
    });
    running = await startServer(config, { logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }) });
  });
  after(async () => {
    await running?.stop();
    await mail?.close();
    await sms?.close();
    await database?.drop();
  });

  it('a mail refused once then delivered, and an SMS failed once then delivered, log their ids and outcomes only', async () => {
    const key = running.bootstrap!.apiKey;
    await request(running.url, 'PATCH', '/api/v1/admin/settings', { key, body: { deliverySettings: { sms: { allowedCountryPrefixes: ['+420'] } } } });
    mail.refuseNext(1);
    sms.failNext(1);
    const sentMail = await request(running.url, 'POST', '/api/v1/app/mail.test', { key, body: { to: 'logs@example.test' } });
    const sentSms = await request(running.url, 'POST', '/api/v1/app/sms.test', { key, body: { to: '+420777999888' } });
    expect([sentMail.status, sentSms.status]).to.deep.equal([201, 201]);
    await mail.waitFor('logs@example.test');
    await sms.waitFor('+420777999888');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const output = lines.join('');
    expect(output).to.include('will retry').and.include('message delivered');
    expect(output).to.include(`"outboxId":${sentMail.body.id}`);
    for (const secret of ['mail delivery works', 'SMS delivery works', SMTP_PASSWORD, sms.secret]) {
      expect(output.includes(secret), `"${secret}" appears in the log`).to.equal(false);
    }
  });
});
