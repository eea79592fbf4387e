// Timezones (seed 001 "Timezones", Summary table included): datetimes are stored in UTC,
// returned in the acting user's display zone (user → tenant default → UTC) with an explicit
// offset; naive inputs and naive filter values are read in that zone; calendar fields (pDate =
// `date`, pMonth = `month`) never shift; DST changes in Prague and New York are handled.
import Database from 'better-sqlite3';
import pg from 'pg';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { TestUser } from '../helpers/principals.ts';
import { RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aType, aUserWithGrants, idsOf, BOTH } from '../helpers/filters.ts';

const PRAGUE = 'Europe/Prague';
const NEW_YORK = 'America/New_York';
const EXPLICIT_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;
const DATETIMES = ['created_on', 'updated_on', 'at'] as const;

/** An instant as wall clock + offset in `zone`, computed independently of the server (Intl). */
function inZone(instant: string | number, zone: string): string {
  const date = new Date(instant);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset',
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The wall clock of an emitted value without its offset: a naive string. */
const naive = (emitted: string, separator = 'T') => emitted.slice(0, 19).replace('T', separator);

interface StoredRow {
  data: Record<string, unknown>;
  createdOn: number;
}

/** The Item row as stored: its JSON data and createdOn as epoch milliseconds (UTC). */
async function storedRow(server: TestServer, id: number): Promise<StoredRow> {
  if (server.database.dialect === 'sqlite') {
    const db = new Database(server.database.file!, { readonly: true });
    try {
      const row = db.prepare('SELECT "data", "createdOn" FROM "Item" WHERE "id" = ?').get(id) as { data: string; createdOn: number | string };
      return { data: JSON.parse(row.data), createdOn: toMillis(row.createdOn) };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: server.database.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT "data", "createdOn"::text AS "createdOn" FROM "Item" WHERE "id" = $1', [id]);
    return { data: JSON.parse(rows[0].data), createdOn: toMillis(rows[0].createdOn) };
  } finally {
    await client.end();
  }
}

/** A stored timestamp (epoch number, or text without zone meaning UTC) → epoch ms. */
function toMillis(value: number | string): number {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  const text = value.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d{2}(:?\d{2})?)$/.test(text) ? text : `${text}Z`);
}

describe('timezones on the generic collection', function () {
  this.timeout(60_000);
  let server: TestServer;
  let prague: TestUser;
  let newYork: TestUser;
  let utc: TestUser;
  let zoneless: TestUser;
  let originalZone: string;

  const get = (key: string, id: number) => server.request('GET', `/api/v1/collection/event/${id}`, { key, headers: { 'cache-control': 'no-cache' } });
  const create = async (key: string, body: Record<string, unknown>) => {
    const res = await server.request('POST', '/api/v1/collection/event', { key, body });
    expect(res.status, res.text).to.equal(201);
    return res.body as Record<string, any>;
  };
  const setTenantZone = async (zone: string) => {
    const res = await server.request('PATCH', '/api/v1/admin/settings', { key: server.adminKey, body: { defaultTimeZone: zone } });
    expect(res.status, res.text).to.equal(200);
    expect(res.body.settings.defaultTimeZone).to.equal(zone);
  };
  const setUserZone = async (user: TestUser, zone: string | null) => {
    const res = await server.request('PATCH', `/api/v1/admin/users/${user.id}`, { key: server.adminKey, body: { timezone: zone } });
    expect(res.status, res.text).to.equal(200);
    expect(res.body.timezone).to.equal(zone);
  };

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    const type = await aType(server, {
      systemName: 'event',
      properties: [
        { systemName: 'note', kind: 'string' },
        { systemName: 'at', kind: 'datetime' },
        { systemName: 'ats', kind: 'datetime', multiple: true },
        { systemName: 'day', kind: 'date' },
        { systemName: 'month', kind: 'month' },
      ],
    });
    const typePermissions = [{ typeId: type.id, show: true, create: true, edit: true, delete: true }];
    const user = (timezone: string | null) => aUserWithGrants(server, ['useApi', 'profile'], typePermissions, timezone ? { timezone } : {});
    prague = await user(PRAGUE);
    newYork = await user(NEW_YORK);
    utc = await user('UTC');
    zoneless = await user(null);
    const settings = await server.request('GET', '/api/v1/admin/settings', { key: server.adminKey });
    expect(settings.status).to.equal(200);
    originalZone = settings.body.settings.defaultTimeZone;
  });
  after(async () => {
    if (server && originalZone) await setTenantZone(originalZone);
    await server?.stop();
  });

  describe('storage', () => {
    it('stores a datetime sent with any offset as the same UTC instant', async () => {
      for (const [key, value] of [
        [prague.key, '2026-05-22T09:00:00+02:00'],
        [newYork.key, '2026-05-22T03:00:00-04:00'],
        [utc.key, '2026-05-22T07:00:00Z'],
        [newYork.key, '2026-05-22T09:00:00+0200'],
      ]) {
        const item = await create(key, { at: value, ats: [value] });
        const row = await storedRow(server, item.id);
        expect(row.data.at, value).to.equal('2026-05-22T07:00:00.000Z');
        expect(row.data.ats, value).to.deep.equal(['2026-05-22T07:00:00.000Z']);
      }
    });
    it('stores created_on as the UTC instant it returns (whatever the writer’s zone)', async () => {
      const item = await create(newYork.key, { note: 'stored created_on' });
      const row = await storedRow(server, item.id);
      expect(Math.floor(row.createdOn / 1000) * 1000).to.equal(Date.parse(item.created_on));
      expect(Math.abs(row.createdOn - Date.now())).to.be.below(60_000);
    });
  });

  describe('responses in the acting user’s display zone', () => {
    it('shows the same item to Prague and New York users as the same instant with different offsets', async () => {
      const created = await create(utc.key, { at: '2026-05-22T07:00:00Z', ats: ['2026-05-22T07:00:00Z', '2026-01-15T12:00:00Z'] });
      const inPrague = await get(prague.key, created.id);
      const inNewYork = await get(newYork.key, created.id);
      expect(inPrague.status).to.equal(200);
      expect(inNewYork.status).to.equal(200);
      expect(inPrague.body.at).to.equal('2026-05-22T09:00:00+02:00');
      expect(inNewYork.body.at).to.equal('2026-05-22T03:00:00-04:00');
      expect(inPrague.body.ats).to.deep.equal(['2026-05-22T09:00:00+02:00', '2026-01-15T13:00:00+01:00']);
      expect(inNewYork.body.ats).to.deep.equal(['2026-05-22T03:00:00-04:00', '2026-01-15T07:00:00-05:00']);
      for (const field of DATETIMES) {
        expect(inPrague.body[field], field).to.match(EXPLICIT_OFFSET);
        expect(inNewYork.body[field], field).to.match(EXPLICIT_OFFSET);
        expect(Date.parse(inPrague.body[field]), field).to.equal(Date.parse(inNewYork.body[field]));
        expect(inPrague.body[field], field).to.equal(inZone(inPrague.body[field], PRAGUE));
        expect(inNewYork.body[field], field).to.equal(inZone(inNewYork.body[field], NEW_YORK));
      }
    });

    it('uses the reader’s zone in lists (GET and SEARCH) and in write responses too', async () => {
      const created = await create(prague.key, { note: 'list zone', at: '2026-12-01T12:00:00Z' });
      expect(created.at).to.equal('2026-12-01T13:00:00+01:00');
      expect(created.created_on).to.equal(inZone(created.created_on, PRAGUE));
      for (const via of BOTH) {
        const res = via === 'GET'
          ? await server.request('GET', `/api/v1/collection/event?filters=${encodeURIComponent(JSON.stringify([{ property: 'id', type: 'eq', param: created.id }]))}`, { key: newYork.key })
          : await server.request('SEARCH', '/api/v1/collection/event', { key: newYork.key, body: { filters: [{ property: 'id', type: 'eq', param: created.id }] } });
        expect(res.status, res.text).to.equal(200);
        expect(res.body.data[0].at, via).to.equal('2026-12-01T07:00:00-05:00');
        expect(res.body.data[0].created_on, via).to.equal(inZone(created.created_on, NEW_YORK));
      }
      const patched = await server.request('PATCH', `/api/v1/collection/event/${created.id}`, { key: newYork.key, body: { note: 'patched' } });
      expect(patched.status).to.equal(200);
      expect(patched.body.at).to.equal('2026-12-01T07:00:00-05:00');
      expect(patched.body.updated_on).to.equal(inZone(patched.body.updated_on, NEW_YORK));
    });

    it('resolves the zone from the user, then the tenant default, then UTC', async () => {
      const { id } = await create(utc.key, { at: '2026-05-22T07:00:00Z' });
      const atFor = async (user: TestUser) => (await get(user.key, id)).body.at;
      try {
        expect(originalZone, 'a fresh tenant’s default zone').to.equal('UTC');
        expect(await atFor(zoneless)).to.equal('2026-05-22T07:00:00+00:00');

        await setTenantZone(PRAGUE);
        expect(await atFor(zoneless), 'no user zone: tenant default').to.equal('2026-05-22T09:00:00+02:00');
        expect(await atFor(newYork), 'the user zone wins').to.equal('2026-05-22T03:00:00-04:00');
        expect(await atFor(utc), 'an explicit UTC user zone wins').to.equal('2026-05-22T07:00:00+00:00');

        await setUserZone(newYork, null);
        expect(await atFor(newYork), 'user zone cleared: tenant default').to.equal('2026-05-22T09:00:00+02:00');
        await setUserZone(newYork, NEW_YORK);
        expect(await atFor(newYork), 'user zone set again').to.equal('2026-05-22T03:00:00-04:00');

        await setTenantZone(NEW_YORK);
        expect(await atFor(zoneless), 'tenant default changed').to.equal('2026-05-22T03:00:00-04:00');
      } finally {
        await setTenantZone(originalZone);
        await setUserZone(newYork, NEW_YORK);
      }
      expect(await atFor(zoneless)).to.equal('2026-05-22T07:00:00+00:00');
    });

    it('reads a zoneless user’s naive input in the tenant default zone', async () => {
      try {
        await setTenantZone(PRAGUE);
        const item = await create(zoneless.key, { at: '2026-05-22 09:00:00' });
        expect(item.at).to.equal('2026-05-22T09:00:00+02:00');
        expect((await storedRow(server, item.id)).data.at).to.equal('2026-05-22T07:00:00.000Z');
      } finally {
        await setTenantZone(originalZone);
      }
    });
  });

  describe('naive datetime inputs', () => {
    for (const value of ['2026-05-22 09:00:00', '2026-05-22T09:00:00']) {
      it(`reads "${value}" in the writer’s zone (Prague user → 07:00 UTC)`, async () => {
        const item = await create(prague.key, { at: value, ats: [value] });
        expect(item.at).to.equal('2026-05-22T09:00:00+02:00');
        expect(item.ats).to.deep.equal(['2026-05-22T09:00:00+02:00']);
        expect((await storedRow(server, item.id)).data.at).to.equal('2026-05-22T07:00:00.000Z');
        expect((await get(newYork.key, item.id)).body.at).to.equal('2026-05-22T03:00:00-04:00');
      });
      it(`reads "${value}" in the writer’s zone (New York user → 13:00 UTC)`, async () => {
        const item = await create(newYork.key, { at: value });
        expect(item.at).to.equal('2026-05-22T09:00:00-04:00');
        expect((await storedRow(server, item.id)).data.at).to.equal('2026-05-22T13:00:00.000Z');
        expect((await get(prague.key, item.id)).body.at).to.equal('2026-05-22T15:00:00+02:00');
      });
    }

    it('reads naive values in PUT and PATCH bodies in the writer’s zone', async () => {
      const item = await create(utc.key, { at: '2026-01-01T00:00:00Z' });
      const put = await server.request('PUT', `/api/v1/collection/event/${item.id}`, { key: newYork.key, body: { at: '2026-05-22 09:00:00' } });
      expect(put.status, put.text).to.equal(200);
      expect((await storedRow(server, item.id)).data.at).to.equal('2026-05-22T13:00:00.000Z');
      const patch = await server.request('PATCH', `/api/v1/collection/event/${item.id}`, { key: prague.key, body: { at: '2026-05-22T09:00:00', 'ats+=': ['2026-12-24 18:00:00'] } });
      expect(patch.status, patch.text).to.equal(200);
      expect(patch.body.at).to.equal('2026-05-22T09:00:00+02:00');
      expect(patch.body.ats).to.deep.equal(['2026-12-24T18:00:00+01:00']);
      const row = await storedRow(server, item.id);
      expect(row.data.at).to.equal('2026-05-22T07:00:00.000Z');
      expect(row.data.ats).to.deep.equal(['2026-12-24T17:00:00.000Z']);
    });

    it('uses the offset of the date written, not of today, for naive values (winter and summer)', async () => {
      const item = await create(prague.key, { ats: ['2026-01-15 09:00:00', '2026-07-15 09:00:00'] });
      expect(item.ats).to.deep.equal(['2026-01-15T09:00:00+01:00', '2026-07-15T09:00:00+02:00']);
      expect((await storedRow(server, item.id)).data.ats).to.deep.equal(['2026-01-15T08:00:00.000Z', '2026-07-15T07:00:00.000Z']);
    });

    it('reads a naive value with fractional seconds in the writer’s zone, as it does one with an offset', async () => {
      const withOffset = await server.request('POST', '/api/v1/collection/event', { key: prague.key, body: { at: '2026-05-22T09:00:00.250+02:00' } });
      expect(withOffset.status, withOffset.text).to.equal(201);
      expect((await storedRow(server, withOffset.body.id)).data.at).to.equal('2026-05-22T07:00:00.250Z');
      const res = await server.request('POST', '/api/v1/collection/event', { key: prague.key, body: { at: '2026-05-22T09:00:00.250' } });
      expect(res.status, res.text).to.equal(201);
      expect((await storedRow(server, res.body.id)).data.at).to.equal('2026-05-22T07:00:00.250Z');
    });

    it('never reinterprets a value that carries an offset', async () => {
      const item = await create(newYork.key, { at: '2026-05-22T09:00:00+02:00' });
      expect(item.at).to.equal('2026-05-22T03:00:00-04:00');
      expect((await storedRow(server, item.id)).data.at).to.equal('2026-05-22T07:00:00.000Z');
    });
  });

  describe('naive filter values', () => {
    let x: number;
    let y: number;
    let probe: Record<string, any>;
    const only = (extra: object[]) => [{ property: 'note', type: 'eq', param: 'naive-filter' }, ...extra];
    before(async () => {
      x = (await create(utc.key, { note: 'naive-filter', at: '2026-05-22T07:00:00Z' })).id;
      y = (await create(utc.key, { note: 'naive-filter', at: '2026-05-22T08:00:00Z' })).id;
      probe = await create(prague.key, { note: 'created-probe' });
    });

    for (const via of BOTH) {
      it(`reads a naive datetime-property filter in the caller’s zone (${via})`, async () => {
        const ids = (user: TestUser, type: string, param: unknown) => idsOf(server, 'event', only([{ property: 'at', type, param }]), via, { key: user.key });
        expect(await ids(prague, 'eq', '2026-05-22 09:00:00')).to.deep.equal([x]);
        expect(await ids(prague, 'eq', '2026-05-22T09:00:00')).to.deep.equal([x]);
        expect(await ids(newYork, 'eq', '2026-05-22 09:00:00')).to.deep.equal([]);
        expect(await ids(newYork, 'eq', '2026-05-22 03:00:00')).to.deep.equal([x]);
        expect(await ids(utc, 'eq', '2026-05-22 07:00:00')).to.deep.equal([x]);
        expect(await ids(prague, 'gte', '2026-05-22T09:30:00')).to.deep.equal([y]);
        expect(await ids(newYork, 'between', ['2026-05-22 03:00:00', '2026-05-22 03:59:59'])).to.deep.equal([x]);
        expect(await ids(newYork, 'in', ['2026-05-22 04:00:00', '2026-05-22 09:00:00'])).to.deep.equal([y]);
      });

      if (via === 'GET') {
        it('reads a naive datetime in a get-by path in the caller’s zone', async () => {
          const by = (user: TestUser, value: string) =>
            server.request('GET', `/api/v1/collection/event/get-by/at/${encodeURIComponent(value)}`, { key: user.key, headers: { 'cache-control': 'no-cache' } });
          const inPrague = await by(prague, '2026-05-22 09:00:00');
          expect(inPrague.status, inPrague.text).to.equal(200);
          expect(inPrague.body.at).to.equal('2026-05-22T09:00:00+02:00');
          const inNewYork = await by(newYork, '2026-05-22T04:00:00');
          expect(inNewYork.status, inNewYork.text).to.equal(200);
          expect(inNewYork.body.at).to.equal('2026-05-22T04:00:00-04:00');
          const later = await by(prague, '2026-05-22 10:00:00');
          expect(later.status, later.text).to.equal(200);
          expect(later.body.id).to.equal(y);
          // 10:00 in New York is 14:00 UTC: no item holds it.
          expect((await by(newYork, '2026-05-22 10:00:00')).status).to.equal(404);
          const explicit = await by(newYork, '2026-05-22T09:00:00+02:00');
          expect(explicit.status).to.equal(200);
          expect(explicit.body.at).to.equal('2026-05-22T03:00:00-04:00');
        });
      }

      it(`compares a filter value with an offset as that instant, whoever asks (${via})`, async () => {
        for (const user of [prague, newYork, utc, zoneless]) {
          const ids = await idsOf(server, 'event', only([{ property: 'at', type: 'gte', param: '2026-05-22T09:00:00+02:00' }]), via, { key: user.key });
          expect(ids).to.have.members([x, y]);
          const lt = await idsOf(server, 'event', only([{ property: 'at', type: 'lt', param: '2026-05-22T04:00:00-04:00' }]), via, { key: user.key });
          expect(lt).to.deep.equal([x]);
        }
      });

      it(`reads a naive created_on filter in the caller’s zone (${via})`, async () => {
        const probeOnly = (user: TestUser, type: string, param: string) =>
          idsOf(server, 'event', [{ property: 'note', type: 'eq', param: 'created-probe' }, { property: 'created_on', type, param }], via, { key: user.key });
        const created = probe.created_on as string;
        const wallPrague = naive(inZone(created, PRAGUE), ' ');
        const wallNewYork = naive(inZone(created, NEW_YORK));
        const nextSecondPrague = naive(inZone(Date.parse(created) + 1000, PRAGUE), ' ');
        expect(await probeOnly(prague, 'gte', wallPrague)).to.deep.equal([probe.id]);
        expect(await probeOnly(prague, 'lt', wallPrague)).to.deep.equal([]);
        expect(await probeOnly(prague, 'lt', nextSecondPrague)).to.deep.equal([probe.id]);
        expect(await probeOnly(newYork, 'gte', wallNewYork)).to.deep.equal([probe.id]);
        expect(await probeOnly(newYork, 'lt', wallNewYork)).to.deep.equal([]);
        // The Prague wall clock read in New York is six hours later than the item.
        expect(await probeOnly(newYork, 'gte', wallPrague)).to.deep.equal([]);
        expect(await probeOnly(newYork, 'lt', wallPrague)).to.deep.equal([probe.id]);
      });
    }
  });

  describe('calendar fields (date = pDate, month = pMonth)', () => {
    const cases: [string, string, Record<string, string>, { day?: string; month?: string }][] = [
      ['plain calendar values', 'ny', { day: '2026-05-22', month: '2026-05' }, { day: '2026-05-22', month: '2026-05' }],
      ['a datetime late in the evening west of UTC', 'prague', { day: '2026-05-22T23:30:00-04:00', month: '2026-05-31T23:30:00-04:00' }, { day: '2026-05-22', month: '2026-05' }],
      ['a datetime just after midnight east of UTC', 'ny', { day: '2026-05-22T00:30:00+02:00', month: '2026-06-01T00:30:00+02:00' }, { day: '2026-05-22', month: '2026-06' }],
      ['a UTC datetime', 'prague', { day: '2026-05-22T09:00:00Z', month: '2026-05-22T09:00:00Z' }, { day: '2026-05-22', month: '2026-05' }],
      ['a naive datetime', 'ny', { day: '2026-05-22 23:30:00', month: '2026-05-22 23:30:00' }, { day: '2026-05-22', month: '2026-05' }],
      ['a date on a DST change', 'prague', { day: '2026-03-29', month: '2026-03' }, { day: '2026-03-29', month: '2026-03' }],
      ['a datetime on a DST change', 'ny', { day: '2026-11-01T01:30:00-04:00' }, { day: '2026-11-01' }],
    ];
    for (const [label, writer, body, expected] of cases) {
      it(`keeps the date portion as written for ${label}, for every reader`, async () => {
        const item = await create(writer === 'ny' ? newYork.key : prague.key, body);
        const row = await storedRow(server, item.id);
        for (const [field, value] of Object.entries(expected)) {
          expect(item[field], `${field} in the create response`).to.equal(value);
          expect(row.data[field], `${field} as stored`).to.equal(value);
          for (const reader of [prague, newYork, utc, zoneless]) {
            expect((await get(reader.key, item.id)).body[field], `${field} read by ${reader.login}`).to.equal(value);
          }
        }
      });
    }

    it('does not shift calendar values when the tenant default or the user zone changes', async () => {
      const item = await create(zoneless.key, { day: '2026-05-22', month: '2026-05' });
      try {
        await setTenantZone('Pacific/Kiritimati');
        const far = await get(zoneless.key, item.id);
        expect(far.body).to.include({ day: '2026-05-22', month: '2026-05' });
        await setTenantZone('Pacific/Pago_Pago');
        expect((await get(zoneless.key, item.id)).body).to.include({ day: '2026-05-22', month: '2026-05' });
        const fromFarWest = await create(zoneless.key, { day: '2026-05-22 23:30:00' });
        expect(fromFarWest.day).to.equal('2026-05-22');
      } finally {
        await setTenantZone(originalZone);
      }
    });

    for (const via of BOTH) {
      it(`filters calendar values by their date, whoever asks (${via})`, async () => {
        const note = `calendar-filter ${via}`;
        const item = await create(prague.key, { note, day: '2026-05-22', month: '2026-05' });
        for (const user of [prague, newYork]) {
          for (const param of ['2026-05-22', '2026-05-22T23:30:00-04:00', '2026-05-22T00:30:00+02:00', '2026-05-22 23:59:59']) {
            const ids = await idsOf(server, 'event', [{ property: 'note', type: 'eq', param: note }, { property: 'day', type: 'eq', param }], via, { key: user.key });
            expect(ids, `${user.login} day eq ${param}`).to.deep.equal([item.id]);
          }
          const months = await idsOf(server, 'event', [{ property: 'note', type: 'eq', param: note }, { property: 'month', type: 'eq', param: '2026-05' }], via, { key: user.key });
          expect(months).to.deep.equal([item.id]);
        }
      });
    }
  });

  describe('DST changes', () => {
    // [zone, UTC instant sent, what a user of that zone reads]
    const instants: [string, string, string][] = [
      [PRAGUE, '2026-03-29T00:59:59Z', '2026-03-29T01:59:59+01:00'],
      [PRAGUE, '2026-03-29T01:00:00Z', '2026-03-29T03:00:00+02:00'],
      [PRAGUE, '2026-10-25T00:30:00Z', '2026-10-25T02:30:00+02:00'],
      [PRAGUE, '2026-10-25T00:59:59Z', '2026-10-25T02:59:59+02:00'],
      [PRAGUE, '2026-10-25T01:00:00Z', '2026-10-25T02:00:00+01:00'],
      [PRAGUE, '2026-10-25T01:30:00Z', '2026-10-25T02:30:00+01:00'],
      [NEW_YORK, '2026-03-08T06:59:59Z', '2026-03-08T01:59:59-05:00'],
      [NEW_YORK, '2026-03-08T07:00:00Z', '2026-03-08T03:00:00-04:00'],
      [NEW_YORK, '2026-11-01T05:30:00Z', '2026-11-01T01:30:00-04:00'],
      [NEW_YORK, '2026-11-01T05:59:59Z', '2026-11-01T01:59:59-04:00'],
      [NEW_YORK, '2026-11-01T06:00:00Z', '2026-11-01T01:00:00-05:00'],
      [NEW_YORK, '2026-11-01T06:30:00Z', '2026-11-01T01:30:00-05:00'],
    ];
    const userOf = (zone: string) => (zone === PRAGUE ? prague : newYork);

    it('shows the right offset on each side of every change', async () => {
      for (const [zone, sent, shown] of instants) {
        const item = await create(utc.key, { at: sent });
        expect((await get(userOf(zone).key, item.id)).body.at, `${sent} in ${zone}`).to.equal(shown);
      }
    });

    it('shows a multi-value datetime across a change with one offset per value', async () => {
      const item = await create(utc.key, { ats: ['2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z'] });
      expect((await get(prague.key, item.id)).body.ats).to.deep.equal([
        '2026-03-29T01:30:00+01:00', '2026-03-29T03:30:00+02:00', '2026-10-25T02:30:00+02:00', '2026-10-25T02:30:00+01:00',
      ]);
    });

    // [zone, naive wall clock, stored UTC, shown] on either side of a change
    const sides: [string, string, string, string][] = [
      [PRAGUE, '2026-03-29 01:30:00', '2026-03-29T00:30:00.000Z', '2026-03-29T01:30:00+01:00'],
      [PRAGUE, '2026-03-29 03:30:00', '2026-03-29T01:30:00.000Z', '2026-03-29T03:30:00+02:00'],
      [PRAGUE, '2026-10-25 01:30:00', '2026-10-24T23:30:00.000Z', '2026-10-25T01:30:00+02:00'],
      [PRAGUE, '2026-10-25 03:30:00', '2026-10-25T02:30:00.000Z', '2026-10-25T03:30:00+01:00'],
      [NEW_YORK, '2026-03-08 01:30:00', '2026-03-08T06:30:00.000Z', '2026-03-08T01:30:00-05:00'],
      [NEW_YORK, '2026-03-08 03:30:00', '2026-03-08T07:30:00.000Z', '2026-03-08T03:30:00-04:00'],
      [NEW_YORK, '2026-11-01 00:30:00', '2026-11-01T04:30:00.000Z', '2026-11-01T00:30:00-04:00'],
      [NEW_YORK, '2026-11-01 02:30:00', '2026-11-01T07:30:00.000Z', '2026-11-01T02:30:00-05:00'],
    ];
    it('reads naive values next to a change with the offset of their side', async () => {
      for (const [zone, sent, stored, shown] of sides) {
        const item = await create(userOf(zone).key, { at: sent });
        expect(item.at, `${sent} in ${zone}`).to.equal(shown);
        expect((await storedRow(server, item.id)).data.at, `${sent} in ${zone}`).to.equal(stored);
      }
    });

    // [skipped | repeated, zone, naive wall clock, the two instants it could mean]
    const gaps: [string, string, string, string[]][] = [
      ['skipped', PRAGUE, '2026-03-29 02:30:00', ['2026-03-29T00:30:00.000Z', '2026-03-29T01:30:00.000Z']],
      ['repeated', PRAGUE, '2026-10-25 02:30:00', ['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']],
      ['skipped', NEW_YORK, '2026-03-08 02:30:00', ['2026-03-08T06:30:00.000Z', '2026-03-08T07:30:00.000Z']],
      ['repeated', NEW_YORK, '2026-11-01 01:30:00', ['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']],
    ];
    for (const [kind, zone, wall, options] of gaps) {
      it(`accepts the ${kind} wall clock ${wall} in ${zone} as one of its instants, and finds it again by the same naive filter`, async () => {
        const user = userOf(zone);
        const res = await server.request('POST', '/api/v1/collection/event', { key: user.key, body: { note: `gap ${wall}`, at: wall, ats: [wall.replace(' ', 'T')] } });
        expect(res.status, res.text).to.equal(201);
        const stored = (await storedRow(server, res.body.id)).data;
        expect(options).to.include(stored.at);
        expect(stored.ats).to.deep.equal([stored.at]);
        expect(res.body.at).to.equal(inZone(stored.at as string, zone));
        for (const via of BOTH) {
          const ids = await idsOf(server, 'event', [{ property: 'note', type: 'eq', param: `gap ${wall}` }, { property: 'at', type: 'eq', param: wall }], via, { key: user.key });
          expect(ids, via).to.deep.equal([res.body.id]);
          const around = await idsOf(server, 'event', [{ property: 'note', type: 'eq', param: `gap ${wall}` }, { property: 'created_on', type: 'lte', param: wall }], via, { key: user.key });
          expect(around, `${via}: created_on is now, after ${wall}`).to.deep.equal([]);
        }
      });
    }
  });

  describe('the seed’s Summary table, for a Prague user', () => {
    const rows: [string, string][] = [
      ['2026-05-22T09:00:00+02:00', 'with the Prague summer offset'],
      ['2026-05-22T07:00:00Z', 'in UTC'],
      ['2026-05-22T03:00:00-04:00', 'with the New York summer offset'],
      ['2026-05-22 09:00:00', 'naive (the user’s zone is Prague)'],
    ];
    for (const [sent, label] of rows) {
      for (const who of ['a user whose zone is Prague', 'a zoneless user of a Prague tenant']) {
        it(`${sent} (${label}) is stored as 2026-05-22 07:00:00 UTC and read back as 2026-05-22T09:00:00+02:00 by ${who}`, async () => {
          const user = who.startsWith('a user') ? prague : zoneless;
          if (user === zoneless) await setTenantZone(PRAGUE);
          try {
            const item = await create(user.key, { at: sent });
            expect(item.at).to.equal('2026-05-22T09:00:00+02:00');
            expect((await storedRow(server, item.id)).data.at).to.equal('2026-05-22T07:00:00.000Z');
            expect((await get(user.key, item.id)).body.at).to.equal('2026-05-22T09:00:00+02:00');
            expect((await get(utc.key, item.id)).body.at).to.equal('2026-05-22T07:00:00+00:00');
          } finally {
            if (user === zoneless) await setTenantZone(originalZone);
          }
        });
      }
    }
    it('2026-05-22 for a pDate field is stored as the calendar date 2026-05-22 and read back as 2026-05-22', async () => {
      const item = await create(prague.key, { day: '2026-05-22' });
      expect(item.day).to.equal('2026-05-22');
      expect((await storedRow(server, item.id)).data.day).to.equal('2026-05-22');
      expect((await get(prague.key, item.id)).body.day).to.equal('2026-05-22');
    });
  });
});
