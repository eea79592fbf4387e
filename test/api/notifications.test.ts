// The notifications collection (seed 004, issue 10) and its commands through HTTP: every
// parameter, answer and status; keyset paging across writes; signed cursors; permissions both
// ways; tenant and user isolation both ways; idempotent sends; mark-all-read racing sends;
// 304 polling; expiry and the purge. Runs on SQLite, and on PostgreSQL + Redis when set.
import { expect } from 'chai';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import { aUser, type TestUser } from '../helpers/principals.ts';
import { openSse, type SseEvent } from '../helpers/sse.ts';
import { expectError } from '../helpers/expectations.ts';

const FEED = '/api/v1/collection/notifications';
const SEND = '/api/v1/app/notifications.send';
const COUNT = '/api/v1/app/notifications.unreadCount';
const MARK_ALL = '/api/v1/app/notifications.markAllRead';

interface Note {
  id: number;
  title: string;
  read: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('/collection/notifications and the notifications.* commands', () => {
  let server: TestServer;
  let sender: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let customReader: TestUser;
  let plain: TestUser;
  let other: TestTenant;
  let carol: TestUser;
  let otherSender: TestUser;

  before(async function () {
    this.timeout(120_000);
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    sender = await aUser(server, ['useApi', 'sendNotifications']);
    alice = await aUser(server, ['useApi', 'notifications'], { user: { timezone: 'Europe/Prague' } });
    bob = await aUser(server, ['useApi', 'notifications']);
    customReader = await aUser(server, ['useApi', 'getNotificationsPerCustomId']);
    plain = await aUser(server, ['useApi']);
    other = await aTenant(server);
    carol = await aUser(server, ['useApi', 'notifications'], { key: other.admin.key, host: other.host });
    otherSender = await aUser(server, ['useApi', 'sendNotifications'], { key: other.admin.key, host: other.host });
  });
  after(() => server.stop());

  async function send(body: Record<string, unknown>, options: { as?: TestUser; host?: string; headers?: Record<string, string> } = {}) {
    return server.request('POST', SEND, { key: (options.as ?? sender).key, host: options.host, body, headers: options.headers });
  }

  async function sendTo(user: TestUser, title: string, extra: Record<string, unknown> = {}): Promise<number> {
    const res = await send({ users: [user.id], title, ...extra });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.notifications[0].id;
  }

  const feed = (as: TestUser, query = '', headers?: Record<string, string>, host?: string) => server.request('GET', `${FEED}${query}`, { key: as.key, headers, host });
  const unread = async (as: TestUser, host?: string) => {
    const res = await server.request('GET', COUNT, { key: as.key, host });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.unread as number;
  };

  /** Every item of the feed, following nextCursor. */
  async function everything(as: TestUser, query = ''): Promise<Note[]> {
    const all: Note[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 1000; guard++) {
      const sep: string = query ? '&' : '?';
      const res: ApiResponse = await feed(as, `${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (res.status === 204) break;
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      all.push(...res.body.items);
      if (!res.body.hasMore) break;
      cursor = res.body.nextCursor;
    }
    return all;
  }

  describe('GET /collection/notifications', () => {
    it('answers 204 with X-Unread-Count 0, an ETag and a poll interval when the feed is empty', async () => {
      const res = await feed(bob);
      expect(res.status).to.equal(204);
      expect(res.headers['x-unread-count']).to.equal('0');
      expect(res.headers.etag).to.match(/^W\/"n-[0-9a-f]+"$/);
      expect(Number(res.headers['x-poll-interval'])).to.be.greaterThan(0);
    });

    it('lists what was sent, newest first, in the caller\'s zone, with {items, nextCursor: null, hasMore: false}', async () => {
      const first = await sendTo(alice, 'first', { body: 'b1', type: 'mention', data: { n: 1 }, actionUrl: 'https://example.com/x' });
      const second = await sendTo(alice, 'second');
      const res = await feed(alice);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.hasMore).to.equal(false);
      expect(res.body.nextCursor).to.equal(null);
      expect(res.body.items.map((n: Note) => n.id)).to.deep.equal([second, first]);
      expect(res.body.items[1]).to.deep.include({ title: 'first', body: 'b1', type: 'mention', data: { n: 1 }, actionUrl: 'https://example.com/x', read: false, readAt: null, expiresAt: null });
      expect(res.body.items[1].created).to.match(/\+0[12]:00$/);
      expect(res.headers['x-unread-count']).to.equal('2');
      expect(res.headers['cache-control']).to.equal('private, no-cache');
    });

    it('answers 400 VALIDATION_FAILED for limit 0, 101, a fraction and text; 25 by default', async () => {
      for (const limit of ['0', '101', '2.5', 'ten', '']) expectError(await feed(alice, `?limit=${limit}`), 400, 'VALIDATION_FAILED');
      for (let i = 0; i < 26; i++) await sendTo(customReader, `c${i}`); // a feed of 26 for paging by default
      const res = await feed(customReader, '?recipient_custom_id=none');
      expect(res.status).to.equal(204);
    });

    it('pages 25 by default with hasMore and a nextCursor', async () => {
      const full = await aUser(server, ['useApi', 'notifications']);
      await send({ users: [full.id], title: 'x' });
      for (let i = 0; i < 26; i++) await sendTo(full, `n${i}`);
      const res = await feed(full);
      expect(res.body.items).to.have.length(25);
      expect(res.body.hasMore).to.equal(true);
      expect(res.body.nextCursor).to.be.a('string');
      const rest = await feed(full, `?cursor=${encodeURIComponent(res.body.nextCursor)}`);
      expect(rest.body.items).to.have.length(2);
      expect(rest.body).to.deep.include({ hasMore: false, nextCursor: null });
    });

    it('answers 400 VALIDATION_FAILED for unread_only other than true/false, and filters with true', async () => {
      expectError(await feed(alice, '?unread_only=yes'), 400, 'VALIDATION_FAILED');
      const user = await aUser(server, ['useApi', 'notifications']);
      const a = await sendTo(user, 'a');
      const b = await sendTo(user, 'b');
      expect((await server.request('PATCH', `${FEED}/${a}`, { key: user.key, body: { read: true } })).status).to.equal(200);
      expect((await feed(user, '?unread_only=true')).body.items.map((n: Note) => n.id)).to.deep.equal([b]);
      expect((await feed(user, '?unread_only=false')).body.items.map((n: Note) => n.id)).to.deep.equal([b, a]);
    });

    it('pages over more than three pages with items added and archived between pages: no duplicates, no gaps', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const ids: number[] = [];
      for (let i = 0; i < 14; i++) ids.push(await sendTo(user, `p${i}`));
      const expected = [...ids].reverse();
      const seen: number[] = [];
      const archived = new Set<number>();
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const res: ApiResponse = await feed(user, `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        if (res.status === 204) break;
        const pageIds = res.body.items.map((n: Note) => n.id);
        seen.push(...pageIds);
        // between pages: a newer item (belongs before the cursor), the page's own last item (the anchor) and an unseen one archived
        await sendTo(user, `new${page}`);
        const anchor = pageIds[pageIds.length - 1];
        expect((await server.request('PATCH', `${FEED}/${anchor}`, { key: user.key, body: { archive: true } })).status).to.equal(200);
        const ahead = expected.find((id) => !seen.includes(id) && !archived.has(id) && id !== expected[expected.length - 1]);
        if (ahead !== undefined) {
          expect((await server.request('PATCH', `${FEED}/${ahead}`, { key: user.key, body: { archive: true } })).status).to.equal(200);
          archived.add(ahead);
        }
        if (!res.body.hasMore) {
          expect(res.body.nextCursor).to.equal(null);
          break;
        }
        cursor = res.body.nextCursor;
      }
      expect(new Set(seen).size, 'no duplicates').to.equal(seen.length);
      expect(seen, 'no gaps').to.deep.equal(expected.filter((id) => !archived.has(id)));
      expect(seen.length).to.be.greaterThan(9);
    });

    it('answers 400 NOTIFICATION_CURSOR_INVALID for a tampered or another tenant\'s cursor, _MISMATCH for another caller\'s or other filters', async () => {
      const user = await aUser(server, ['useApi', 'notifications', 'getNotificationsPerCustomId']);
      for (let i = 0; i < 3; i++) await sendTo(user, `t${i}`);
      const cursor: string = (await feed(user, '?limit=1')).body.nextCursor;
      const [payload, mac] = cursor.split('.');
      const flipped = payload.slice(0, -1) + (payload.endsWith('A') ? 'B' : 'A');
      for (const bad of [`${flipped}.${mac}`, `${payload}.${mac.slice(1)}`, 'garbage', `${payload}.${mac}.x`, '.']) {
        expectError(await feed(user, `?limit=1&cursor=${encodeURIComponent(bad)}`), 400, 'NOTIFICATION_CURSOR_INVALID');
      }
      expectError(await feed(bob, `?limit=1&cursor=${encodeURIComponent(cursor)}`), 400, 'NOTIFICATION_CURSOR_MISMATCH');
      expectError(await feed(user, `?limit=1&unread_only=true&cursor=${encodeURIComponent(cursor)}`), 400, 'NOTIFICATION_CURSOR_MISMATCH');
      expectError(await feed(user, `?limit=1&recipient_custom_id=x&cursor=${encodeURIComponent(cursor)}`), 400, 'NOTIFICATION_CURSOR_MISMATCH');
      expect((await feed(user, `?limit=2&cursor=${encodeURIComponent(cursor)}`)).status, 'another limit is the same feed').to.equal(200);
      expectError(await feed(carol, `?limit=1&cursor=${encodeURIComponent(cursor)}`, undefined, other.host), 400, 'NOTIFICATION_CURSOR_INVALID');
    });

    it('after= an id or an instant returns only newer items; anything else is 400 NOTIFICATION_AFTER_INVALID', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const a = await sendTo(user, 'a');
      await sleep(5);
      const between = new Date().toISOString();
      await sleep(5);
      const b = await sendTo(user, 'b');
      const c = await sendTo(user, 'c');
      expect((await feed(user, `?after=${a}`)).body.items.map((n: Note) => n.id)).to.deep.equal([c, b]);
      expect((await feed(user, `?after=${encodeURIComponent(between)}`)).body.items.map((n: Note) => n.id)).to.deep.equal([c, b]);
      expect((await feed(user, `?after=${c}`)).status).to.equal(204);
      const bobs = await sendTo(bob, 'not yours');
      for (const bad of ['yesterday', String(bobs), '999999999', '2026-13-45T00:00:00Z']) {
        expectError(await feed(user, `?after=${encodeURIComponent(bad)}`), 400, 'NOTIFICATION_AFTER_INVALID');
      }
    });
  });

  describe('permissions and isolation', () => {
    it('needs notifications for the own feed and getNotificationsPerCustomId for recipient_custom_id, each without the other', async () => {
      expectError(await feed(plain), 403, 'PERMISSION_DENIED');
      expectError(await feed(customReader), 403, 'PERMISSION_DENIED');
      expectError(await feed(alice, '?recipient_custom_id=crm-1'), 403, 'PERMISSION_DENIED');
      expectError(await server.request('GET', COUNT, { key: plain.key }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('GET', `${FEED}/1`, { key: customReader.key }), 403, 'PERMISSION_DENIED');
      expectError(await send({ users: [alice.id], title: 'x' }, { as: alice }), 403, 'PERMISSION_DENIED');
      const sent = await send({ customRecipients: ['crm-1'], title: 'for a custom id' });
      expect(sent.status).to.equal(201);
      expect(sent.body.notifications[0]).to.deep.include({ customRecipient: 'crm-1' });
      const res = await feed(customReader, '?recipient_custom_id=crm-1');
      expect(res.status).to.equal(200);
      expect(res.body.items.map((n: Note) => n.title)).to.deep.equal(['for a custom id']);
      expect((await feed(customReader, '?recipient_custom_id=unknown-id')).status).to.equal(204);
    });

    it('hides another user\'s notification (404 to get and patch) and another tenant\'s, both ways', async () => {
      const bobs = await sendTo(bob, 'bob only');
      const carols = (await send({ users: [carol.id], title: 'carol only' }, { as: otherSender, host: other.host })).body.notifications[0].id;
      expectError(await server.request('GET', `${FEED}/${bobs}`, { key: alice.key }), 404, 'NOT_FOUND');
      expectError(await server.request('PATCH', `${FEED}/${bobs}`, { key: alice.key, body: { read: true } }), 404, 'NOT_FOUND');
      expectError(await server.request('PATCH', `${FEED}/${bobs}`, { key: alice.key, body: { archive: true } }), 404, 'NOT_FOUND');
      expectError(await server.request('GET', `${FEED}/${carols}`, { key: alice.key }), 404, 'NOT_FOUND');
      expectError(await server.request('GET', `${FEED}/${bobs}`, { key: carol.key, host: other.host }), 404, 'NOT_FOUND');
      expect((await feed(alice)).body.items.map((n: Note) => n.id)).to.not.include.members([bobs, carols]);
      expect((await feed(carol, '', undefined, other.host)).body.items.map((n: Note) => n.id)).to.deep.equal([carols]);
      expect((await server.request('GET', `${FEED}/${bobs}`, { key: bob.key })).status).to.equal(200);
      // a sender names only users of its own tenant
      expectError(await send({ users: [carol.id], title: 'x' }), 400, 'NOTIFICATION_RECIPIENT_UNKNOWN');
      expectError(await send({ users: [alice.id], title: 'x' }, { as: otherSender, host: other.host }), 400, 'NOTIFICATION_RECIPIENT_UNKNOWN');
      // custom recipient ids are per tenant too
      await send({ customRecipients: ['shared-id'], title: 'tenant A' });
      const reader = await aUser(server, ['useApi', 'getNotificationsPerCustomId'], { key: other.admin.key, host: other.host });
      expect((await feed(reader, '?recipient_custom_id=shared-id', undefined, other.host)).status).to.equal(204);
    });
  });

  describe('GET and PATCH /collection/notifications/{item}', () => {
    it('reads one; marks it read (idempotent); archives it (idempotent, implies read); an archived one is 404', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const id = await sendTo(user, 'one');
      const got = await server.request('GET', `${FEED}/${id}`, { key: user.key });
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.include({ id, title: 'one', read: false });
      expect(await unread(user)).to.equal(1);
      const read = await server.request('PATCH', `${FEED}/${id}`, { key: user.key, body: { read: true } });
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.include({ id, read: true });
      expect(read.body.readAt).to.be.a('string');
      const again = await server.request('PATCH', `${FEED}/${id}`, { key: user.key, body: { read: true } });
      expect(again.body.readAt).to.equal(read.body.readAt);
      expect(await unread(user)).to.equal(0);
      const second = await sendTo(user, 'two');
      expect(await unread(user)).to.equal(1);
      for (let i = 0; i < 2; i++) {
        const archived = await server.request('PATCH', `${FEED}/${second}`, { key: user.key, body: { archive: true } });
        expect(archived.status).to.equal(200);
        expect(archived.body).to.deep.equal({ message: 'Notification archived.' });
      }
      expect(await unread(user), 'archive implies read').to.equal(0);
      expectError(await server.request('GET', `${FEED}/${second}`, { key: user.key }), 404, 'NOT_FOUND');
      expectError(await server.request('PATCH', `${FEED}/${second}`, { key: user.key, body: { read: true } }), 404, 'NOT_FOUND');
      expect((await feed(user)).body.items.map((n: Note) => n.id)).to.deep.equal([id]);
    });

    it('answers 400 NOTIFICATION_PATCH_INVALID for any other body and 404 for ids that are no notification', async () => {
      const id = await sendTo(alice, 'patch me');
      for (const body of [{}, { read: false }, { archive: false }, { read: true, archive: true }, { title: 'x' }]) {
        expectError(await server.request('PATCH', `${FEED}/${id}`, { key: alice.key, body }), 400, 'NOTIFICATION_PATCH_INVALID');
      }
      for (const bad of ['abc', '0', '99999999999', '-1']) expectError(await server.request('GET', `${FEED}/${bad}`, { key: alice.key }), 404, 'NOT_FOUND');
    });

    it('answers 405 NOTIFICATION_METHOD_NOT_ALLOWED with Allow to POST, PUT, DELETE and SEARCH', async () => {
      const id = await sendTo(alice, 'x');
      const cases: [string, string, string][] = [
        ['POST', FEED, 'GET, HEAD'],
        ['SEARCH', FEED, 'GET, HEAD'],
        ['POST', `${FEED}/${id}`, 'GET, HEAD, PATCH'],
        ['PUT', `${FEED}/${id}`, 'GET, HEAD, PATCH'],
        ['DELETE', `${FEED}/${id}`, 'GET, HEAD, PATCH'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await server.request(method, path, { key: alice.key, ...(method === 'DELETE' ? {} : { body: { title: 'x' } }) });
        expectError(res, 405, 'NOTIFICATION_METHOD_NOT_ALLOWED');
        expect(res.headers.allow).to.equal(allow);
      }
      expect((await server.request('GET', `${FEED}/${id}`, { key: alice.key })).status, 'nothing was deleted').to.equal(200);
    });
  });

  describe('POST /app/notifications.send', () => {
    it('answers one id per distinct recipient, users and custom ids together', async () => {
      const res = await send({ users: [alice.id, bob.id, alice.id], customRecipients: ['x-1', 'x-1', 'x-2'], title: 'all' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.notifications.map((n: { user?: number; customRecipient?: string }) => n.user ?? n.customRecipient)).to.deep.equal([alice.id, bob.id, 'x-1', 'x-2']);
      expect(new Set(res.body.notifications.map((n: { id: number }) => n.id)).size).to.equal(4);
    });

    it('sends to 1000 recipients in one call, one id each, each feed counted', async () => {
      const customs = Array.from({ length: 999 }, (_, i) => `bulk-${i}`);
      const res = await send({ users: [bob.id], customRecipients: customs, title: 'bulk' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.notifications).to.have.length(1000);
      expect(new Set(res.body.notifications.map((n: { id: number }) => n.id)).size).to.equal(1000);
      const last = await feed(customReader, '?recipient_custom_id=bulk-998');
      expect(last.body.items.map((n: Note) => n.id)).to.deep.equal([res.body.notifications[999].id]);
      expect(last.headers['x-unread-count']).to.equal('1');
    });

    it('refuses bad input with 400 and creates nothing', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const cases: [Record<string, unknown>, string][] = [
        [{ title: 'no recipients' }, 'NOTIFICATION_SEND_INVALID'],
        [{ users: [], customRecipients: [], title: 'empty' }, 'NOTIFICATION_SEND_INVALID'],
        [{ users: [user.id] }, 'VALIDATION_FAILED'],
        [{ users: [user.id], title: 'x', actionUrl: 'javascript:alert(1)' }, 'NOTIFICATION_SEND_INVALID'],
        [{ users: [user.id], title: 'x', actionUrl: '/relative' }, 'NOTIFICATION_SEND_INVALID'],
        [{ users: [user.id], title: 'x', data: { big: 'x'.repeat(9000) } }, 'NOTIFICATION_SEND_INVALID'],
        [{ users: [user.id], title: 'x', expiresAt: '2020-01-01T00:00:00Z' }, 'NOTIFICATION_SEND_INVALID'],
        [{ users: [user.id, 987654], title: 'x' }, 'NOTIFICATION_RECIPIENT_UNKNOWN'],
        [{ users: Array.from({ length: 1001 }, (_, i) => i + 1), title: 'x' }, 'VALIDATION_FAILED'],
        [{ users: Array.from({ length: 600 }, (_, i) => i + 1), customRecipients: Array.from({ length: 401 }, (_, i) => `c${i}`), title: 'x' }, 'NOTIFICATION_SEND_INVALID'],
        [{ users: [user.id], title: 'x', extra: true }, 'VALIDATION_FAILED'],
      ];
      for (const [body, code] of cases) expectError(await send(body), 400, code);
      expect((await feed(user)).status).to.equal(204);
      expect(await unread(user)).to.equal(0);
    });

    it('replays the first answer for the same Idempotency-Key and body, and answers 422 for another body', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const headers = { 'Idempotency-Key': `key-${user.id}` };
      const first = await send({ users: [user.id], title: 'once', data: { a: 1, b: 2 } }, { headers });
      expect(first.status).to.equal(201);
      expect(first.headers['idempotent-replayed']).to.equal('false');
      const again = await send({ data: { b: 2, a: 1 }, title: 'once', users: [user.id] }, { headers });
      expect(again.status).to.equal(201);
      expect(again.headers['idempotent-replayed']).to.equal('true');
      expect(again.body).to.deep.equal(first.body);
      expectError(await send({ users: [user.id], title: 'another' }, { headers }), 422, 'IDEMPOTENCY_KEY_REUSED');
      // concurrent retries of one key create one notification
      const raced = await Promise.all(Array.from({ length: 5 }, () => send({ users: [user.id], title: 'raced' }, { headers: { 'Idempotency-Key': `race-${user.id}` } })));
      expect(raced.map((r) => r.status)).to.deep.equal([201, 201, 201, 201, 201]);
      expect(new Set(raced.map((r) => r.body.notifications[0].id)).size).to.equal(1);
      // the key is the caller's: another sender with the same key sends anew
      const otherCaller = await aUser(server, ['useApi', 'sendNotifications']);
      const theirs = await send({ users: [user.id], title: 'once', data: { a: 1, b: 2 } }, { as: otherCaller, headers });
      expect(theirs.headers['idempotent-replayed']).to.equal('false');
      expect((await everything(user)).map((n) => n.title)).to.deep.equal(['once', 'raced', 'once']);
      expectError(await send({ users: [user.id], title: 'x' }, { headers: { 'Idempotency-Key': 'two words' } }), 400, 'NOTIFICATION_SEND_INVALID');
    });
  });

  describe('unread count and mark-all-read', () => {
    it('counts exactly, answers it on every list, and marks read up to a watermark', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const old = [await sendTo(user, 'o1'), await sendTo(user, 'o2')];
      await sleep(5);
      const watermark = new Date().toISOString();
      await sleep(5);
      const fresh = await sendTo(user, 'n1');
      expect(await unread(user)).to.equal(3);
      expect((await feed(user)).headers['x-unread-count']).to.equal('3');
      const marked = await server.request('POST', MARK_ALL, { key: user.key, body: { upTo: watermark } });
      expect(marked.status).to.equal(200);
      expect(marked.body).to.deep.equal({ changed: 2, unread: 1 });
      expect((await feed(user, '?unread_only=true')).body.items.map((n: Note) => n.id)).to.deep.equal([fresh]);
      expect(old).to.have.length(2);
      const rest = await server.request('POST', MARK_ALL, { key: user.key });
      expect(rest.body).to.deep.equal({ changed: 1, unread: 0 });
      expect((await server.request('POST', MARK_ALL, { key: user.key, body: {} })).body).to.deep.equal({ changed: 0, unread: 0 });
      expectError(await server.request('POST', MARK_ALL, { key: user.key, body: { upTo: 'soon' } }), 400, 'VALIDATION_FAILED');
      expectError(await server.request('POST', MARK_ALL, { key: plain.key }), 403, 'PERMISSION_DENIED');
    });

    it('stays exact when mark-all-read races sends', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const work: Promise<ApiResponse>[] = [];
      for (let i = 0; i < 20; i++) {
        work.push(send({ users: [user.id], title: `race ${i}` }));
        if (i % 4 === 0) work.push(server.request('POST', MARK_ALL, { key: user.key }));
      }
      const results = await Promise.all(work);
      for (const res of results) expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
      const all = await everything(user);
      expect(all).to.have.length(20);
      const actuallyUnread = all.filter((n) => !n.read).length;
      expect(await unread(user)).to.equal(actuallyUnread);
      expect((await everything(user, '?unread_only=true')).length).to.equal(actuallyUnread);
      const final = await server.request('POST', MARK_ALL, { key: user.key });
      expect(final.body).to.deep.equal({ changed: actuallyUnread, unread: 0 });
    });
  });

  describe('polling with ETag', () => {
    it('answers 304 to If-None-Match (with Cache-Control: no-cache too) until the feed changes', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const id = await sendTo(user, 'poll');
      const first = await feed(user);
      const etag = first.headers.etag;
      const same = await feed(user, '', { 'If-None-Match': etag });
      expect(same.status).to.equal(304);
      expect(same.headers.etag).to.equal(etag);
      expect(same.headers['x-unread-count']).to.equal('1');
      expect(same.text).to.equal('');
      expect((await feed(user, '', { 'If-None-Match': etag, 'Cache-Control': 'no-cache', Pragma: 'no-cache' })).status).to.equal(304);
      expect((await feed(user, '', { 'If-None-Match': `"x", ${etag.replace(/^W\//, '')}` })).status, 'weak comparison in a list').to.equal(304);
      expect((await feed(user, '?unread_only=true', { 'If-None-Match': etag })).status, 'another query is another tag').to.equal(200);
      await server.request('PATCH', `${FEED}/${id}`, { key: user.key, body: { read: true } });
      const afterRead = await feed(user, '', { 'If-None-Match': etag });
      expect(afterRead.status).to.equal(200);
      expect(afterRead.headers.etag).to.not.equal(etag);
      await sendTo(user, 'another');
      expect((await feed(user, '', { 'If-None-Match': afterRead.headers.etag })).status).to.equal(200);
      // another user's tag never matches this feed
      expect((await feed(alice, '', { 'If-None-Match': etag })).status).to.equal(200);
    });
  });

  describe('expiry and the purge', () => {
    it('hides an expired notification at once (404, out of lists, counts and the ETag) and purges it in batches', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const keep = await sendTo(user, 'keep');
      const soon = await sendTo(user, 'soon', { expiresAt: new Date(Date.now() + 1200).toISOString() });
      const listed = await feed(user);
      expect(listed.body.items.map((n: Note) => n.id)).to.deep.equal([soon, keep]);
      expect(listed.body.items[0].expiresAt).to.be.a('string');
      expect(await unread(user)).to.equal(2);
      await sleep(1400);
      expectError(await server.request('GET', `${FEED}/${soon}`, { key: user.key }), 404, 'NOT_FOUND');
      expectError(await server.request('PATCH', `${FEED}/${soon}`, { key: user.key, body: { read: true } }), 404, 'NOT_FOUND');
      const later = await feed(user, '', { 'If-None-Match': listed.headers.etag });
      expect(later.status, 'the tag changes when an item expires').to.equal(200);
      expect(later.body.items.map((n: Note) => n.id)).to.deep.equal([keep]);
      expect(later.headers['x-unread-count']).to.equal('1');
      expect(await unread(user)).to.equal(1);
      expect((await server.request('POST', MARK_ALL, { key: user.key })).body).to.deep.equal({ changed: 1, unread: 0 });
      const removed = await server.running.services.notificationPurge.purgeAll();
      expect(removed).to.be.greaterThan(0);
      expect(await unread(user)).to.equal(0);
      await sendTo(user, 'after purge');
      expect(await unread(user), 'the counter is right after the purge').to.equal(1);
      expect((await everything(user)).map((n) => n.title)).to.deep.equal(['after purge', 'keep']);
    });
  });

  describe('the tenant\'s notification settings (PATCH /admin/settings notifications)', () => {
    it('refuses values out of range and merges a patch over the stored settings', async () => {
      const patch = (body: unknown) => server.request('PATCH', '/api/v1/admin/settings', { key: other.admin.key, host: other.host, body: { notifications: body } });
      for (const bad of [{ pollIntervalSeconds: 0 }, { defaultTtlSeconds: 'soon' }, { unknown: 1 }, {}]) {
        expectError(await patch(bad), 400, 'VALIDATION_FAILED');
      }
      expect((await patch({ pollIntervalSeconds: 9 })).body.settings.notifications).to.deep.equal({ defaultTtlSeconds: null, pollIntervalSeconds: 9 });
      expect((await patch({ defaultTtlSeconds: 60 })).body.settings.notifications).to.deep.equal({ defaultTtlSeconds: 60, pollIntervalSeconds: 9 });
      expect((await patch({ defaultTtlSeconds: null, pollIntervalSeconds: 30 })).body.settings.notifications).to.deep.equal({ defaultTtlSeconds: null, pollIntervalSeconds: 30 });
    });

    it('gives sends without expiresAt the tenant\'s default lifetime and feeds its poll interval', async () => {
      const patched = await server.request('PATCH', '/api/v1/admin/settings', { key: other.admin.key, host: other.host, body: { notifications: { defaultTtlSeconds: 3600, pollIntervalSeconds: 7 } } });
      expect(patched.status, patched.text).to.equal(200);
      const before = Date.now();
      const sent = await send({ users: [carol.id], title: 'with a default lifetime' }, { as: otherSender, host: other.host });
      expect(sent.status).to.equal(201);
      const got = await server.request('GET', `${FEED}/${sent.body.notifications[0].id}`, { key: carol.key, host: other.host });
      const lifetime = Date.parse(got.body.expiresAt) - before;
      expect(lifetime).to.be.within(3_595_000, 3_605_000);
      expect((await feed(carol, '', undefined, other.host)).headers['x-poll-interval']).to.equal('7');
      // the other tenant keeps the defaults: no expiry, 30 s
      const mine = await sendTo(alice, 'no default lifetime');
      expect((await server.request('GET', `${FEED}/${mine}`, { key: alice.key })).body.expiresAt).to.equal(null);
      expect((await feed(alice)).headers['x-poll-interval']).to.equal('30');
    });
  });

  describe('GET /app/notifications.stream', () => {
    const STREAM = '/api/v1/app/notifications.stream';
    const kinds = (events: SseEvent[]) => events.filter((e) => e.event !== 'unread-count').map((e) => `${e.id}:${e.event}`);

    it('streams created, read, archived and unread-count events with monotonic ids; Last-Event-ID resumes with exactly the missed ones', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const stream = await openSse(`${server.url}${STREAM}`, { key: user.key });
      expect(stream.status).to.equal(200);
      expect(stream.headers['content-type']).to.match(/^text\/event-stream/);
      await stream.until((events) => events.some((e) => e.event === 'unread-count'));
      expect(stream.events[0]).to.deep.equal({ id: '0', event: 'unread-count', data: { unread: 0 } });
      const a = await sendTo(user, 'live a');
      await server.request('PATCH', `${FEED}/${a}`, { key: user.key, body: { read: true } });
      const b = await sendTo(user, 'live b');
      await stream.until((events) => kinds(events).length === 3 && events[events.length - 1].event === 'unread-count');
      expect(kinds(stream.events)).to.deep.equal(['1:created', '2:read', '3:created']);
      expect(stream.events.find((e) => e.event === 'created')!.data).to.deep.include({ id: a, title: 'live a' });
      expect(stream.events[stream.events.length - 1]).to.deep.equal({ id: '3', event: 'unread-count', data: { unread: 1 } });
      stream.close();
      // missed while away
      await server.request('PATCH', `${FEED}/${b}`, { key: user.key, body: { archive: true } });
      const c = await sendTo(user, 'live c');
      await server.request('POST', MARK_ALL, { key: user.key });
      const resumed = await openSse(`${server.url}${STREAM}`, { key: user.key, 'Last-Event-ID': '3' });
      await resumed.until((events) => kinds(events).length === 3 && events[events.length - 1].event === 'unread-count');
      expect(kinds(resumed.events)).to.deep.equal(['4:archived', '5:created', '6:read-all']);
      expect(resumed.events.find((e) => e.event === 'created')!.data.id).to.equal(c);
      expect(resumed.events[resumed.events.length - 1]).to.deep.equal({ id: '6', event: 'unread-count', data: { unread: 0 } });
      resumed.close();
      // another user's stream hears nothing of this feed
      const others = await openSse(`${server.url}${STREAM}?lastEventId=0`, { key: bob.key });
      await others.until((events) => events.some((e) => e.event === 'unread-count'));
      await sendTo(user, 'not for bob');
      await sleep(200);
      expect(others.events.filter((e) => e.event === 'created').map((e) => e.data.title)).to.not.include('not for bob');
      others.close();
      // a client that goes away frees its stream on the server
      for (let i = 0; i < 50 && server.running.services.notificationStreams.size > 0; i++) await sleep(20);
      expect(server.running.services.notificationStreams.size).to.equal(0);
    });

    it('answers 429 TOO_MANY_STREAMS past 5 open streams of one user, and accepts again once one closes', async () => {
      const user = await aUser(server, ['useApi', 'notifications']);
      const open = [];
      for (let i = 0; i < 5; i++) open.push(await openSse(`${server.url}${STREAM}`, { key: user.key }));
      expect(open.map((s) => s.status)).to.deep.equal([200, 200, 200, 200, 200]);
      const refused = await server.request('GET', STREAM, { key: user.key });
      expectError(refused, 429, 'TOO_MANY_STREAMS');
      expect(refused.headers['retry-after']).to.equal('5');
      const bobs = await openSse(`${server.url}${STREAM}`, { key: bob.key });
      expect(bobs.status, 'another user is not affected').to.equal(200);
      bobs.close();
      open[0].close();
      let again = 0;
      for (let i = 0; i < 50 && again !== 200; i++) {
        await sleep(20);
        const s = await openSse(`${server.url}${STREAM}`, { key: user.key });
        again = s.status;
        open.push(s);
      }
      expect(again).to.equal(200);
      for (const s of open) s.close();
    });

    it('needs notifications and a key (403)', async () => {
      expectError(await server.request('GET', STREAM, { key: plain.key }), 403, 'PERMISSION_DENIED');
      expectError(await server.request('GET', STREAM), 403, 'API_KEY_MISSING');
      expectError(await server.request('GET', `${STREAM}?lastEventId=abc`, { key: alice.key }), 400, 'VALIDATION_FAILED');
    });
  });
});
