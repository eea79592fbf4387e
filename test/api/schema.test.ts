// Machine-readable schemas of the tenant's types: the catalog (GET /schema), one type's JSON
// Schema 2020-12 (GET /schema/{collection}), and the tenant's OpenAPI document
// (GET /schema/openapi.json), checked by validating it and by type-checking a client generated
// from it with openapi-typescript.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { TestUser } from '../helpers/principals.ts';
import { RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aType, anItem, aUserWithGrants, type CreatedType } from '../helpers/filters.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSC = path.join(ROOT, 'node_modules', '.bin', 'tsc');

/** A fresh Ajv 2020-12 with formats (date-time, date, uuid) checked. */
function compile(schema: object) {
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
  addFormats.default(ajv);
  expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).to.equal(true);
  return ajv.compile(schema);
}

/** Generates the client for `doc` into a temp dir next to `usage` and runs tsc --strict on it (bounded). */
async function typeCheck(doc: Doc, usage: string): Promise<void> {
  const source = astToString(await openapiTS(structuredClone(doc) as unknown as Parameters<typeof openapiTS>[0]));
  const dir = mkdtempSync(path.join(tmpdir(), 'jetstack-sdk-'));
  try {
    writeFileSync(path.join(dir, 'api.d.ts'), source);
    writeFileSync(path.join(dir, 'usage.ts'), usage);
    const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), 'usage.ts'];
    try {
      await promisify(execFile)(TSC, args, { cwd: dir, timeout: 150_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      const at = source.indexOf('Project: {');
      throw new Error(`tsc failed:\n${stdout ?? ''}${stderr ?? ''}\n--- generated Project (excerpt) ---\n${source.slice(at, at + 2500)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Doc = { openapi: string; paths: Record<string, any>; components: { schemas: Record<string, any> } };

describe('type schemas', function () {
  this.timeout(120_000);
  let server: TestServer;
  let project: CreatedType;
  let person: CreatedType;
  let secret: CreatedType;
  let viewer: TestUser;
  let creatorOnly: TestUser;
  const items: Record<string, any>[] = [];

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    person = await aType(server, { systemName: 'person', name: 'Person', properties: [{ systemName: 'name', kind: 'string', required: true }] });
    project = await aType(server, {
      systemName: 'project',
      name: 'Project',
      properties: [
        { systemName: 'title', kind: 'string', required: true },
        { systemName: 'note', kind: 'text' },
        { systemName: 'count', kind: 'integer' },
        { systemName: 'budget', kind: 'number' },
        { systemName: 'done', kind: 'boolean' },
        { systemName: 'kickoff', kind: 'datetime' },
        { systemName: 'due', kind: 'date' },
        { systemName: 'period', kind: 'month' },
        { systemName: 'status', kind: 'enum', enumValues: ['open', 'closed'] },
        { systemName: 'lead', kind: 'reference', referenceType: 'person' },
        { systemName: 'tags', kind: 'string', multiple: true },
        { systemName: 'milestones', kind: 'datetime', multiple: true },
        { systemName: 'members', kind: 'reference', referenceType: 'person', multiple: true },
        { systemName: 'cover', kind: 'file' },
        { systemName: 'files', kind: 'file', multiple: true },
      ],
    });
    secret = await aType(server, { systemName: 'secret_doc', name: 'Secret doc', properties: [{ systemName: 'body', kind: 'text' }] });
    viewer = await aUserWithGrants(server, ['useApi'], [
      { typeId: project.id, show: true, create: true },
      { typeId: person.id, show: true },
      { typeId: secret.id, create: true, edit: true, delete: true },
    ], { timezone: 'Europe/Prague' });
    creatorOnly = await aUserWithGrants(server, ['useApi'], [{ typeId: project.id, create: true }]);

    const ann = await anItem(server, 'person', { name: 'Ann' });
    const bob = await anItem(server, 'person', { name: 'Bob' });
    items.push(
      await anItem(server, 'project', {
        title: 'Full', note: 'Everything set', count: 3, budget: 12.5, done: false, kickoff: '2026-05-22T09:00:00+02:00',
        due: '2026-06-30', period: '2026-06', status: 'open', lead: ann.id, tags: ['a', 'b'], milestones: ['2026-06-01T10:00:00Z', '2026-12-01T10:00:00Z'],
        members: [ann.id, bob.id],
      }),
      await anItem(server, 'project', { title: 'Bare' }),
      await anItem(server, 'project', { title: 'Nulls', note: null, count: null, tags: [], milestones: [], status: null }),
    );
    await anItem(server, 'secret_doc', { body: 'classified' });
  });
  after(() => server?.stop());

  describe('GET /schema', () => {
    it('lists only the types the caller may show, each with the address of its schema', async () => {
      const res = await server.request('GET', '/api/v1/schema', { key: viewer.key });
      expect(res.status).to.equal(200);
      expect(res.body.data).to.have.deep.members([
        { id: person.id, systemName: 'person', name: 'Person', href: '/api/v1/schema/person' },
        { id: project.id, systemName: 'project', name: 'Project', href: '/api/v1/schema/project' },
      ]);
    });
    it('lists every type for a caller who may show them all', async () => {
      const res = await server.request('GET', '/api/v1/schema', { key: server.adminKey });
      expect(res.status).to.equal(200);
      expect(res.body.data.map((t: { systemName: string }) => t.systemName)).to.have.members(['person', 'project', 'secret_doc']);
    });
    it('lists nothing for a caller without show on any type', async () => {
      const res = await server.request('GET', '/api/v1/schema', { key: creatorOnly.key });
      expect(res.status).to.equal(200);
      expect(res.body.data).to.deep.equal([]);
    });
    it('answers 403 without a key', async () => {
      const res = await server.request('GET', '/api/v1/schema');
      expect(res.status).to.equal(403);
    });
  });

  describe('GET /schema/{collection}', () => {
    it('answers the same JSON Schema 2020-12 by id and by name', async () => {
      const byName = await server.request('GET', '/api/v1/schema/project', { key: viewer.key });
      const byId = await server.request('GET', `/api/v1/schema/${project.id}`, { key: viewer.key });
      expect(byName.status).to.equal(200);
      expect(byId.status).to.equal(200);
      expect(byId.body).to.deep.equal(byName.body);
      expect(byName.body.$schema).to.equal('https://json-schema.org/draft/2020-12/schema');
      expect(byName.body.type).to.equal('object');
      expect(Object.keys(byName.body.properties)).to.include.members(['id', 'uuid', 'created_on', 'created_by', 'updated_on', 'updated_by', 'title', 'tags', 'members']);
    });

    it('validates the items the API returns: single reads, lists, multi-value and null fields', async () => {
      const schema = (await server.request('GET', '/api/v1/schema/project', { key: viewer.key })).body;
      const validate = compile(schema);
      const list = await server.request('GET', '/api/v1/collection/project?perPage=100', { key: viewer.key });
      expect(list.status).to.equal(200);
      expect(list.body.data).to.have.length(3);
      for (const item of list.body.data) expect(validate(item), `${JSON.stringify(item)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      for (const { id } of items) {
        const one = await server.request('GET', `/api/v1/collection/project/${id}`, { key: viewer.key });
        expect(validate(one.body), `${JSON.stringify(one.body)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      }
      const nulls = list.body.data.find((i: { title: string }) => i.title === 'Nulls');
      expect(nulls).to.include({ note: null, count: null, status: null, lead: null });
      expect(nulls.tags).to.deep.equal([]);
      const full = list.body.data.find((i: { title: string }) => i.title === 'Full');
      expect(full.tags).to.deep.equal(['a', 'b']);
      expect(full.milestones).to.deep.equal(['2026-06-01T12:00:00+02:00', '2026-12-01T11:00:00+01:00']);
    });

    it('rejects items that do not have the type’s shape', async () => {
      const schema = (await server.request('GET', '/api/v1/schema/project', { key: viewer.key })).body;
      const validate = compile(schema);
      const good = (await server.request('GET', `/api/v1/collection/project/${items[0].id}`, { key: viewer.key })).body;
      expect(validate(good)).to.equal(true);
      const wrong: [string, Record<string, unknown>][] = [
        ['a number for a string', { title: 42 }],
        ['null for a required property', { title: null }],
        ['a string for a multi-value property', { tags: 'a,b' }],
        ['a value outside the enum', { status: 'bogus' }],
        ['a fraction for an integer', { count: 1.5 }],
        ['a string for a reference', { lead: 'Ann' }],
        ['a datetime without offset', { kickoff: '2026-05-22T09:00:00' }],
        ['a datetime for a date', { due: '2026-06-30T00:00:00Z' }],
        ['a date for a month', { period: '2026-06-01' }],
        ['an unknown property', { nope: true }],
        ['a non-uuid uuid', { uuid: 'not-a-uuid' }],
      ];
      for (const [label, change] of wrong) expect(validate({ ...good, ...change }), label).to.equal(false);
      const { id: _id, ...withoutId } = good;
      expect(validate(withoutId), 'missing id').to.equal(false);
    });

    it('describes multi-value properties as comma-separated strings when the tenant returns them so', async () => {
      const set = (multiValueShape: string) => server.request('PATCH', '/api/v1/admin/settings', { key: server.adminKey, body: { multiValueShape } });
      expect((await set('string')).status).to.equal(200);
      try {
        const validate = compile((await server.request('GET', '/api/v1/schema/project', { key: viewer.key })).body);
        const list = await server.request('GET', '/api/v1/collection/project?perPage=100', { key: viewer.key, headers: { 'cache-control': 'no-cache' } });
        expect(list.status).to.equal(200);
        const full = list.body.data.find((i: { title: string }) => i.title === 'Full');
        expect(full.tags).to.equal('a,b');
        for (const item of list.body.data) expect(validate(item), `${JSON.stringify(item)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
        expect(validate({ ...full, tags: ['a', 'b'] })).to.equal(false);
      } finally {
        expect((await set('array')).status).to.equal(200);
      }
    });

    it('answers 404 for an unknown type, by name and by id', async () => {
      for (const collection of ['nope', '987654']) {
        const res = await server.request('GET', `/api/v1/schema/${collection}`, { key: viewer.key });
        expect(res.status, collection).to.equal(404);
        expect(res.body.code).to.equal('NOT_FOUND');
      }
    });

    it('answers 403 PERMISSION_DENIED without show on the type (even with create, edit and delete)', async () => {
      for (const [key, collection] of [[viewer.key, 'secret_doc'], [viewer.key, String(secret.id)], [creatorOnly.key, 'project']]) {
        const res = await server.request('GET', `/api/v1/schema/${collection}`, { key });
        expect(res.status, collection).to.equal(403);
        expect(res.body.code).to.equal('PERMISSION_DENIED');
      }
    });
  });

  describe('GET /schema/openapi.json', () => {
    let doc: Doc;
    before(async () => {
      const res = await server.request('GET', '/api/v1/schema/openapi.json', { key: viewer.key });
      expect(res.status).to.equal(200);
      doc = res.body;
    });

    it('is a valid OpenAPI document (swagger-parser)', async () => {
      await SwaggerParser.validate(structuredClone(doc) as never);
    });

    it('has concrete paths per showable type whose schemas are the type’s components', () => {
      expect(doc.paths).to.include.keys('/collection/project', '/collection/project/{item}', '/collection/project/search', '/collection/project/get-by/{property}/{item}', '/collection/person');
      expect(doc.paths).to.not.have.key('/collection/secret_doc');
      expect(doc.components.schemas).to.include.keys('Project', 'ProjectInput', 'ProjectPatch', 'ProjectPage', 'Person');
      expect(doc.components.schemas).to.not.have.key('SecretDoc');
      const collection = doc.paths['/collection/project'];
      expect(collection.get.responses['200'].content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/ProjectPage' });
      expect(collection.post.requestBody.content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/ProjectInput' });
      expect(collection.post.responses['201'].content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/Project' });
      const one = doc.paths['/collection/project/{item}'];
      expect(one.get.responses['200'].content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/Project' });
      expect(one.patch.requestBody.content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/ProjectPatch' });
      expect(one.put.requestBody.content['application/json'].schema).to.deep.equal({ $ref: '#/components/schemas/ProjectInput' });
      const ids = Object.values(doc.paths).flatMap((item: Record<string, any>) => Object.values(item).map((op) => op?.operationId).filter(Boolean));
      expect(new Set(ids).size, 'operationIds are unique').to.equal(ids.length);
      const schema = doc.components.schemas.Project;
      expect(schema.properties.title.type).to.equal('string');
      expect(schema.properties.tags).to.include({ type: 'array' });
    });

    it('includes every type for a caller who may show them all', async () => {
      const res = await server.request('GET', '/api/v1/schema/openapi.json', { key: server.adminKey });
      expect(res.status).to.equal(200);
      expect(res.body.paths).to.include.keys('/collection/secret_doc');
      expect(res.body.components.schemas).to.include.keys('SecretDoc');
    });

    it('validates the API’s own project items against components.schemas.Project', async () => {
      const { $ref: _r, ...component } = doc.components.schemas.Project;
      const validate = compile({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...component });
      const list = await server.request('GET', '/api/v1/collection/project?perPage=100', { key: viewer.key, headers: { 'cache-control': 'no-cache' } });
      for (const item of list.body.data) expect(validate(item), JSON.stringify(validate.errors)).to.equal(true);
    });

    it('generates a typed client (openapi-typescript) that type-checks under tsc --strict', async function () {
      this.timeout(180_000);
      await typeCheck(doc, USAGE);
    });

    it('types nullable properties of the generated client as nullable, enums and references included', async function () {
      this.timeout(180_000);
      await typeCheck(doc, NULLABLE_USAGE);
    });
  });
});

// Compiled against the generated api.d.ts; every @ts-expect-error line must really be an error.
const USAGE = `
import type { components, paths } from './api';

type Project = components['schemas']['Project'];
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const titleIsString: Equals<NonNullable<Project['title']>, string> = true;
export const titleNeverNull: null extends Project['title'] ? false : true = true;
export const noteMayBeNull: null extends Project['note'] ? true : false = true;
export const countIsNumber: Equals<NonNullable<Project['count']>, number> = true;
export const doneIsBoolean: Equals<NonNullable<Project['done']>, boolean> = true;
export const tagsAreStrings: Equals<NonNullable<Project['tags']>, string[]> = true;
export const membersAreIds: Equals<NonNullable<Project['members']>, number[]> = true;
export const statusIsEnum: Equals<NonNullable<Project['status']>, 'open' | 'closed'> = true;
export const idIsNumber: Equals<Project['id'], number> = true;

export const ok: Project = {
  id: 1, uuid: '7f1b9c1e-0000-4000-8000-000000000000', title: 'Hello', note: null, count: 2, budget: 1.5, done: true,
  kickoff: '2026-05-22T09:00:00+02:00', due: '2026-05-22', period: '2026-05', status: 'open', lead: 3, tags: ['a'],
  milestones: [], members: [1, 2],
};
export const title: string | undefined = ok.title;

// @ts-expect-error title is a string, not a number
export const wrongTitle: Project = { id: 1, uuid: 'u', title: 42 };
// @ts-expect-error tags are an array of strings
export const wrongTags: Project = { id: 1, uuid: 'u', tags: 'a,b' };
// @ts-expect-error status is one of the enum values
export const wrongStatus: Project = { id: 1, uuid: 'u', status: 'bogus' };
// @ts-expect-error Project has no such property
export const extra: Project = { id: 1, uuid: 'u', nope: true };
// @ts-expect-error id is required
export const noId: Project = { uuid: 'u' };

type Page = paths['/collection/project']['get']['responses'][200]['content']['application/json'];
export const first = (page: Page): Project => page.data[0];
// @ts-expect-error a Project's title is not a number
export const firstTitle = (page: Page): number => page.data[0].title;
type One = paths['/collection/project/{item}']['get']['responses'][200]['content']['application/json'];
export const one = (item: One): Project => item;
type Created = paths['/collection/project']['post']['responses'][201]['content']['application/json'];
export const created = (item: Created): Project => item;

type CreateBody = paths['/collection/project']['post']['requestBody'] extends { content: { 'application/json': infer B } } | undefined ? B : never;
export const body: CreateBody = { title: 'New', tags: ['x'] };
// @ts-expect-error the create body needs the required title
export const missingTitle: CreateBody = { budget: 1 };
// @ts-expect-error the create body takes only the type's properties
export const unknownInput: CreateBody = { title: 'x', nope: 1 };
`;

// A property that is not required comes back as null when it has no value, whatever its kind.
const NULLABLE_USAGE = `
import type { components } from './api';

type Project = components['schemas']['Project'];
export const noteMayBeNull: null extends Project['note'] ? true : false = true;
export const countMayBeNull: null extends Project['count'] ? true : false = true;
export const kickoffMayBeNull: null extends Project['kickoff'] ? true : false = true;
export const leadMayBeNull: null extends Project['lead'] ? true : false = true;
export const statusMayBeNull: null extends Project['status'] ? true : false = true;
export const bare: Project = { id: 1, uuid: 'u', title: 'Bare', note: null, count: null, status: null, lead: null };
`;
