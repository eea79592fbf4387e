// Filters on the generic collection (seed 001 "Filtering And Field Shape", seed 004 "Generic
// collection"): every operator on the system fields and on each property kind, as a JSON
// `filters` query on GET and as a SEARCH body, each answering exactly the expected items.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { TestUser } from '../helpers/principals.ts';
import { RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aType, anItem, aUserWithGrants, BOTH, idsOf, list, sleep, userIdOf, type Via } from '../helpers/filters.ts';

type Key = 'A' | 'B' | 'C' | 'D' | 'E';
type Item = Record<string, any>;

interface Fixture {
  items: Record<Key, Item>;
  owners: { o1: number; o2: number };
  adminId: number;
  writerId: number;
}

interface Case {
  name: string;
  filters: (f: Fixture) => unknown[];
  /** The keys of the expected items, e.g. 'ACD' ('' for none). */
  expected: string | ((f: Fixture) => string);
}

const f = {} as Fixture;
const KEYS: Key[] = ['A', 'B', 'C', 'D', 'E'];
const flt = (property: string, type: string, param?: unknown) => (param === undefined ? { property, type } : { property, type, param });
const one = (property: string, type: string, param?: (fx: Fixture) => unknown) => (fx: Fixture) => [flt(property, type, param ? param(fx) : undefined)];
const c = (name: string, filters: (fx: Fixture) => unknown[], expected: Case['expected']): Case => ({ name, filters, expected });
// System timestamps are whole seconds and items are 1.1 s apart: half a second past one
// emitted value lies strictly between it and the next item's.
const second = 500;
/** The instant of an emitted datetime, moved by `ms`, as ISO UTC. */
const at = (emitted: string, ms = 0) => new Date(Date.parse(emitted) + ms).toISOString();
const idsFor = (keys: string) => keys.split('').map((k) => f.items[k as Key].id);
const keysBy = (pick: (item: Item) => boolean) => KEYS.filter((k) => pick(f.items[k])).join('');

// A: admin, B: admin, C: admin (patched later by the writer), D and E: the writer. E has no values.
const BODIES: Record<Key, (o: Fixture['owners']) => Record<string, unknown>> = {
  A: (o) => ({
    name: 'Alpha', notes: 'The quick brown fox', qty: 1, price: 1.5, active: true, due_at: '2026-01-10T10:00:00Z',
    due_on: '2026-01-10', period: '2026-01', status: 'open', owner: o.o1, labels: ['red', 'blue'],
  }),
  B: (o) => ({
    name: 'Beta', notes: 'Lazy dog', qty: 5, price: 2.25, active: false, due_at: '2026-03-01T00:00:00Z',
    due_on: '2026-03-01', period: '2026-03', status: 'in_progress', owner: o.o2, labels: ['blue'],
  }),
  C: (o) => ({
    // qty 9 here, 10 after the writer's PATCH: a PATCH that changes no value stamps nothing (issue 7).
    name: 'Gamma', notes: 'Quick silver', qty: 9, price: -3.5, active: true, due_at: '2026-06-15T12:30:00Z',
    due_on: '2026-06-15', period: '2026-06', status: 'done', owner: o.o1, labels: ['green'],
  }),
  D: () => ({ name: 'Alphabet soup', qty: -2, price: 100, active: false, status: 'open', labels: ['red'] }),
  E: () => ({}),
};

const SYSTEM_CASES: Record<string, Case[]> = {
  id: [
    c('eq', one('id', 'eq', (x) => x.items.B.id), 'B'),
    c('eq with a numeric string', one('id', 'eq', (x) => String(x.items.B.id)), 'B'),
    c('neq', one('id', 'neq', (x) => x.items.B.id), 'ACDE'),
    c('in', one('id', 'in', (x) => [x.items.A.id, x.items.C.id, 987654]), 'AC'),
    c('notIn', one('id', 'notIn', (x) => [x.items.A.id, x.items.C.id]), 'BDE'),
    c('lt', one('id', 'lt', (x) => x.items.C.id), 'AB'),
    c('lte', one('id', 'lte', (x) => x.items.C.id), 'ABC'),
    c('gt', one('id', 'gt', (x) => x.items.C.id), 'DE'),
    c('gte', one('id', 'gte', (x) => x.items.C.id), 'CDE'),
    c('between (inclusive)', one('id', 'between', (x) => [x.items.B.id, x.items.D.id]), 'BCD'),
    c('isNull', one('id', 'isNull'), ''),
    c('isNotNull', one('id', 'isNotNull'), 'ABCDE'),
  ],
  uuid: [
    c('eq', one('uuid', 'eq', (x) => x.items.B.uuid), 'B'),
    c('neq', one('uuid', 'neq', (x) => x.items.B.uuid), 'ACDE'),
    c('in', one('uuid', 'in', (x) => [x.items.A.uuid, x.items.E.uuid]), 'AE'),
    c('notIn', one('uuid', 'notIn', (x) => [x.items.A.uuid, x.items.E.uuid]), 'BCD'),
    c('lt', one('uuid', 'lt', (x) => x.items.C.uuid), () => keysBy((i) => i.uuid < f.items.C.uuid)),
    c('lte', one('uuid', 'lte', (x) => x.items.C.uuid), () => keysBy((i) => i.uuid <= f.items.C.uuid)),
    c('gt', one('uuid', 'gt', (x) => x.items.C.uuid), () => keysBy((i) => i.uuid > f.items.C.uuid)),
    c('gte', one('uuid', 'gte', (x) => x.items.C.uuid), () => keysBy((i) => i.uuid >= f.items.C.uuid)),
    c('between', one('uuid', 'between', (x) => [x.items.B.uuid, x.items.D.uuid].sort()), () => {
      const [lo, hi] = [f.items.B.uuid, f.items.D.uuid].sort();
      return keysBy((i) => i.uuid >= lo && i.uuid <= hi);
    }),
    c('contains (any case)', one('uuid', 'contains', (x) => x.items.B.uuid.slice(9, 23).toUpperCase()), 'B'),
    c('startsWith', one('uuid', 'startsWith', (x) => x.items.B.uuid.slice(0, 13)), 'B'),
    c('isNull', one('uuid', 'isNull'), ''),
    c('isNotNull', one('uuid', 'isNotNull'), 'ABCDE'),
  ],
  // Items were created 1.1 s apart and C was patched 1.1 s after E, so values taken from the
  // responses (whole seconds) separate them.
  created_on: [
    c('lt', one('created_on', 'lt', (x) => x.items.B.created_on), 'A'),
    c('lte', one('created_on', 'lte', (x) => at(x.items.B.created_on, second)), 'AB'),
    c('gt', one('created_on', 'gt', (x) => at(x.items.B.created_on, second)), 'CDE'),
    c('gte (value with the offset as emitted)', one('created_on', 'gte', (x) => x.items.B.created_on), 'BCDE'),
    c('between', one('created_on', 'between', (x) => [x.items.B.created_on, at(x.items.C.created_on, second)]), 'BC'),
    c('isNull', one('created_on', 'isNull'), ''),
    c('isNotNull', one('created_on', 'isNotNull'), 'ABCDE'),
  ],
  updated_on: [
    c('lt', one('updated_on', 'lt', (x) => x.items.C.updated_on), 'ABDE'),
    c('lte', one('updated_on', 'lte', (x) => at(x.items.A.updated_on, second)), 'A'),
    c('gt', one('updated_on', 'gt', (x) => at(x.items.E.updated_on, second)), 'C'),
    c('gte', one('updated_on', 'gte', (x) => x.items.C.updated_on), 'C'),
    c('between', one('updated_on', 'between', (x) => [x.items.D.updated_on, at(x.items.E.updated_on, second)]), 'DE'),
    c('isNull', one('updated_on', 'isNull'), ''),
    c('isNotNull', one('updated_on', 'isNotNull'), 'ABCDE'),
  ],
  created_by: [
    c('eq', one('created_by', 'eq', (x) => x.adminId), 'ABC'),
    c('eq with a numeric string', one('created_by', 'eq', (x) => String(x.writerId)), 'DE'),
    c('neq', one('created_by', 'neq', (x) => x.adminId), 'DE'),
    c('in', one('created_by', 'in', (x) => [x.writerId, 987654]), 'DE'),
    c('notIn', one('created_by', 'notIn', (x) => [x.writerId]), 'ABC'),
    c('lt', one('created_by', 'lt', (x) => x.writerId), 'ABC'),
    c('lte', one('created_by', 'lte', (x) => x.adminId), 'ABC'),
    c('gt', one('created_by', 'gt', (x) => x.adminId), 'DE'),
    c('gte', one('created_by', 'gte', (x) => x.writerId), 'DE'),
    c('between', one('created_by', 'between', (x) => [x.adminId, x.adminId]), 'ABC'),
    c('isNull', one('created_by', 'isNull'), ''),
    c('isNotNull', one('created_by', 'isNotNull'), 'ABCDE'),
  ],
  updated_by: [
    c('eq', one('updated_by', 'eq', (x) => x.writerId), 'CDE'),
    c('neq', one('updated_by', 'neq', (x) => x.writerId), 'AB'),
    c('in', one('updated_by', 'in', (x) => [x.adminId]), 'AB'),
    c('notIn', one('updated_by', 'notIn', (x) => [x.adminId]), 'CDE'),
    c('lt', one('updated_by', 'lt', (x) => x.writerId), 'AB'),
    c('lte', one('updated_by', 'lte', (x) => x.writerId), 'ABCDE'),
    c('gt', one('updated_by', 'gt', (x) => x.adminId), 'CDE'),
    c('gte', one('updated_by', 'gte', (x) => x.adminId), 'ABCDE'),
    c('between', one('updated_by', 'between', (x) => [x.writerId, x.writerId + 1000]), 'CDE'),
    c('isNull', one('updated_by', 'isNull'), ''),
    c('isNotNull', one('updated_by', 'isNotNull'), 'ABCDE'),
  ],
};

const v = (value: unknown) => () => value;

const PROPERTY_CASES: Record<string, Case[]> = {
  'name (string)': [
    c('eq', one('name', 'eq', v('Alpha')), 'A'),
    c('neq (items without a value included)', one('name', 'neq', v('Alpha')), 'BCDE'),
    c('in', one('name', 'in', v(['Alpha', 'Gamma', 'Nope'])), 'AC'),
    c('notIn', one('name', 'notIn', v(['Alpha', 'Gamma'])), 'BDE'),
    c('lt', one('name', 'lt', v('Beta')), 'AD'),
    c('lte', one('name', 'lte', v('Beta')), 'ABD'),
    c('gt', one('name', 'gt', v('Beta')), 'C'),
    c('gte', one('name', 'gte', v('Beta')), 'BC'),
    c('between', one('name', 'between', v(['B', 'H'])), 'BC'),
    c('contains (case-insensitive)', one('name', 'contains', v('ALPHA')), 'AD'),
    c('contains in the middle', one('name', 'contains', v('et so')), 'D'),
    c('startsWith', one('name', 'startsWith', v('Alphab')), 'D'),
    c('isNull', one('name', 'isNull'), 'E'),
    c('isNotNull', one('name', 'isNotNull'), 'ABCD'),
  ],
  'notes (text)': [
    c('eq', one('notes', 'eq', v('Lazy dog')), 'B'),
    c('neq', one('notes', 'neq', v('Lazy dog')), 'ACDE'),
    c('in', one('notes', 'in', v(['Lazy dog', 'Quick silver'])), 'BC'),
    c('notIn', one('notes', 'notIn', v(['Lazy dog', 'Quick silver'])), 'ADE'),
    c('lt', one('notes', 'lt', v('M')), 'B'),
    c('lte', one('notes', 'lte', v('Quick silver')), 'BC'),
    c('gt', one('notes', 'gt', v('Quick silver')), 'A'),
    c('gte', one('notes', 'gte', v('Q')), 'AC'),
    c('between', one('notes', 'between', v(['L', 'R'])), 'BC'),
    c('contains (case-insensitive)', one('notes', 'contains', v('quick')), 'AC'),
    c('startsWith', one('notes', 'startsWith', v('The ')), 'A'),
    c('isNull', one('notes', 'isNull'), 'DE'),
    c('isNotNull', one('notes', 'isNotNull'), 'ABC'),
  ],
  'qty (integer)': [
    c('eq', one('qty', 'eq', v(5)), 'B'),
    c('eq with a negative value', one('qty', 'eq', v(-2)), 'D'),
    c('neq', one('qty', 'neq', v(5)), 'ACDE'),
    c('in', one('qty', 'in', v([1, 10, 99])), 'AC'),
    c('notIn', one('qty', 'notIn', v([1, 10])), 'BDE'),
    c('lt', one('qty', 'lt', v(1)), 'D'),
    c('lte', one('qty', 'lte', v(1)), 'AD'),
    c('gt', one('qty', 'gt', v(5)), 'C'),
    c('gte', one('qty', 'gte', v(5)), 'BC'),
    c('between', one('qty', 'between', v([0, 5])), 'AB'),
    c('isNull', one('qty', 'isNull'), 'E'),
    c('isNotNull', one('qty', 'isNotNull'), 'ABCD'),
  ],
  'price (number)': [
    c('eq', one('price', 'eq', v(2.25)), 'B'),
    c('neq', one('price', 'neq', v(2.25)), 'ACDE'),
    c('in', one('price', 'in', v([1.5, -3.5])), 'AC'),
    c('notIn', one('price', 'notIn', v([1.5, -3.5])), 'BDE'),
    c('lt', one('price', 'lt', v(0)), 'C'),
    c('lte', one('price', 'lte', v(1.5)), 'AC'),
    c('gt', one('price', 'gt', v(2)), 'BD'),
    c('gte', one('price', 'gte', v(2.25)), 'BD'),
    c('between', one('price', 'between', v([1.5, 2.25])), 'AB'),
    c('isNull', one('price', 'isNull'), 'E'),
    c('isNotNull', one('price', 'isNotNull'), 'ABCD'),
  ],
  'active (boolean)': [
    c('eq true', one('active', 'eq', v(true)), 'AC'),
    c('eq false', one('active', 'eq', v(false)), 'BD'),
    c('neq', one('active', 'neq', v(true)), 'BDE'),
    c('in', one('active', 'in', v([false])), 'BD'),
    c('notIn', one('active', 'notIn', v([false])), 'ACE'),
    c('isNull', one('active', 'isNull'), 'E'),
    c('isNotNull', one('active', 'isNotNull'), 'ABCD'),
  ],
  'due_at (datetime)': [
    c('eq (another offset, same instant)', one('due_at', 'eq', v('2026-03-01T01:00:00+01:00')), 'B'),
    c('neq', one('due_at', 'neq', v('2026-03-01T00:00:00Z')), 'ACDE'),
    c('in', one('due_at', 'in', v(['2026-01-10T05:00:00-05:00', '2026-06-15T12:30:00.000Z'])), 'AC'),
    c('notIn', one('due_at', 'notIn', v(['2026-01-10T10:00:00Z', '2026-06-15T12:30:00Z'])), 'BDE'),
    c('lt', one('due_at', 'lt', v('2026-03-01T00:00:00Z')), 'A'),
    c('lte', one('due_at', 'lte', v('2026-03-01T00:00:00Z')), 'AB'),
    c('gt', one('due_at', 'gt', v('2026-03-01T00:00:00Z')), 'C'),
    c('gte', one('due_at', 'gte', v('2026-02-28T19:00:00-05:00')), 'BC'),
    c('between', one('due_at', 'between', v(['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'])), 'AB'),
    c('isNull', one('due_at', 'isNull'), 'DE'),
    c('isNotNull', one('due_at', 'isNotNull'), 'ABC'),
  ],
  'due_on (date)': [
    c('eq', one('due_on', 'eq', v('2026-03-01')), 'B'),
    c('eq with a datetime keeps its date portion', one('due_on', 'eq', v('2026-03-01T23:30:00-04:00')), 'B'),
    c('neq', one('due_on', 'neq', v('2026-03-01')), 'ACDE'),
    c('in', one('due_on', 'in', v(['2026-01-10', '2026-06-15'])), 'AC'),
    c('notIn', one('due_on', 'notIn', v(['2026-01-10', '2026-06-15'])), 'BDE'),
    c('lt', one('due_on', 'lt', v('2026-03-01')), 'A'),
    c('lte', one('due_on', 'lte', v('2026-03-01')), 'AB'),
    c('gt', one('due_on', 'gt', v('2026-03-01')), 'C'),
    c('gte', one('due_on', 'gte', v('2026-03-01')), 'BC'),
    c('between', one('due_on', 'between', v(['2026-03-01', '2026-12-31'])), 'BC'),
    c('isNull', one('due_on', 'isNull'), 'DE'),
    c('isNotNull', one('due_on', 'isNotNull'), 'ABC'),
  ],
  'period (month)': [
    c('eq', one('period', 'eq', v('2026-06')), 'C'),
    c('neq', one('period', 'neq', v('2026-06')), 'ABDE'),
    c('in', one('period', 'in', v(['2026-01', '2026-03'])), 'AB'),
    c('notIn', one('period', 'notIn', v(['2026-01', '2026-03'])), 'CDE'),
    c('lt', one('period', 'lt', v('2026-03')), 'A'),
    c('lte', one('period', 'lte', v('2026-03')), 'AB'),
    c('gt', one('period', 'gt', v('2026-03')), 'C'),
    c('gte', one('period', 'gte', v('2026-03')), 'BC'),
    c('between', one('period', 'between', v(['2026-02', '2026-06'])), 'BC'),
    c('isNull', one('period', 'isNull'), 'DE'),
    c('isNotNull', one('period', 'isNotNull'), 'ABC'),
  ],
  'status (enum)': [
    c('eq', one('status', 'eq', v('open')), 'AD'),
    c('neq', one('status', 'neq', v('open')), 'BCE'),
    c('in', one('status', 'in', v(['open', 'done'])), 'ACD'),
    c('notIn', one('status', 'notIn', v(['open', 'done'])), 'BE'),
    c('contains', one('status', 'contains', v('PROG')), 'B'),
    c('startsWith', one('status', 'startsWith', v('do')), 'C'),
    c('isNull', one('status', 'isNull'), 'E'),
    c('isNotNull', one('status', 'isNotNull'), 'ABCD'),
  ],
  'owner (reference)': [
    c('eq', one('owner', 'eq', (x) => x.owners.o1), 'AC'),
    c('neq', one('owner', 'neq', (x) => x.owners.o1), 'BDE'),
    c('in', one('owner', 'in', (x) => [x.owners.o2]), 'B'),
    c('notIn', one('owner', 'notIn', (x) => [x.owners.o2]), 'ACDE'),
    c('lt', one('owner', 'lt', (x) => x.owners.o2), 'AC'),
    c('lte', one('owner', 'lte', (x) => x.owners.o2), 'ABC'),
    c('gt', one('owner', 'gt', (x) => x.owners.o1), 'B'),
    c('gte', one('owner', 'gte', (x) => x.owners.o1), 'ABC'),
    c('between', one('owner', 'between', (x) => [x.owners.o2, x.owners.o2]), 'B'),
    c('isNull', one('owner', 'isNull'), 'DE'),
    c('isNotNull', one('owner', 'isNotNull'), 'ABC'),
  ],
  'labels (multi-value string)': [
    c('eq matches any value', one('labels', 'eq', v('blue')), 'AB'),
    c('neq matches items holding none', one('labels', 'neq', v('blue')), 'CDE'),
    c('in matches any value', one('labels', 'in', v(['red', 'green'])), 'ACD'),
    c('notIn matches items holding none', one('labels', 'notIn', v(['red', 'green'])), 'BE'),
    c('lt', one('labels', 'lt', v('c')), 'AB'),
    c('lte', one('labels', 'lte', v('green')), 'ABC'),
    c('gt', one('labels', 'gt', v('green')), 'AD'),
    c('gte', one('labels', 'gte', v('red')), 'AD'),
    c('between', one('labels', 'between', v(['c', 'h'])), 'C'),
    c('contains', one('labels', 'contains', v('EE')), 'C'),
    c('startsWith', one('labels', 'startsWith', v('bl')), 'AB'),
    c('isNull', one('labels', 'isNull'), 'E'),
    c('isNotNull', one('labels', 'isNotNull'), 'ABCD'),
  ],
};

const COMBINED: Case[] = [
  c('three filters on three kinds', (x) => [flt('status', 'in', ['open', 'done']), flt('qty', 'gt', 0), flt('labels', 'eq', 'red')], 'A'),
  c('a system field and a property', (x) => [flt('created_by', 'eq', x.writerId), flt('notes', 'isNull')], 'DE'),
  c('two filters on the same property (a range)', () => [flt('qty', 'gte', 1), flt('qty', 'lt', 10)], 'AB'),
  c('filters that exclude each other', () => [flt('active', 'eq', true), flt('active', 'eq', false)], ''),
  c('a multi-value negation with a datetime range', () => [flt('labels', 'notIn', ['green']), flt('due_at', 'lte', '2026-03-01T00:00:00Z')], 'AB'),
  c('reference, date and month together', (x) => [flt('owner', 'eq', x.owners.o1), flt('due_on', 'gte', '2026-02-01'), flt('period', 'isNotNull')], 'C'),
];

async function expectError(server: TestServer, filters: unknown, via: Via, status: number, code: string) {
  const res = await list(server, 'gadget', filters, via);
  expect(res.status, `${via} ${typeof filters === 'string' ? filters : JSON.stringify(filters)} → ${res.text}`).to.equal(status);
  expect(res.body.code, res.text).to.equal(code);
  return res;
}

describe('filters on GET and SEARCH /collection/{collection}', function () {
  this.timeout(120_000);
  let server: TestServer;
  let writer: TestUser;

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    const owner = await aType(server, { systemName: 'owner', properties: [{ systemName: 'label', kind: 'string' }] });
    const gadget = await aType(server, {
      systemName: 'gadget',
      name: 'Gadget',
      properties: [
        { systemName: 'name', kind: 'string' },
        { systemName: 'notes', kind: 'text' },
        { systemName: 'qty', kind: 'integer' },
        { systemName: 'price', kind: 'number' },
        { systemName: 'active', kind: 'boolean' },
        { systemName: 'due_at', kind: 'datetime' },
        { systemName: 'due_on', kind: 'date' },
        { systemName: 'period', kind: 'month' },
        { systemName: 'status', kind: 'enum', enumValues: ['open', 'in_progress', 'done'] },
        { systemName: 'owner', kind: 'reference', referenceType: 'owner' },
        { systemName: 'labels', kind: 'string', multiple: true },
      ],
    });
    await aType(server, { systemName: 'stamp', properties: [{ systemName: 'at', kind: 'datetime' }] });
    writer = await aUserWithGrants(server, ['useApi', 'profile'], [
      { typeId: gadget.id, show: true, create: true, edit: true },
      { typeId: owner.id, show: true },
    ]);
    f.adminId = await userIdOf(server, server.adminKey);
    f.writerId = await userIdOf(server, writer.key);
    f.owners = {
      o1: (await anItem(server, 'owner', { label: 'first' })).id,
      o2: (await anItem(server, 'owner', { label: 'second' })).id,
    };
    f.items = {} as Record<Key, Item>;
    for (const key of KEYS) {
      const by = key === 'D' || key === 'E' ? writer.key : server.adminKey;
      f.items[key] = await anItem(server, 'gadget', BODIES[key](f.owners), by);
      await sleep(1100);
    }
    const patched = await server.request('PATCH', `/api/v1/collection/gadget/${f.items.C.id}`, { key: writer.key, body: { qty: 10 } });
    expect(patched.status, patched.text).to.equal(200);
    f.items.C = patched.body;
  });
  after(() => server?.stop());

  it('has the fixture it assumes (five items, distinct creation seconds, ids ascending)', () => {
    const ids = KEYS.map((k) => f.items[k].id);
    expect([...ids].sort((a, b) => a - b)).to.deep.equal(ids);
    expect(f.adminId).to.be.below(f.writerId);
    expect(f.owners.o1).to.be.below(f.owners.o2);
    expect(f.items.C.updated_by).to.equal(f.writerId);
  });

  for (const via of BOTH) {
    const form = via === 'GET' ? 'as a JSON query parameter on GET' : 'in a SEARCH body';
    describe(`filters ${form}`, () => {
      for (const [field, cases] of Object.entries(SYSTEM_CASES)) {
        describe(`on the system field ${field}`, () => {
          for (const { name, filters, expected } of cases) {
            it(`${name} answers exactly the expected items`, async () => {
              const want = typeof expected === 'function' ? expected(f) : expected;
              expect(await idsOf(server, 'gadget', filters(f), via)).to.have.members(idsFor(want));
            });
          }
        });
      }
      for (const [property, cases] of Object.entries(PROPERTY_CASES)) {
        describe(`on the property ${property}`, () => {
          for (const { name, filters, expected } of cases) {
            it(`${name} answers exactly the expected items`, async () => {
              const want = typeof expected === 'function' ? expected(f) : expected;
              expect(await idsOf(server, 'gadget', filters(f), via)).to.have.members(idsFor(want));
            });
          }
        });
      }
      describe('when several filters are combined', () => {
        for (const { name, filters, expected } of COMBINED) {
          it(`${name}: all must hold`, async () => {
            expect(await idsOf(server, 'gadget', filters(f), via)).to.have.members(idsFor(expected as string));
          });
        }
      });
      describe('when the param is a datetime the API returned for the item', () => {
        // Responses carry whole seconds; a value read from the API must find its item again.
        it('eq created_on finds the item it was read from', async () => {
          expect(await idsOf(server, 'gadget', [flt('created_on', 'eq', f.items.B.created_on)], via)).to.have.members(idsFor('B'));
        });
        it('neq created_on leaves out the item it was read from', async () => {
          expect(await idsOf(server, 'gadget', [flt('created_on', 'neq', f.items.B.created_on)], via)).to.have.members(idsFor('ACDE'));
        });
        it('in / notIn created_on split the items exactly', async () => {
          const values = [f.items.A.created_on, f.items.C.created_on];
          expect(await idsOf(server, 'gadget', [flt('created_on', 'in', values)], via)).to.have.members(idsFor('AC'));
          expect(await idsOf(server, 'gadget', [flt('created_on', 'notIn', values)], via)).to.have.members(idsFor('BDE'));
        });
        it('eq / lte updated_on find the patched item', async () => {
          expect(await idsOf(server, 'gadget', [flt('updated_on', 'eq', f.items.C.updated_on)], via)).to.have.members(idsFor('C'));
          expect(await idsOf(server, 'gadget', [flt('updated_on', 'lte', f.items.B.updated_on)], via)).to.have.members(idsFor('AB'));
        });
        it('eq on a datetime property finds an item written with milliseconds by the value it reads back', async () => {
          const stamp = await anItem(server, 'stamp', { at: '2026-05-22T07:00:00.250Z' });
          const ids = await idsOf(server, 'stamp', [flt('at', 'eq', stamp.at), flt('id', 'eq', stamp.id)], via);
          expect(ids, `read back as ${stamp.at}`).to.deep.equal([stamp.id]);
        });
      });
    });
  }

  describe('when a filter names an unknown property', () => {
    for (const via of BOTH) {
      it(`answers 400 FILTER_UNKNOWN_PROPERTY (${via})`, async () => {
        const res = await expectError(server, [flt('nope', 'eq', 1)], via, 400, 'FILTER_UNKNOWN_PROPERTY');
        expect(res.body.message).to.include('nope');
      });
      it(`answers 400 FILTER_UNKNOWN_PROPERTY for a property of another type (${via})`, async () => {
        await expectError(server, [flt('label', 'eq', 'first')], via, 400, 'FILTER_UNKNOWN_PROPERTY');
      });
    }
  });

  describe('when a filter names an unknown operator', () => {
    it('answers 400 FILTER_UNKNOWN_OPERATOR (GET)', async () => {
      const res = await expectError(server, [flt('name', 'like', 'A%')], 'GET', 400, 'FILTER_UNKNOWN_OPERATOR');
      expect(res.body.message).to.include('like');
    });
    it('answers 400 FILTER_UNKNOWN_OPERATOR for a wrongly cased operator (GET)', async () => {
      await expectError(server, [flt('name', 'EQ', 'Alpha')], 'GET', 400, 'FILTER_UNKNOWN_OPERATOR');
    });
    it('answers 400 VALIDATION_FAILED naming the filter (SEARCH: the body schema lists the operators)', async () => {
      const res = await expectError(server, [flt('name', 'like', 'A%')], 'SEARCH', 400, 'VALIDATION_FAILED');
      expect(res.body.details.map((d: { path: string }) => d.path).join(' ')).to.include('filters');
    });
  });

  describe('when the operator does not apply to the kind', () => {
    const cases: [string, string, unknown][] = [
      ['qty', 'contains', '1'],
      ['price', 'startsWith', '1'],
      ['active', 'lt', true],
      ['active', 'between', [false, true]],
      ['status', 'gt', 'open'],
      ['due_at', 'contains', '2026'],
      ['due_on', 'startsWith', '2026'],
      ['owner', 'contains', '1'],
      ['id', 'contains', '1'],
      ['created_by', 'startsWith', '1'],
      ['created_on', 'contains', '2026'],
    ];
    for (const via of BOTH) {
      for (const [property, operator, param] of cases) {
        it(`answers 400 FILTER_OPERATOR_NOT_APPLICABLE for ${operator} on ${property} (${via})`, async () => {
          const res = await expectError(server, [flt(property, operator, param)], via, 400, 'FILTER_OPERATOR_NOT_APPLICABLE');
          expect(res.body.message).to.include(property);
        });
      }
    }
  });

  describe('when the param does not fit the property', () => {
    const cases: [string, { property: string; type: string; param?: unknown }][] = [
      ['a string for an integer', flt('qty', 'eq', 'five')],
      ['a fraction for an integer', flt('qty', 'gt', 1.5)],
      ['a string for a number', flt('price', 'lt', 'cheap')],
      ['a string for a boolean', flt('active', 'eq', 'true')],
      ['a non-array for in', flt('status', 'in', 'open')],
      ['a non-array for notIn', flt('qty', 'notIn', 5)],
      ['an empty array for in', flt('status', 'in', [])],
      ['three values for between', flt('qty', 'between', [1, 2, 3])],
      ['one value for between', flt('qty', 'between', [1])],
      ['a non-array for between', flt('qty', 'between', 5)],
      ['an unparseable datetime', flt('due_at', 'gt', 'not-a-date')],
      ['an unparseable datetime for created_on', flt('created_on', 'gte', 'yesterday')],
      ['an unparseable datetime inside between', flt('due_at', 'between', ['2026-01-01T00:00:00Z', 'soon'])],
      ['an impossible date', flt('due_on', 'eq', '2026-02-30')],
      ['an impossible month', flt('period', 'eq', '2026-13')],
      ['a value outside the enum', flt('status', 'eq', 'bogus')],
      ['a string for a reference', flt('owner', 'eq', 'first')],
      ['a string for id', flt('id', 'eq', 'abc')],
      ['a number for uuid', flt('uuid', 'eq', 123)],
      ['an array for eq', flt('qty', 'eq', [1])],
      ['an object for eq', flt('name', 'eq', { $ne: null })],
      ['no param for eq', flt('name', 'eq')],
      ['a number for contains', flt('name', 'contains', 42)],
      ['an empty string for startsWith', flt('name', 'startsWith', '')],
      ['a wrong value inside in', flt('qty', 'in', [1, 'two'])],
    ];
    for (const via of BOTH) {
      for (const [label, filter] of cases) {
        it(`answers 400 FILTER_INVALID_PARAM for ${label} (${via})`, async () => {
          const res = await expectError(server, [filter], via, 400, 'FILTER_INVALID_PARAM');
          expect(res.body.message).to.include(filter.property);
        });
      }
    }
  });

  describe('when the filters themselves are malformed', () => {
    const cases: [string, string][] = [
      ['malformed JSON', '[{"property":"name","type":"eq"'],
      ['JSON that is not an array', '{"property":"name","type":"eq","param":"Alpha"}'],
      ['a string', '"name"'],
      ['a filter without property', '[{"type":"eq","param":"Alpha"}]'],
      ['a filter with an empty property', '[{"property":"","type":"eq","param":"Alpha"}]'],
      ['a filter without type', '[{"property":"name","param":"Alpha"}]'],
      ['a filter that is not an object', '[1]'],
      ['a filter that is an array', '[["name","eq","Alpha"]]'],
    ];
    for (const [label, raw] of cases) {
      it(`answers 400 FILTER_INVALID for ${label} (GET)`, async () => {
        await expectError(server, raw, 'GET', 400, 'FILTER_INVALID');
      });
    }
    it('answers 400 FILTER_INVALID for more than 50 filters (GET)', async () => {
      await expectError(server, Array.from({ length: 51 }, () => flt('qty', 'isNotNull')), 'GET', 400, 'FILTER_INVALID');
    });
    it('answers 400 VALIDATION_FAILED for a SEARCH body whose filters are not an array or lack a property (the body schema)', async () => {
      for (const filters of [{ property: 'name', type: 'eq', param: 'x' }, [{ type: 'eq', param: 'x' }], '[]']) {
        const res = await expectError(server, filters, 'SEARCH', 400, 'VALIDATION_FAILED');
        expect(res.body.details.map((d: { path: string }) => d.path).join(' ')).to.include('filters');
      }
    });
    it('answers 200 with every item for an empty filter list', async () => {
      for (const via of BOTH) expect(await idsOf(server, 'gadget', [], via)).to.have.members(idsFor('ABCDE'));
    });
  });

  describe('when a list is ordered by a property some items lack', () => {
    const orders: [string, string, string][] = [
      ['qty', 'asc', 'DABC'],
      ['qty', 'desc', 'CBAD'],
      ['name', 'asc', 'ADBC'],
      ['name', 'desc', 'CBDA'],
      ['notes', 'asc', 'BCA'],
      ['notes', 'desc', 'ACB'],
      ['due_at', 'asc', 'ABC'],
      ['due_at', 'desc', 'CBA'],
      ['due_on', 'desc', 'CBA'],
      ['period', 'asc', 'ABC'],
      ['price', 'asc', 'CABD'],
      ['price', 'desc', 'DBAC'],
    ];
    for (const via of BOTH) {
      for (const [property, direction, present] of orders) {
        it(`puts items without ${property} last (${direction}, ${via})`, async () => {
          const ids = await idsOf(server, 'gadget', undefined, via, { orderBy: property, orderDir: direction as 'asc' | 'desc' });
          const missing = KEYS.filter((k) => !present.includes(k));
          expect(ids.slice(0, present.length)).to.deep.equal(idsFor(present));
          expect(ids.slice(present.length)).to.have.members(idsFor(missing.join('')));
        });
      }
      it(`orders a filtered list (${via})`, async () => {
        const ids = await idsOf(server, 'gadget', [flt('status', 'in', ['open', 'done'])], via, { orderBy: 'qty', orderDir: 'desc' });
        expect(ids).to.deep.equal(idsFor('CAD'));
      });
    }
  });

  describe('when values go beyond ASCII or beyond 500 characters', () => {
    const prefix = 'x'.repeat(500);
    const TEXTS = { longA: `${prefix}A tail`, longB: `${prefix}B tail`, czech: 'Žluťoučký kůň úpěl', plain: 'zlutoucky kun' };
    type Text = keyof typeof TEXTS;
    const essay = {} as Record<Text, number>;
    before(async () => {
      await aType(server, { systemName: 'essay', properties: [{ systemName: 'body', kind: 'text' }] });
      for (const [key, body] of Object.entries(TEXTS)) essay[key as Text] = (await anItem(server, 'essay', { body })).id;
    });
    const cases: [string, { property: string; type: string; param?: unknown }, Text[]][] = [
      ['eq a text longer than 500 characters matches only that text', flt('body', 'eq', TEXTS.longA), ['longA']],
      ['neq a text longer than 500 characters leaves out only that text', flt('body', 'neq', TEXTS.longA), ['longB', 'czech', 'plain']],
      ['in with a long text matches only that text', flt('body', 'in', [TEXTS.longB]), ['longB']],
      ['contains a fragment past the 500th character', flt('body', 'contains', 'b tail'), ['longB']],
      ['contains a non-ASCII fragment in its own case', flt('body', 'contains', 'luťou'), ['czech']],
      ['contains a non-ASCII fragment in another case (contains ignores case)', flt('body', 'contains', 'ŽLUŤOUČKÝ'), ['czech']],
      ['startsWith a non-ASCII prefix', flt('body', 'startsWith', 'Žluť'), ['czech']],
      ['eq a non-ASCII text', flt('body', 'eq', TEXTS.czech), ['czech']],
    ];
    for (const via of BOTH) {
      for (const [label, filter, expected] of cases) {
        it(`${label} (${via})`, async () => {
          expect(await idsOf(server, 'essay', [filter], via)).to.have.members(expected.map((k) => essay[k]));
        });
      }
    }
  });

  describe('when the list is asked for through POST /collection/{collection}/search', () => {
    it('applies the body filters as SEARCH does', async () => {
      const res = await server.request('POST', '/api/v1/collection/gadget/search', {
        key: server.adminKey,
        body: { filters: [flt('status', 'in', ['open', 'done']), flt('qty', 'gt', 0)], orderBy: 'qty', orderDir: 'desc' },
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.data.map((i: Item) => i.id)).to.deep.equal(idsFor('CA'));
    });
  });

  describe('when params look like SQL or hold LIKE wildcards', () => {
    const NAMES = {
      pct: '100% sure',
      pctNo: '100 percent',
      under: 'a_b',
      underNo: 'axb',
      slash: 'back\\slash',
      slashNo: 'backXslash',
      drop: 'Robert\'); DROP TABLE "Item";--',
      or: "x' OR '1'='1",
      plain: 'plain',
    };
    type Name = keyof typeof NAMES;
    const scrap = {} as Record<Name, number>;
    before(async () => {
      await aType(server, { systemName: 'scrap', properties: [{ systemName: 'name', kind: 'string' }, { systemName: 'body', kind: 'text' }] });
      for (const [key, name] of Object.entries(NAMES)) scrap[key as Name] = (await anItem(server, 'scrap', { name, body: name })).id;
    });

    const literal: [string, { property: string; type: string; param?: unknown }, Name[]][] = [
      ['contains "%"', flt('name', 'contains', '%'), ['pct']],
      ['contains "0% "', flt('name', 'contains', '0% '), ['pct']],
      ['startsWith "100%"', flt('name', 'startsWith', '100%'), ['pct']],
      ['contains "%%"', flt('name', 'contains', '%%'), []],
      ['contains "_"', flt('name', 'contains', '_'), ['under']],
      ['contains "a_b"', flt('name', 'contains', 'a_b'), ['under']],
      ['startsWith "a_"', flt('name', 'startsWith', 'a_'), ['under']],
      ['contains a backslash', flt('name', 'contains', '\\'), ['slash']],
      ['contains "k\\s"', flt('name', 'contains', 'k\\s'), ['slash']],
      ['startsWith "back\\"', flt('name', 'startsWith', 'back\\'), ['slash']],
      ['contains "\\%"', flt('name', 'contains', '\\%'), []],
      ['contains on text "_b"', flt('body', 'contains', '_b'), ['under']],
      ['eq a quote-breaking string', flt('name', 'eq', NAMES.or), ['or']],
      ['contains "\' OR \'1\'=\'1"', flt('name', 'contains', "' OR '1'='1"), ['or']],
      ['startsWith "\' OR 1=1 --"', flt('name', 'startsWith', "' OR 1=1 --"), []],
      ['eq a DROP TABLE string', flt('name', 'eq', NAMES.drop), ['drop']],
      ['contains "\\"Item\\""', flt('name', 'contains', '"Item"'), ['drop']],
      ['in with SQL-looking values', flt('name', 'in', [NAMES.drop, 'plain', "') OR 1=1 --"]), ['drop', 'plain']],
      ['neq a quote-breaking string', flt('name', 'neq', NAMES.or), ['pct', 'pctNo', 'under', 'underNo', 'slash', 'slashNo', 'drop', 'plain']],
      ['lt a quote', flt('name', 'lt', "'"), []],
    ];
    for (const via of BOTH) {
      for (const [label, filter, expected] of literal) {
        it(`${label} matches literally (${via})`, async () => {
          expect(await idsOf(server, 'scrap', [filter], via)).to.have.members(expected.map((k) => scrap[k]));
        });
      }
      it(`refuses SQL in property names, operators and orderBy (${via})`, async () => {
        for (const filters of [[flt('name" = "name" OR "1"="1', 'eq', 'x')], [flt('name; DROP TABLE "Item"; --', 'isNull')]]) {
          const res = await list(server, 'scrap', filters, via);
          expect(res.status).to.equal(400);
          expect(res.body.code).to.equal('FILTER_UNKNOWN_PROPERTY');
        }
        const ordered = await list(server, 'scrap', undefined, via, { orderBy: 'name; DROP TABLE "Item"; --' });
        expect(ordered.status).to.equal(400);
        if (via === 'GET') {
          const op = await list(server, 'scrap', [flt('name', "eq' OR '1'='1", 'x')], via);
          expect(op.status).to.equal(400);
          expect(op.body.code).to.equal('FILTER_UNKNOWN_OPERATOR');
        }
      });
    }
    it('still serves every item of both types afterwards (nothing was interpolated)', async () => {
      for (const via of BOTH) {
        expect(await idsOf(server, 'scrap', undefined, via)).to.have.members(Object.values(scrap));
        expect(await idsOf(server, 'gadget', undefined, via)).to.have.members(idsFor('ABCDE'));
      }
      const one = await server.request('GET', `/api/v1/collection/scrap/${scrap.drop}`, { key: server.adminKey });
      expect(one.status).to.equal(200);
      expect(one.body.name).to.equal(NAMES.drop);
    });
  });
});
