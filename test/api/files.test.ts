// File properties through HTTP (MISSION F7, seed 004 "upload" and the PATCH `{add, remove}`
// form): uploads answer promise ids, a write binds them, values carry name, size, media type
// and a download URL, downloads need the type's show grant, and the bytes leave storage with
// the value, the item or the property. Limits, unsafe names and every bad input answer 4xx.
import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { aTenant, RELAXED_AUTH_LIMITS, type TestTenant } from '../helpers/tenants.ts';
import type { TestUser } from '../helpers/principals.ts';
import { aType, aUserWithGrants, allGrants, anItem, type As, type ItemTypeBody } from '../helpers/collections.ts';
import { expectError } from '../helpers/expectations.ts';

// The first bytes of a PNG: enough for the media type to be read from the content.
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 1)]);
const MAX_BYTES = 4096;

function form(files: { name: string; content: string | Buffer; type?: string }[], field = 'file'): FormData {
  const data = new FormData();
  for (const file of files) data.append(field, new Blob([typeof file.content === 'string' ? file.content : new Uint8Array(file.content)], { type: file.type ?? 'text/plain' }), file.name);
  return data;
}

/** Every stored file (the incoming directory excluded). */
async function storedFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.parentPath.includes('.incoming')) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe('files: upload, bind, download', function () {
  this.timeout(60_000);
  let server: TestServer;
  let filesDir: string;
  let docs: ItemTypeBody;
  let writer: TestUser;
  let other: TestUser;
  let reader: TestUser;
  let outsider: TestUser;
  let as: As;

  const upload = (files: { name: string; content: string | Buffer; type?: string }[], options: { key?: string; property?: string; type?: string | number; field?: string; host?: string } = {}) =>
    server.request('POST', `/api/v1/upload/${options.type ?? docs.systemName}/${options.property ?? 'attachments'}`, {
      key: options.key ?? writer.key,
      host: options.host,
      multipart: form(files, options.field),
    });

  async function promises(files: { name: string; content: string | Buffer; type?: string }[], options: { key?: string; property?: string } = {}): Promise<string[]> {
    const res = await upload(files, options);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as string[];
  }

  const download = (url: string, key = writer.key) => server.request('GET', url, { key });

  before(async () => {
    filesDir = await mkdtemp(path.join(os.tmpdir(), 'jt-files-test-'));
    server = await startTestServer({ ...RELAXED_AUTH_LIMITS, FILES_DIR: filesDir, UPLOAD_MAX_BYTES: String(MAX_BYTES), UPLOAD_MAX_FILES: '3' });
    docs = await aType(server, [
      { systemName: 'title', kind: 'string', required: true },
      { systemName: 'cover', kind: 'file' },
      { systemName: 'attachments', kind: 'file', multiple: true },
      { systemName: 'images', kind: 'file', multiple: true, mediaTypes: ['image/*'] } as never,
      { systemName: 'small', kind: 'file', maxFileSize: 10 } as never,
    ]);
    writer = await aUserWithGrants(server, allGrants(docs.id));
    other = await aUserWithGrants(server, allGrants(docs.id));
    reader = await aUserWithGrants(server, [{ typeId: docs.id, show: true }]);
    outsider = await aUserWithGrants(server, []);
    as = { key: writer.key };
  });

  after(async () => {
    await server?.stop();
    await rm(filesDir, { recursive: true, force: true });
  });

  describe('property definitions', () => {
    it('shows file options on the type and refuses what a file property cannot be', async () => {
      const type = await server.request('GET', `/api/v1/admin/types/${docs.id}`, { key: server.adminKey });
      const images = type.body.properties.find((p: { systemName: string }) => p.systemName === 'images');
      expect(images).to.include({ kind: 'file', multiple: true });
      expect(images.mediaTypes).to.deep.equal(['image/*']);
      expect(type.body.properties.find((p: { systemName: string }) => p.systemName === 'small').maxFileSize).to.equal(10);

      const add = (body: Record<string, unknown>) => server.request('POST', `/api/v1/admin/types/${docs.id}/properties`, { key: server.adminKey, body });
      expectError(await add({ systemName: 'u1', kind: 'file', unique: true }), 400, 'VALIDATION_FAILED');
      expectError(await add({ systemName: 'u2', kind: 'file', default: 'x' }), 400, 'VALIDATION_FAILED');
      expectError(await add({ systemName: 'u3', kind: 'string', mediaTypes: ['image/png'] }), 400, 'VALIDATION_FAILED');
      expectError(await add({ systemName: 'u4', kind: 'string', maxFileSize: 5 }), 400, 'VALIDATION_FAILED');
      expectError(await add({ systemName: 'u5', kind: 'file', mediaTypes: ['not a type'] }), 400, 'VALIDATION_FAILED');
    });

    it('reserves the special collections\' names for types', async () => {
      for (const name of ['tags', 'notifications']) {
        const res = await server.request('POST', '/api/v1/admin/types', { key: server.adminKey, body: { systemName: name } });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(JSON.stringify(res.body.details)).to.include('systemName');
      }
    });
  });

  describe('upload', () => {
    it('answers one promise id per file, in order', async () => {
      const ids = await promises([{ name: 'a.txt', content: 'alpha' }, { name: 'b.txt', content: 'beta' }]);
      expect(ids).to.have.length(2);
      expect(ids[0]).to.match(/^[A-Za-z0-9_-]{16,64}$/).and.not.equal(ids[1]);
    });

    it('accepts the type and property by id as well as by name', async () => {
      const property = docs.properties.find((p) => p.systemName === 'attachments')!;
      const res = await upload([{ name: 'x.txt', content: 'x' }], { type: docs.id, property: String(property.id) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    });

    it('refuses a request without files, files in another field, and too many files', async () => {
      const none = await server.request('POST', `/api/v1/upload/${docs.systemName}/attachments`, { key: writer.key, multipart: new FormData() });
      expectError(none, 400, 'INVALID_UPLOAD');
      expect(none.body.message).to.include('"file"');
      expectError(await upload([{ name: 'a.txt', content: 'a' }], { field: 'attachment' }), 400, 'INVALID_UPLOAD');
      const four = [1, 2, 3, 4].map((n) => ({ name: `${n}.txt`, content: String(n) }));
      expectError(await upload(four), 400, 'INVALID_UPLOAD');
    });

    it('refuses a body that is not multipart, and a broken multipart body', async () => {
      const json = await server.request('POST', `/api/v1/upload/${docs.systemName}/attachments`, { key: writer.key, body: { file: 'x' } });
      expectError(json, 400, 'VALIDATION_FAILED');
      const broken = await server.request('POST', `/api/v1/upload/${docs.systemName}/attachments`, {
        key: writer.key,
        headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
        body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated',
      });
      expectError(broken, 400, 'INVALID_UPLOAD');
    });

    it('answers 413 above UPLOAD_MAX_BYTES and above the property\'s maxFileSize', async () => {
      expectError(await upload([{ name: 'big.bin', content: Buffer.alloc(MAX_BYTES + 1, 7) }]), 413, 'FILE_TOO_LARGE');
      expectError(await upload([{ name: 'eleven.txt', content: 'x'.repeat(11) }], { property: 'small' }), 413, 'FILE_TOO_LARGE');
      expect((await upload([{ name: 'ten.txt', content: 'x'.repeat(10) }], { property: 'small' })).status).to.equal(200);
    });

    it('answers 415 for a media type the property refuses, judged by the content', async () => {
      expectError(await upload([{ name: 'notes.txt', content: 'plain text' }], { property: 'images' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      // A PNG declared as text is still a PNG; text declared as an image is not one.
      expect((await upload([{ name: 'pic.txt', content: PNG, type: 'text/plain' }], { property: 'images' })).status).to.equal(200);
      const [id] = await promises([{ name: 'pic.png', content: PNG, type: 'text/plain' }], { property: 'images' });
      const item = await anItem(server, docs.systemName, { title: 'png', images: [id] }, as);
      expect(item.images[0]).to.include({ name: 'pic.png', mediaType: 'image/png', size: PNG.length });
    });

    it('refuses unknown types and properties, non-file properties, missing grants and missing keys', async () => {
      expectError(await upload([{ name: 'a.txt', content: 'a' }], { type: 'no_such_type' }), 404, 'NOT_FOUND');
      expectError(await upload([{ name: 'a.txt', content: 'a' }], { property: 'nope' }), 404, 'NOT_FOUND');
      expectError(await upload([{ name: 'a.txt', content: 'a' }], { property: 'title' }), 400, 'INVALID_UPLOAD');
      expectError(await upload([{ name: 'a.txt', content: 'a' }], { key: reader.key }), 403, 'PERMISSION_DENIED');
      // No grant at all on the type: it is hidden, 404 as for an unknown type (issue 7).
      expectError(await upload([{ name: 'a.txt', content: 'a' }], { key: outsider.key }), 404, 'NOT_FOUND');
      const anonymous = await server.request('POST', `/api/v1/upload/${docs.systemName}/attachments`, { multipart: form([{ name: 'a.txt', content: 'a' }]) });
      expectError(anonymous, 403, 'API_KEY_MISSING');
    });

    it('checks the caller and the target before reading a byte of the files', async () => {
      const tooBig = [{ name: 'big.bin', content: Buffer.alloc(MAX_BYTES + 1, 7) }];
      expectError(await upload(tooBig, { key: reader.key }), 403, 'PERMISSION_DENIED');
      expectError(await upload(tooBig, { type: 'no_such_type' }), 404, 'NOT_FOUND');
      expectError(await upload(tooBig, { property: 'title' }), 400, 'INVALID_UPLOAD');
      // The property's own limit bounds the reading itself.
      expectError(await upload([{ name: 'eleven.txt', content: 'x'.repeat(11) }], { property: 'small' }), 413, 'FILE_TOO_LARGE');
    });

    it('keeps the media type a binary format claims only when the content is that format', async () => {
      const fake = await upload([{ name: 'fake.pdf', content: '<html><script>alert(1)</script></html>', type: 'application/pdf' }]);
      expectError(fake, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const real = await promises([{ name: 'real.pdf', content: Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'), type: 'application/pdf' }]);
      const item = await anItem(server, docs.systemName, { title: 'pdf', attachments: real }, as);
      expect(item.attachments[0].mediaType).to.equal('application/pdf');
    });

    it('serves active content (HTML, SVG) inert: as a sandboxed octet-stream attachment', async () => {
      const ids = await promises([
        { name: 'page.html', content: '<html><script>alert(1)</script></html>', type: 'text/html' },
        { name: 'pic.svg', content: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', type: 'image/svg+xml' },
      ]);
      const item = await anItem(server, docs.systemName, { title: 'active', attachments: ids }, as);
      expect(item.attachments.map((f: { mediaType: string }) => f.mediaType)).to.deep.equal(['text/html', 'image/svg+xml']);
      for (const file of item.attachments as { url: string }[]) {
        const got = await download(file.url);
        expect(got.status).to.equal(200);
        expect(got.headers['content-type']).to.equal('application/octet-stream');
        expect(got.headers['content-security-policy']).to.equal("sandbox; default-src 'none'");
        expect(got.headers['content-disposition']).to.match(/^attachment;/);
      }
    });

    it('keeps UTF-8 file names', async () => {
      const ids = await promises([{ name: 'résumé отчёт 報告.txt', content: 'x' }]);
      const item = await anItem(server, docs.systemName, { title: 'utf8', attachments: ids }, as);
      expect(item.attachments[0].name).to.equal('résumé отчёт 報告.txt');
      const got = await download(item.attachments[0].url);
      expect(got.text).to.equal('x');
      expect(got.headers['content-disposition']).to.include("filename*=UTF-8''r%C3%A9sum%C3%A9");
    });

    it('leaves nothing in the incoming directory, whatever the outcome', async () => {
      await upload([{ name: 'big.bin', content: Buffer.alloc(MAX_BYTES + 1, 7) }]);
      await upload([{ name: 'n.txt', content: 'n' }], { property: 'images' });
      await promises([{ name: 'ok.txt', content: 'ok' }]);
      expect(await readdir(path.join(filesDir, '.incoming'))).to.deep.equal([]);
    });

    it('reduces file names to a safe form', async () => {
      const names = ['../../etc/passwd', '..\\..\\boot.ini', 'a<b>c|d*e.txt', '.hidden', `${'n'.repeat(300)}.txt`, 'con:nul?.txt'];
      const ids = await promises(names.slice(0, 3).map((name) => ({ name, content: 'x' })));
      ids.push(...(await promises(names.slice(3).map((name) => ({ name, content: 'x' })))));
      const item = await anItem(server, docs.systemName, { title: 'names', attachments: ids }, as);
      const stored = (item.attachments as { name: string }[]).map((f) => f.name);
      expect(stored[0]).to.equal('passwd');
      expect(stored[1]).to.equal('boot.ini');
      for (const name of stored) {
        expect(name).to.not.match(/[/\\\u0000-\u001f:?<>|*"]/);
        expect(name.startsWith('.')).to.equal(false);
        expect(name.length).to.be.within(1, 200);
      }
      expect(stored[4].endsWith('.txt')).to.equal(true);
    });
  });

  describe('binding promises to items', () => {
    it('attaches files on create, with name, size, media type and a download URL', async () => {
      const [cover] = await promises([{ name: 'cover.txt', content: 'the cover' }], { property: 'cover' });
      const [a, b] = await promises([{ name: 'one.txt', content: 'first file' }, { name: 'two.csv', content: 'a,b\n1,2\n', type: 'text/csv' }]);
      const item = await anItem(server, docs.systemName, { title: 'with files', cover, attachments: [a, b] }, as);
      expect(item.cover).to.deep.equal({ name: 'cover.txt', size: 9, mediaType: 'text/plain', url: `/api/v1/files/${docs.systemName}/${item.id}/cover/cover.txt` });
      expect(item.attachments.map((f: { name: string }) => f.name)).to.deep.equal(['one.txt', 'two.csv']);
      expect(item.attachments[1]).to.include({ size: 8, mediaType: 'text/csv' });

      const got = await download(item.cover.url);
      expect(got.status).to.equal(200);
      expect(got.text).to.equal('the cover');
      expect(got.headers['content-type']).to.match(/^text\/plain/);
      expect(got.headers['content-disposition']).to.equal('attachment; filename="cover.txt"');
      expect(got.headers['x-content-type-options']).to.equal('nosniff');
      expect((await download(item.attachments[1].url, reader.key)).text).to.equal('a,b\n1,2\n');

      // Read back the same way.
      const again = await server.request('GET', `/api/v1/collection/${docs.systemName}/${item.id}`, as);
      expect(again.body.attachments).to.deep.equal(item.attachments);
    });

    it('serves binary content byte for byte', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const [id] = await promises([{ name: 'all-bytes.bin', content: bytes, type: 'application/octet-stream' }]);
      const item = await anItem(server, docs.systemName, { title: 'binary', attachments: [id] }, as);
      const got = await download(item.attachments[0].url);
      expect(got.bytes.equals(bytes)).to.equal(true);
      expect(got.headers['content-length']).to.equal('256');
    });

    it('uses a promise once, only for its property, only by its uploader', async () => {
      const [id] = await promises([{ name: 'once.txt', content: 'once' }]);
      const create = (body: Record<string, unknown>, key = writer.key) => server.request('POST', `/api/v1/collection/${docs.systemName}`, { key, body });
      expectError(await create({ title: 'other user', attachments: [id] }, other.key), 400, 'FILE_PROMISE_INVALID');
      expectError(await create({ title: 'wrong property', cover: id }), 400, 'FILE_PROMISE_INVALID');
      expectError(await create({ title: 'unknown', attachments: ['p_doesnotexist000000000'] }), 400, 'FILE_PROMISE_INVALID');
      expectError(await create({ title: 'twice in one', attachments: [id, id] }), 400, 'FILE_PROMISE_INVALID');
      expect((await create({ title: 'first use', attachments: [id] })).status).to.equal(201);
      expectError(await create({ title: 'second use', attachments: [id] }), 400, 'FILE_PROMISE_INVALID');
    });

    it('changes nothing when the write fails: the promise stays usable', async () => {
      const [id] = await promises([{ name: 'kept.txt', content: 'kept' }]);
      const failed = await server.request('POST', `/api/v1/collection/${docs.systemName}`, { key: writer.key, body: { attachments: [id] } });
      expectError(failed, 400, 'VALIDATION_FAILED');
      const item = await anItem(server, docs.systemName, { title: 'after failure', attachments: [id] }, as);
      expect(item.attachments[0].name).to.equal('kept.txt');
    });

    it('changes nothing when the write fails inside its transaction: old bytes and the new promise survive', async () => {
      const coded = await aType(server, [{ systemName: 'code', kind: 'string', unique: true }, { systemName: 'f', kind: 'file', multiple: true }]);
      const user = await aUserWithGrants(server, allGrants(coded.id));
      const up = async (name: string) =>
        ((await server.request('POST', `/api/v1/upload/${coded.systemName}/f`, { key: user.key, multipart: form([{ name, content: name }]) })).body as string[])[0];
      await anItem(server, coded.systemName, { code: 'taken' }, { key: user.key });
      const item = await anItem(server, coded.systemName, { code: 'mine', f: [await up('old.txt')] }, { key: user.key });
      const fresh = await up('new.txt');
      const url = `/api/v1/collection/${coded.systemName}/${item.id}`;
      // The unique clash is found after the files were bound, inside the transaction.
      const clash = await server.request('PATCH', url, { key: user.key, body: { code: 'taken', f: { add: [fresh], remove: ['old.txt'] } } });
      expectError(clash, 409, 'UNIQUE_VIOLATION');
      expect((await download(item.f[0].url, user.key)).text).to.equal('old.txt');
      const retried = await server.request('PATCH', url, { key: user.key, body: { f: { add: [fresh] } } });
      expect(retried.body.f.map((f: { name: string }) => f.name)).to.deep.equal(['old.txt', 'new.txt']);
    });

    it('binds a promise once when two writes race for it', async () => {
      const [id] = await promises([{ name: 'race.txt', content: 'race' }]);
      const results = await Promise.all(
        [1, 2, 3].map((n) => server.request('POST', `/api/v1/collection/${docs.systemName}`, { key: writer.key, body: { title: `race ${n}`, attachments: [id] } })),
      );
      expect(results.map((r) => r.status).sort()).to.deep.equal([201, 400, 400]);
      for (const r of results.filter((r) => r.status === 400)) expect(r.body.code).to.equal('FILE_PROMISE_INVALID');
    });

    it('refuses an empty value for a required file property', async () => {
      const strict = await aType(server, [{ systemName: 'doc', kind: 'file', required: true }, { systemName: 'docs', kind: 'file', multiple: true, required: true }]);
      const user = await aUserWithGrants(server, allGrants(strict.id));
      const up = (property: string) => server.request('POST', `/api/v1/upload/${strict.systemName}/${property}`, { key: user.key, multipart: form([{ name: 'a.txt', content: 'a' }]) });
      const create = (body: Record<string, unknown>) => server.request('POST', `/api/v1/collection/${strict.systemName}`, { key: user.key, body });
      expectError(await create({ doc: (await up('doc')).body[0], docs: [] }), 400, 'VALIDATION_FAILED');
      expectError(await create({ doc: null, docs: (await up('docs')).body }), 400, 'VALIDATION_FAILED');
      expect((await create({ doc: (await up('doc')).body[0], docs: (await up('docs')).body })).status).to.equal(201);
    });

    it('applies a property\'s tightened rules to promises uploaded before', async () => {
      const loose = await aType(server, [{ systemName: 'f', kind: 'file' }]);
      const user = await aUserWithGrants(server, allGrants(loose.id));
      const up = await server.request('POST', `/api/v1/upload/${loose.systemName}/f`, { key: user.key, multipart: form([{ name: 'a.txt', content: 'plain text' }]) });
      const property = loose.properties[0];
      const tightened = await server.request('PATCH', `/api/v1/admin/types/${loose.id}/properties/${property.id}`, { key: server.adminKey, body: { mediaTypes: ['image/*'] } });
      expect(tightened.status, JSON.stringify(tightened.body)).to.equal(200);
      expectError(await server.request('POST', `/api/v1/collection/${loose.systemName}`, { key: user.key, body: { f: up.body[0] } }), 400, 'FILE_NOT_ACCEPTED');
    });

    it('bounds the bytes one user holds in unused uploads', async () => {
      const capped = await startTestServer({ ...RELAXED_AUTH_LIMITS, UPLOAD_PENDING_MAX_BYTES: '10' });
      try {
        const type = await aType(capped, [{ systemName: 'f', kind: 'file', multiple: true }]);
        const user = await aUserWithGrants(capped, allGrants(type.id));
        const send = (content: string) => capped.request('POST', `/api/v1/upload/${type.systemName}/f`, { key: user.key, multipart: form([{ name: 'a.txt', content }]) });
        expect((await send('123456')).status).to.equal(200);
        expectError(await send('123456'), 413, 'UPLOAD_QUOTA_EXCEEDED');
        const other = await aUserWithGrants(capped, allGrants(type.id));
        expect((await capped.request('POST', `/api/v1/upload/${type.systemName}/f`, { key: other.key, multipart: form([{ name: 'b.txt', content: '123456' }]) })).status).to.equal(200);
      } finally {
        await capped.stop();
      }
    });

    it('refuses values of the wrong shape', async () => {
      const create = (body: Record<string, unknown>) => server.request('POST', `/api/v1/collection/${docs.systemName}`, { key: writer.key, body });
      expectError(await create({ title: 'x', cover: 42 }), 400, 'VALIDATION_FAILED');
      expectError(await create({ title: 'x', cover: ['a'] }), 400, 'VALIDATION_FAILED');
      expectError(await create({ title: 'x', attachments: 'p_x' }), 400, 'VALIDATION_FAILED');
      expectError(await create({ title: 'x', attachments: { add: ['p_x'] } }), 400, 'VALIDATION_FAILED');
      expectError(await create({ title: 'x', cover: { name: 'forged.txt', size: 1, mediaType: 'text/plain' } }), 400, 'VALIDATION_FAILED');
    });

    it('PATCH adds and removes files of a multiple property, keeping names unique', async () => {
      const [a] = await promises([{ name: 'report.pdf', content: 'v1' }]);
      const item = await anItem(server, docs.systemName, { title: 'patching', attachments: [a] }, as);
      const [b, c] = await promises([{ name: 'report.pdf', content: 'v2' }, { name: 'notes.txt', content: 'n' }]);
      const url = `/api/v1/collection/${docs.systemName}/${item.id}`;
      const added = await server.request('PATCH', url, { ...as, body: { attachments: { add: [b, c] } } });
      expect(added.status, JSON.stringify(added.body)).to.equal(200);
      expect(added.body.attachments.map((f: { name: string }) => f.name)).to.deep.equal(['report.pdf', 'report (2).pdf', 'notes.txt']);
      expect((await download(added.body.attachments[1].url)).text).to.equal('v2');

      const stored = (await storedFiles(filesDir)).length;
      const removed = await server.request('PATCH', url, { ...as, body: { attachments: { remove: ['report.pdf'] } } });
      expect((await storedFiles(filesDir)).length).to.equal(stored - 1);
      expect(removed.body.attachments.map((f: { name: string }) => f.name)).to.deep.equal(['report (2).pdf', 'notes.txt']);
      expectError(await download(added.body.attachments[0].url), 404, 'NOT_FOUND');

      expectError(await server.request('PATCH', url, { ...as, body: { attachments: { remove: ['never-there.txt'] } } }), 400, 'FILE_NOT_HELD');
      expectError(await server.request('PATCH', url, { ...as, body: { attachments: { add: ['p_unknown000000000000'] } } }), 400, 'FILE_PROMISE_INVALID');
      expectError(await server.request('PATCH', url, { ...as, body: { attachments: { other: [] } } }), 400, 'VALIDATION_FAILED');
      expectError(await server.request('PATCH', url, { ...as, body: { 'attachments+=': [c] } }), 400, 'VALIDATION_FAILED');
      // The failed patches changed nothing.
      const now = await server.request('GET', url, as);
      expect(now.body.attachments.map((f: { name: string }) => f.name)).to.deep.equal(['report (2).pdf', 'notes.txt']);
    });

    it('PUT keeps the files it names, drops the others, and takes new promises', async () => {
      const [a, b] = await promises([{ name: 'keep.txt', content: 'keep' }, { name: 'drop.txt', content: 'drop' }]);
      const item = await anItem(server, docs.systemName, { title: 'put', attachments: [a, b] }, as);
      const [c] = await promises([{ name: 'new.txt', content: 'new' }]);
      const put = await server.request('PUT', `/api/v1/collection/${docs.systemName}/${item.id}`, { ...as, body: { title: 'put 2', attachments: ['keep.txt', c] } });
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      expect(put.body.attachments.map((f: { name: string }) => f.name)).to.deep.equal(['keep.txt', 'new.txt']);
      expect((await download(put.body.attachments[0].url)).text).to.equal('keep');
      expectError(await download(item.attachments[1].url), 404, 'NOT_FOUND');
    });

    it('null erases a file, and replacing a single file drops the old bytes', async () => {
      const before = (await storedFiles(filesDir)).length;
      const [one] = await promises([{ name: 'one.txt', content: '1' }], { property: 'cover' });
      const item = await anItem(server, docs.systemName, { title: 'single', cover: one }, as);
      const url = `/api/v1/collection/${docs.systemName}/${item.id}`;
      const [two] = await promises([{ name: 'two.txt', content: '2' }], { property: 'cover' });
      const replaced = await server.request('PATCH', url, { ...as, body: { cover: two } });
      expect(replaced.body.cover.name).to.equal('two.txt');
      expectError(await download(item.cover.url), 404, 'NOT_FOUND');
      expect((await storedFiles(filesDir)).length).to.equal(before + 1);

      const erased = await server.request('PATCH', url, { ...as, body: { cover: null } });
      expect(erased.status).to.equal(200);
      expect(erased.body.cover).to.equal(null);
      expect((await storedFiles(filesDir)).length).to.equal(before);
    });

    it('filters on file names', async () => {
      const [id] = await promises([{ name: 'Quarterly-Summary.txt', content: 'q' }]);
      const item = await anItem(server, docs.systemName, { title: 'filtered', attachments: [id] }, as);
      const list = async (filters: unknown[]) => {
        const res = await server.request('GET', `/api/v1/collection/${docs.systemName}?filters=${encodeURIComponent(JSON.stringify(filters))}`, as);
        return res.status === 204 ? [] : (res.body.data as { id: number }[]).map((i) => i.id);
      };
      expect(await list([{ property: 'attachments', type: 'eq', param: 'Quarterly-Summary.txt' }])).to.deep.equal([item.id]);
      expect(await list([{ property: 'attachments', type: 'contains', param: 'quarterly-sum' }])).to.deep.equal([item.id]);
      expect(await list([{ property: 'attachments', type: 'startsWith', param: 'Quarterly' }])).to.deep.equal([item.id]);
      expect(await list([{ property: 'title', type: 'eq', param: 'filtered' }, { property: 'cover', type: 'isNull' }])).to.deep.equal([item.id]);
    });
  });

  describe('downloads and lifecycle', () => {
    it('needs the show grant and a key, and names what is missing', async () => {
      const [id] = await promises([{ name: 'secret.txt', content: 's' }]);
      const item = await anItem(server, docs.systemName, { title: 'guarded', attachments: [id] }, as);
      const url = item.attachments[0].url as string;
      // No grant at all on the type: it is hidden, 404 as for an unknown type (issue 7).
      expectError(await download(url, outsider.key), 404, 'NOT_FOUND');
      expectError(await server.request('GET', url), 403, 'API_KEY_MISSING');
      expectError(await download(url.replace('secret.txt', 'other.txt')), 404, 'NOT_FOUND');
      expectError(await download(url.replace(`/${item.id}/`, '/999999/')), 404, 'NOT_FOUND');
      expectError(await download(url.replace('/attachments/', '/title/')), 404, 'NOT_FOUND');
      expectError(await download(url.replace('/attachments/', '/nope/')), 404, 'NOT_FOUND');
      expectError(await download(url.replace('secret.txt', '%E0%A4%A')), 400, 'INVALID_PATH');
      expect((await download(url.replace(`/${item.id}/`, `/${item.uuid}/`))).text).to.equal('s');
    });

    it('audits downloads of read-logged types', async () => {
      const logged = await aType(server, [{ systemName: 'doc', kind: 'file' }], { readLog: true });
      const user = await aUserWithGrants(server, allGrants(logged.id));
      const up = await server.request('POST', `/api/v1/upload/${logged.systemName}/doc`, { key: user.key, multipart: form([{ name: 'a.txt', content: 'a' }]) });
      const item = await anItem(server, logged.systemName, { doc: up.body[0] }, { key: user.key });
      expect((await download(item.doc.url, user.key)).status).to.equal(200);
      const audit = await server.request('GET', `/api/v1/admin/read-audit?typeId=${logged.id}`, { key: server.adminKey });
      expect(audit.body.data.some((e: { itemId: number; userId: number }) => e.itemId === item.id && e.userId === user.id)).to.equal(true);
    });

    it('deleting an item, a property or a type removes the bytes', async () => {
      const type = await aType(server, [{ systemName: 'f', kind: 'file', multiple: true }, { systemName: 'g', kind: 'file' }]);
      const user = await aUserWithGrants(server, allGrants(type.id));
      const up = async (property: string, n: number) =>
        (await server.request('POST', `/api/v1/upload/${type.systemName}/${property}`, { key: user.key, multipart: form(Array.from({ length: n }, (_, i) => ({ name: `${i}.txt`, content: String(i) }))) })).body as string[];
      const base = (await storedFiles(filesDir)).length;
      const first = await anItem(server, type.systemName, { f: await up('f', 2), g: (await up('g', 1))[0] }, { key: user.key });
      await anItem(server, type.systemName, { f: await up('f', 1) }, { key: user.key });
      expect((await storedFiles(filesDir)).length).to.equal(base + 4);

      expect((await server.request('DELETE', `/api/v1/collection/${type.systemName}/${first.id}`, { key: user.key })).status).to.equal(204);
      expect((await storedFiles(filesDir)).length).to.equal(base + 1);

      const g = type.properties.find((p) => p.systemName === 'g')!;
      await up('g', 1); // an unused promise goes with its property too
      expect((await server.request('DELETE', `/api/v1/admin/types/${type.id}/properties/${g.id}?dropValues=true`, { key: server.adminKey })).status).to.be.oneOf([200, 204]);
      expect((await storedFiles(filesDir)).length).to.equal(base + 1);

      expect((await server.request('DELETE', `/api/v1/admin/types/${type.id}?force=true`, { key: server.adminKey })).status).to.equal(204);
      expect((await storedFiles(filesDir)).length).to.equal(base);
    });

    it('expired promises are refused, then swept with their bytes after a grace minute', async () => {
      const [id] = await promises([{ name: 'late.txt', content: 'late' }]);
      const db = server.running.services.database.prisma;
      await db.filePromise.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const res = await server.request('POST', `/api/v1/collection/${docs.systemName}`, { key: writer.key, body: { title: 'late', attachments: [id] } });
      expectError(res, 400, 'FILE_PROMISE_INVALID');

      const base = (await storedFiles(filesDir)).length;
      expect(await server.running.services.files.sweepExpired()).to.equal(0); // still within the grace
      await db.filePromise.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 120_000) } });
      expect(await server.running.services.files.sweepExpired()).to.equal(1);
      expect((await storedFiles(filesDir)).length).to.equal(base - 1);
      expect(await db.filePromise.findUnique({ where: { id } })).to.equal(null);
    });

    it('sweeps stored bytes no row refers to once they are a day old, and nothing else', async () => {
      const [id] = await promises([{ name: 'kept.txt', content: 'kept' }]);
      const item = await anItem(server, docs.systemName, { title: 'kept', attachments: [id] }, as);
      const [pending] = await promises([{ name: 'pending.txt', content: 'pending' }]);
      const old = new Date(Date.now() - 2 * 86_400_000);
      await mkdir(path.join(filesDir, '1'), { recursive: true });
      const orphan = path.join(filesDir, '1', 'orphan0123456789abcdef');
      const fresh = path.join(filesDir, '1', 'fresh0123456789abcdefg');
      const leftover = path.join(filesDir, '.incoming', 'leftover0123456789abcd');
      for (const file of [orphan, fresh, leftover]) await writeFile(file, 'x');
      await utimes(orphan, old, old);
      await utimes(leftover, old, old);
      // Referenced bytes are old too: age alone never removes them.
      for (const stored of await storedFiles(filesDir)) if (stored !== fresh) await utimes(stored, old, old);

      expect(await server.running.services.files.sweepOrphans()).to.equal(2);
      const left = await storedFiles(filesDir);
      expect(left).to.include(fresh).and.not.include(orphan);
      expect(await readdir(path.join(filesDir, '.incoming'))).to.deep.equal([]);
      expect((await download(item.attachments[0].url)).text).to.equal('kept');
      const bound = await anItem(server, docs.systemName, { title: 'pending', attachments: [pending] }, as);
      expect((await download(bound.attachments[0].url)).text).to.equal('pending');
      await rm(fresh);
    });

    it('a cascade delete removes the bytes of the referencing items too', async () => {
      const parent = await aType(server, [{ systemName: 'name', kind: 'string' }]);
      const child = await aType(server, [{ systemName: 'parent', kind: 'reference', referenceType: parent.id }, { systemName: 'f', kind: 'file' }]);
      const user = await aUserWithGrants(server, allGrants(parent.id, child.id));
      const p = await anItem(server, parent.systemName, { name: 'p' }, { key: user.key });
      const up = await server.request('POST', `/api/v1/upload/${child.systemName}/f`, { key: user.key, multipart: form([{ name: 'c.txt', content: 'c' }]) });
      await anItem(server, child.systemName, { parent: p.id, f: up.body[0] }, { key: user.key });
      const base = (await storedFiles(filesDir)).length;
      expect((await server.request('DELETE', `/api/v1/collection/${parent.systemName}/${p.id}?cascade=true`, { key: user.key })).status).to.equal(204);
      expect((await storedFiles(filesDir)).length).to.equal(base - 1);
    });

    it('keeps files when a property switches between one and several files', async () => {
      const type = await aType(server, [{ systemName: 'f', kind: 'file' }]);
      const user = await aUserWithGrants(server, allGrants(type.id));
      const up = await server.request('POST', `/api/v1/upload/${type.systemName}/f`, { key: user.key, multipart: form([{ name: 'one.txt', content: '1' }]) });
      const item = await anItem(server, type.systemName, { f: up.body[0] }, { key: user.key });
      const f = type.properties[0];
      const setMultiple = (multiple: boolean) => server.request('PATCH', `/api/v1/admin/types/${type.id}/properties/${f.id}`, { key: server.adminKey, body: { multiple } });
      expect((await setMultiple(true)).status).to.equal(200);
      const read = await server.request('GET', `/api/v1/collection/${type.systemName}/${item.id}`, { key: user.key });
      expect(read.body.f.map((x: { name: string }) => x.name)).to.deep.equal(['one.txt']);
      expect((await download(read.body.f[0].url, user.key)).text).to.equal('1');
      const more = await server.request('POST', `/api/v1/upload/${type.systemName}/f`, { key: user.key, multipart: form([{ name: 'two.txt', content: '2' }]) });
      await server.request('PATCH', `/api/v1/collection/${type.systemName}/${item.id}`, { key: user.key, body: { f: { add: more.body } } });
      expectError(await setMultiple(false), 409, 'CONFLICT');
    });
  });

  describe('schemas and multi-value shape', () => {
    it('describes file values in /schema, as arrays even for a tenant with multiValueShape string', async () => {
      const schema = await server.request('GET', `/api/v1/schema/${docs.systemName}`, as);
      expect(schema.status).to.equal(200);
      const { cover, attachments } = schema.body.properties;
      expect(cover.type).to.deep.equal(['object', 'null']);
      expect(cover.required).to.include.members(['name', 'size', 'mediaType', 'url']);
      expect(attachments.type).to.equal('array');

      const tenant = await aTenant(server, { settings: { multiValueShape: 'string' } });
      const type = await aType(server, [{ systemName: 'tags_text', kind: 'string', multiple: true }, { systemName: 'files', kind: 'file', multiple: true }], { key: tenant.admin.key, host: tenant.host });
      const user = await aUserWithGrants(server, allGrants(type.id), { key: tenant.admin.key, host: tenant.host });
      const up = await server.request('POST', `/api/v1/upload/${type.systemName}/files`, { key: user.key, host: tenant.host, multipart: form([{ name: 'a.txt', content: 'a' }, { name: 'b.txt', content: 'b' }]) });
      const item = await anItem(server, type.systemName, { tags_text: ['x', 'y'], files: up.body }, { key: user.key, host: tenant.host });
      expect(item.tags_text).to.equal('x,y');
      expect(item.files.map((f: { name: string }) => f.name)).to.deep.equal(['a.txt', 'b.txt']);
      const tenantSchema = await server.request('GET', `/api/v1/schema/${type.systemName}`, { key: user.key, host: tenant.host });
      expect(tenantSchema.body.properties.files.type).to.equal('array');
    });
  });

  describe('tenant isolation', () => {
    let tenant: TestTenant;
    let theirs: ItemTypeBody;
    let theirUser: TestUser;

    before(async () => {
      tenant = await aTenant(server);
      theirs = await aType(server, [{ systemName: 'title', kind: 'string' }, { systemName: 'attachments', kind: 'file', multiple: true }], { key: tenant.admin.key, host: tenant.host, systemName: docs.systemName });
      theirUser = await aUserWithGrants(server, allGrants(theirs.id), { key: tenant.admin.key, host: tenant.host });
    });

    it('a promise of one tenant cannot be bound in another, both ways', async () => {
      const [ours] = await promises([{ name: 'ours.txt', content: 'ours' }]);
      const there = await server.request('POST', `/api/v1/collection/${docs.systemName}`, { key: theirUser.key, host: tenant.host, body: { title: 't', attachments: [ours] } });
      expectError(there, 400, 'FILE_PROMISE_INVALID');

      const theirUpload = await upload([{ name: 'theirs.txt', content: 'theirs' }], { key: theirUser.key, host: tenant.host });
      expect(theirUpload.status, JSON.stringify(theirUpload.body)).to.equal(200);
      const here = await server.request('POST', `/api/v1/collection/${docs.systemName}`, { key: writer.key, body: { title: 'h', attachments: theirUpload.body } });
      expectError(here, 400, 'FILE_PROMISE_INVALID');
    });

    it('deleting a tenant removes its files and promises', async () => {
      const doomed = await aTenant(server);
      const type = await aType(server, [{ systemName: 'f', kind: 'file', multiple: true }], { key: doomed.admin.key, host: doomed.host });
      const user = await aUserWithGrants(server, allGrants(type.id), { key: doomed.admin.key, host: doomed.host });
      const up = await server.request('POST', `/api/v1/upload/${type.systemName}/f`, { key: user.key, host: doomed.host, multipart: form([{ name: 'a.txt', content: 'a' }, { name: 'b.txt', content: 'b' }]) });
      await anItem(server, type.systemName, { f: [up.body[0]] }, { key: user.key, host: doomed.host });
      const base = (await storedFiles(filesDir)).length;
      expect((await server.request('DELETE', `/api/v1/admin/tenants/${doomed.id}`, { key: server.adminKey })).status).to.equal(204);
      expect((await storedFiles(filesDir)).length).to.equal(base - 2);
      expect(await readdir(filesDir)).to.not.include(String(doomed.id));
    });

    it('a download URL of one tenant answers nothing in another, both ways', async () => {
      const [ours] = await promises([{ name: 'ours.txt', content: 'ours' }]);
      const ourItem = await anItem(server, docs.systemName, { title: 'o', attachments: [ours] }, as);
      const theirUpload = await upload([{ name: 'theirs.txt', content: 'theirs' }], { key: theirUser.key, host: tenant.host });
      const theirItem = await anItem(server, theirs.systemName, { title: 't', attachments: theirUpload.body }, { key: theirUser.key, host: tenant.host });

      const fromThere = await server.request('GET', ourItem.attachments[0].url, { key: theirUser.key, host: tenant.host });
      expect(fromThere.status).to.equal(404);
      expect(fromThere.text).to.not.include('ours');
      const fromHere = await server.request('GET', theirItem.attachments[0].url, { key: writer.key });
      expect(fromHere.status).to.equal(404);
      expect((await server.request('GET', theirItem.attachments[0].url, { key: theirUser.key, host: tenant.host })).text).to.equal('theirs');
    });
  });
});
