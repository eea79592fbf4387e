// Notification streams across real server processes (issue 10 "What it must show"): two
// processes on one PostgreSQL database and one Redis. A notification sent through one arrives
// on a stream opened on the other; a dropped stream resumed with Last-Event-ID gets exactly the
// events it missed, whichever process it reconnects to; shutdown ends open streams.
// Needs DATABASE_URL=postgresql://… and REDIS_URL; skipped (with the reason printed) otherwise.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createTestDatabase, usingPostgres, usingRedis, type TestDatabase } from '../helpers/database.ts';
import { startServerProcess, stopAllProcesses, type Env, type ServerProcess } from '../helpers/process.ts';
import { ADMIN, adminKeyFrom, aUserWithKey, type KeyedUser } from '../helpers/process-users.ts';
import { openSse, type SseEvent } from '../helpers/sse.ts';

const STREAM = '/api/v1/app/notifications.stream';
const SEND = '/api/v1/app/notifications.send';
const FEED = '/api/v1/collection/notifications';
const changes = (events: SseEvent[]) => events.filter((e) => e.event !== 'unread-count').map((e) => `${e.id}:${e.event}`);

describe('notification streams across server processes (PostgreSQL + Redis)', function () {
  this.timeout(180_000);
  let db: TestDatabase | undefined;
  let p: ServerProcess;
  let q: ServerProcess;
  let sender: KeyedUser;
  let reader: KeyedUser;

  before(async function () {
    if (!usingPostgres() || !usingRedis()) {
      console.log('      skipped: runs in the PostgreSQL + Redis pass (DATABASE_URL=postgresql://… and REDIS_URL): two processes share streams only through Redis');
      this.skip();
    }
    db = await createTestDatabase();
    const env: Env = {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `jt-e2e-notify-${randomBytes(4).toString('hex')}`,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
      KEY_RATE_LIMIT_PER_MINUTE: '0',
      // long heartbeats: a stream on the other process may learn of a send only through Redis
      NOTIFICATION_HEARTBEAT_MS: '600000',
    };
    p = await startServerProcess(env, { name: 'p', readyTimeoutMs: 60_000 });
    q = await startServerProcess(env, { name: 'q', readyTimeoutMs: 60_000 });
    const adminKey = await adminKeyFrom(p);
    sender = await aUserWithKey(p, adminKey, ['useApi', 'sendNotifications']);
    reader = await aUserWithKey(p, adminKey, ['useApi', 'notifications']);
  });
  after(async () => {
    await stopAllProcesses();
    await db?.drop();
  });

  async function send(on: ServerProcess, title: string): Promise<number> {
    const res = await on.request('POST', SEND, { key: sender.key, body: { users: [reader.id], title } });
    expect(res.status, res.text).to.equal(201);
    return res.body.notifications[0].id;
  }

  it('delivers a send through one process to a stream on the other, and resumes a dropped stream with exactly the missed events', async () => {
    const onQ = await openSse(`${q.url}${STREAM}`, { key: reader.key });
    expect(onQ.status).to.equal(200);
    await onQ.until((events) => events.some((e) => e.event === 'unread-count'));
    const first = await send(p, 'through p');
    await onQ.until((events) => changes(events).length === 1 && events[events.length - 1].event === 'unread-count', 5_000);
    expect(changes(onQ.events)).to.deep.equal(['1:created']);
    expect(onQ.events.find((e) => e.event === 'created')!.data).to.deep.include({ id: first, title: 'through p' });
    const lastSeen = onQ.events[onQ.events.length - 1].id!;
    onQ.close();

    // while no stream is open: a read through q, two sends through p
    expect((await q.request('PATCH', `${FEED}/${first}`, { key: reader.key, body: { read: true } })).status).to.equal(200);
    const second = await send(p, 'missed 1');
    const third = await send(q, 'missed 2');

    const resumed = await openSse(`${p.url}${STREAM}`, { key: reader.key, 'Last-Event-ID': lastSeen });
    await resumed.until((events) => changes(events).length === 3 && events[events.length - 1].event === 'unread-count', 5_000);
    expect(changes(resumed.events)).to.deep.equal(['2:read', '3:created', '4:created']);
    expect(resumed.events.filter((e) => e.event === 'created').map((e) => e.data.id)).to.deep.equal([second, third]);
    expect(resumed.events[resumed.events.length - 1]).to.deep.equal({ id: '4', event: 'unread-count', data: { unread: 2 } });
    // and live again, from the other process
    await send(q, 'live again');
    await resumed.until((events) => changes(events).length === 4 && events[events.length - 1].event === 'unread-count', 5_000);
    expect(changes(resumed.events)).to.deep.equal(['2:read', '3:created', '4:created', '5:created']);
    resumed.close();
  });

  it('ends open streams when the server shuts down', async () => {
    const stream = await openSse(`${q.url}${STREAM}`, { key: reader.key });
    await stream.until((events) => events.length > 0);
    const stopped = q.stop('SIGTERM');
    await stream.ended;
    const exit = await stopped;
    expect(exit.code, 'a clean exit, not a forced one').to.equal(0);
  });
});
